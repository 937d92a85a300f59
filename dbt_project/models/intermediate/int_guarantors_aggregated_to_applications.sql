{{ config(materialized='view') }}

with

guarantors as (

    select * from {{ ref('stg_raw__guarantors') }}

),

final as (

    select
        application_id,
        count(*) as guarantors,
        sum(monthly_income) as guarantor_monthly_income

    from guarantors
    group by application_id

)

select * from final
