with

source as (

    select * from {{ source('raw', 'guarantors') }}

),

final as (

    select
        guarantor_id,
        application_id,
        relationship as guarantor_relationship,
        monthly_income::double precision as monthly_income,
        added_on

    from source

)

select * from final
