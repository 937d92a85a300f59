with

source as (

    select * from {{ source('raw', 'repayments') }}

),

final as (

    select
        repayment_id,
        loan_id,
        installment_number,
        due_on,
        amount_due::double precision as amount_due,
        principal_due::double precision as principal_due,
        interest_due::double precision as interest_due,
        paid_on,
        amount_paid::double precision as amount_paid,
        days_past_due as days_past_due_at_snapshot,
        status as repayment_status

    from source

)

select * from final
