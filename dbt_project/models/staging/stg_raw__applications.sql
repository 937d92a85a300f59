with

source as (

    select * from {{ source('raw', 'applications') }}

),

final as (

    select
        application_id,
        customer_id,
        applied_on,
        loan_amount::double precision as loan_amount,
        tenure_months,
        interest_rate::double precision as interest_rate,
        loan_purpose,
        existing_monthly_debt::double precision as existing_monthly_debt,
        monthly_rent::double precision as monthly_rent,
        channel,
        status as application_status,
        decided_on

    from source

)

select * from final
