{#-
    Bureau and repayment-history features per customer as they would be for an application on
    the day after the extract (as_of_on = snapshot_on + 1), with the same definitions and names
    as application_features. The scoring service reads them for known customers.
-#}
{{
    config(
        indexes=[{'columns': ['customer_id'], 'unique': true}],
    )
}}

with

customers as (

    select * from {{ ref('stg_raw__customers') }}

),

applications as not materialized (

    select * from {{ ref('stg_raw__applications') }}

),

loans as (

    select * from {{ ref('stg_raw__loans') }}

),

repayments as (

    select * from {{ ref('stg_raw__repayments') }}

),

reports as (

    select * from {{ ref('stg_raw__credit_bureau_reports') }}

),

extract_metadata as (

    select * from {{ ref('stg_raw__extract_metadata') }}

),

anchors as not materialized (

    select
        customer_id as anchor_id,
        customer_id,
        (select extract_metadata.snapshot_on + 1 from extract_metadata) as as_of_on

    from customers

),

bureau as (

    {{ bureau_report_as_of('anchors', 'reports') }}

),

history as (

    {{ repayment_history_as_of('anchors', 'loans', 'repayments', 'applications') }}

),

final as (

    select
        anchors.customer_id,
        anchors.as_of_on,

        bureau.is_thin_file,
        bureau.bureau_score,
        bureau.prior_accounts,
        bureau.open_accounts,
        bureau.total_credit_limit,
        bureau.credit_utilization,
        bureau.bureau_delinquencies,
        bureau.bureau_max_dpd,
        greatest(bureau.last_delinquency_on, history.last_delinquency_on) as last_delinquency_on,
        {{ floor_at_zero(months_between(
            'greatest(bureau.last_delinquency_on, history.last_delinquency_on)',
            'anchors.as_of_on'
        )) }} as months_since_last_delinquency,
        bureau.enquiries_last_6m,
        bureau.credit_history_months,

        -- the report itself and the last delinquency with us, so the service can recompute
        -- the time-dependent features on an application's own date (credit_risk.bureau)
        bureau.pulled_on as bureau_pulled_on,
        bureau.total_balance as bureau_total_balance,
        bureau.last_delinquency_on as bureau_last_delinquency_on,
        bureau.oldest_account_on as bureau_oldest_account_on,
        history.last_delinquency_on as last_internal_delinquency_on,

        history.prior_loans,
        history.prior_installments,
        history.late_payment_ratio,
        history.max_dpd_history,
        history.has_prior_default,
        history.prior_applications_12m,
        history.prior_rejections_12m

    from anchors
    inner join bureau on anchors.anchor_id = bureau.anchor_id
    inner join history on anchors.anchor_id = history.anchor_id

)

select * from final
