{{ config(materialized='view') }}

with

collateral as (

    select * from {{ ref('stg_raw__collateral') }}

),

final as (

    select
        application_id,
        count(*) as collateral_items,
        sum(market_value) as collateral_value

    from collateral
    group by application_id

)

select * from final
