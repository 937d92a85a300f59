{#- Each application's repayment and application history with us, as known on its date. -#}

with

applications as not materialized (

    select * from {{ ref('stg_raw__applications') }}

),

loans as (

    select * from {{ ref('stg_raw__loans') }}

),

repayments as (

    select * from {{ ref('stg_raw__repayments') }}

),

anchors as not materialized (

    select
        application_id as anchor_id,
        customer_id,
        applied_on as as_of_on

    from applications

),

history as (

    {{ repayment_history_as_of('anchors', 'loans', 'repayments', 'applications') }}

),

final as (

    select
        anchor_id as application_id,
        prior_loans,
        prior_installments,
        late_payment_ratio,
        max_dpd_history,
        has_prior_default,
        last_delinquency_on as last_internal_delinquency_on,
        prior_applications_12m,
        prior_rejections_12m

    from history

)

select * from final
