with

source as (

    select * from {{ source('raw', 'employment') }}

),

final as (

    select
        employment_id,
        customer_id,
        employment_type,
        industry,
        years_employed,
        monthly_income::double precision as monthly_income,
        is_income_verified,
        recorded_on

    from source

)

select * from final
