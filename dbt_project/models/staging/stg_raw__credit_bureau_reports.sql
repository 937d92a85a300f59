with

source as (

    select * from {{ source('raw', 'credit_bureau_reports') }}

),

final as (

    select
        report_id,
        customer_id,
        pulled_on,
        bureau_score,
        prior_accounts,
        open_accounts,
        total_credit_limit::double precision as total_credit_limit,
        total_balance::double precision as total_balance,
        delinquencies,
        max_dpd,
        last_delinquency_on,
        enquiries_last_6m,
        oldest_account_on

    from source

)

select * from final
