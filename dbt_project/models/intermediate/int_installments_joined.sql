{{ config(materialized='view') }}

with

repayments as (

    select * from {{ ref('stg_raw__repayments') }}

),

loans as (

    select * from {{ ref('stg_raw__loans') }}

),

final as (

    select
        repayments.repayment_id,
        repayments.loan_id,
        loans.customer_id,
        loans.originated_on,
        repayments.installment_number,
        repayments.due_on,
        repayments.paid_on,
        repayments.amount_due,
        repayments.principal_due,
        repayments.amount_paid

    from repayments
    inner join loans on loans.loan_id = repayments.loan_id

)

select * from final
