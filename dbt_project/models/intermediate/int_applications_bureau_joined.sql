{#- The latest bureau report pulled on or before each application date (as-of join). -#}

with

applications as (

    select * from {{ ref('stg_raw__applications') }}

),

reports as (

    select * from {{ ref('stg_raw__credit_bureau_reports') }}

),

anchors as not materialized (

    select
        application_id as anchor_id,
        customer_id,
        applied_on as as_of_on

    from applications

),

bureau as (

    {{ bureau_report_as_of('anchors', 'reports') }}

),

final as (

    select
        anchor_id as application_id,
        report_id,
        pulled_on,
        is_thin_file,
        bureau_score,
        prior_accounts,
        open_accounts,
        total_credit_limit,
        credit_utilization,
        bureau_delinquencies,
        bureau_max_dpd,
        last_delinquency_on as bureau_last_delinquency_on,
        enquiries_last_6m,
        credit_history_months

    from bureau

)

select * from final
