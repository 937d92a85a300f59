{#- Early warning: open loans whose last three instalments due by the extract date were all late. -#}
with

loans as (

    select * from {{ ref('int_installments_aggregated_to_loans') }}

),

repayments as (

    select * from {{ ref('stg_raw__repayments') }}

),

extract_metadata as (

    select * from {{ ref('stg_raw__extract_metadata') }}

),

recent_installments as (

    select
        repayments.loan_id,
        repayments.due_on,
        repayments.paid_on is null or repayments.paid_on > repayments.due_on as is_late,
        repayments.paid_on is null as is_unpaid,
        row_number() over (partition by repayments.loan_id order by repayments.due_on desc)
            as recency_rank

    from repayments
    -- a scalar subquery, not a join, so the planner streams repayments instead of buffering them
    where repayments.due_on <= (select extract_metadata.snapshot_on from extract_metadata)

),

last_three as (

    select
        loan_id,
        min(due_on) as first_due_on,
        max(due_on) as last_due_on,
        count(*) filter (where is_unpaid) as unpaid_installments

    from recent_installments
    where recency_rank <= 3
    group by loan_id
    having count(*) = 3 and bool_and(is_late)

),

final as (

    select
        loans.loan_id,
        loans.customer_id,
        loans.loan_status,
        last_three.first_due_on,
        last_three.last_due_on,
        last_three.unpaid_installments,
        loans.days_past_due,
        loans.outstanding_principal

    from last_three
    inner join loans on last_three.loan_id = loans.loan_id
    where loans.loan_status in ('active', 'defaulted')

)

select * from final
