with

source as (

    select * from {{ source('raw', 'collateral') }}

),

final as (

    select
        collateral_id,
        application_id,
        collateral_type,
        market_value::double precision as market_value,
        valued_on

    from source

)

select * from final
