with

source as (

    select * from {{ source('raw', 'loans') }}

),

final as (

    select
        loan_id,
        application_id,
        customer_id,
        principal::double precision as principal,
        interest_rate::double precision as interest_rate,
        tenure_months,
        emi::double precision as emi,
        originated_on,
        maturity_on,
        loan_status

    from source

)

select * from final
