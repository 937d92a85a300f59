with

source as (

    select * from {{ source('raw', 'disbursements') }}

),

final as (

    select
        disbursement_id,
        loan_id,
        disbursed_on,
        amount::double precision as disbursed_amount,
        method as disbursement_method

    from source

)

select * from final
