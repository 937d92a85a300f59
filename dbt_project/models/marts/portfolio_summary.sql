{#- One row of portfolio health on the extract date, for dashboards and the monitoring alerts. -#}
with

applications as (

    select * from {{ ref('stg_raw__applications') }}

),

disbursements as (

    select * from {{ ref('stg_raw__disbursements') }}

),

loans as (

    select * from {{ ref('npa_classification') }}

),

performance as (

    select * from {{ ref('int_installments_aggregated_to_loans') }}

),

application_totals as (

    select
        count(*) as applications,
        count(*) filter (where application_status = 'approved') as approved_applications,
        count(*) filter (where application_status = 'rejected') as rejected_applications,
        count(*) filter (where application_status = 'pending') as pending_applications

    from applications

),

disbursement_totals as (

    select coalesce(sum(disbursed_amount), 0) as disbursed_amount

    from disbursements

),

loan_totals as (

    select
        max(snapshot_on) as snapshot_on,
        count(*) as loans,
        count(*) filter (where loan_status = 'active') as active_loans,
        count(*) filter (where loan_status in ('defaulted', 'written_off')) as defaulted_loans,
        count(*) filter (where is_npa) as npa_loans,
        coalesce(sum(outstanding_principal), 0) as outstanding_principal,
        coalesce(sum(outstanding_principal) filter (where is_npa), 0) as npa_amount

    from loans

),

repayment_totals as (

    select
        coalesce(sum(amount_repaid), 0) as repaid_amount,
        coalesce(sum(installments_due), 0) as installments_due,
        coalesce(sum(installments_paid_on_time), 0) as installments_paid_on_time

    from performance

),

final as (

    select
        loan_totals.snapshot_on,
        application_totals.applications,
        application_totals.approved_applications,
        application_totals.rejected_applications,
        application_totals.pending_applications,
        -- share of decided applications that were approved
        {{ safe_divide(
            'application_totals.approved_applications',
            'application_totals.approved_applications + application_totals.rejected_applications'
        ) }} as approval_rate,
        loan_totals.loans,
        loan_totals.active_loans,
        loan_totals.defaulted_loans,
        loan_totals.npa_loans,
        disbursement_totals.disbursed_amount,
        loan_totals.outstanding_principal,
        repayment_totals.repaid_amount,
        loan_totals.npa_amount,
        {{ safe_divide('loan_totals.npa_amount', 'loan_totals.outstanding_principal') }} as npa_ratio,
        {{ safe_divide('loan_totals.defaulted_loans', 'loan_totals.loans') }} as default_rate,
        {{ safe_divide('repayment_totals.installments_paid_on_time', 'repayment_totals.installments_due') }}
            as on_time_emi_share

    from application_totals
    cross join disbursement_totals
    cross join loan_totals
    cross join repayment_totals

)

select * from final
