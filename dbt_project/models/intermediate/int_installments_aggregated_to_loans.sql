{#- Each loan's repayment performance as known on the extract date (snapshot_on). -#}

with

loans as (

    select * from {{ ref('stg_raw__loans') }}

),

repayments as (

    select * from {{ ref('stg_raw__repayments') }}

),

extract_metadata as (

    select * from {{ ref('stg_raw__extract_metadata') }}

),

installments_due as (

    select
        repayments.loan_id,
        repayments.due_on,
        repayments.paid_on,
        repayments.principal_due,
        repayments.amount_paid

    from repayments
    -- a scalar subquery, not a join, so the planner streams repayments instead of buffering them
    where repayments.due_on <= (select extract_metadata.snapshot_on from extract_metadata)

),

aggregated as (

    select
        loan_id,
        count(*) as installments_due,
        count(*) filter (where paid_on <= due_on) as installments_paid_on_time,
        count(*) filter (where paid_on > due_on) as installments_paid_late,
        count(*) filter (where paid_on is null) as installments_unpaid,
        coalesce(sum(principal_due) filter (where paid_on is not null), 0) as principal_repaid,
        coalesce(sum(amount_paid), 0) as amount_repaid,
        min(due_on) filter (where paid_on is null) as oldest_unpaid_due_on

    from installments_due
    group by loan_id

),

final as (

    select
        loans.loan_id,
        loans.application_id,
        loans.customer_id,
        loans.originated_on,
        date_trunc('month', loans.originated_on)::date as origination_month,
        loans.principal,
        loans.loan_status,
        coalesce(aggregated.installments_due, 0) as installments_due,
        coalesce(aggregated.installments_paid_on_time, 0) as installments_paid_on_time,
        coalesce(aggregated.installments_paid_late, 0) as installments_paid_late,
        coalesce(aggregated.installments_unpaid, 0) as installments_unpaid,
        coalesce(aggregated.amount_repaid, 0) as amount_repaid,
        -- a closed loan owes nothing, whatever the cents of rounding in the schedule say
        case
            when loans.loan_status = 'closed' then 0
            else greatest(loans.principal - coalesce(aggregated.principal_repaid, 0), 0)
        end as outstanding_principal,
        aggregated.oldest_unpaid_due_on,
        coalesce((select extract_metadata.snapshot_on from extract_metadata) - aggregated.oldest_unpaid_due_on, 0)
            as days_past_due,
        (select extract_metadata.snapshot_on from extract_metadata) as snapshot_on

    from loans
    left join aggregated on loans.loan_id = aggregated.loan_id

)

select * from final
