with

source as (

    select * from {{ source('raw', 'npa_tracking') }}

),

final as (

    select
        npa_id,
        loan_id,
        npa_on,
        days_past_due,
        classification as npa_classification,
        outstanding_principal::double precision as outstanding_principal,
        recorded_on

    from source

)

select * from final
