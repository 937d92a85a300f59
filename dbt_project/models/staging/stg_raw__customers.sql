with

source as (

    select * from {{ source('raw', 'customers') }}

),

final as (

    select
        customer_id,
        gender,
        date_of_birth as born_on,
        marital_status,
        dependents,
        education,
        region,
        city_tier,
        residence_type,
        created_at

    from source

)

select * from final
