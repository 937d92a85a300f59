{#- Early warning: open loans whose last three instalments due by the extract date were all late. -#}
with

loans as (

    select * from {{ ref('int_installments_aggregated_to_loans') }}

),

installments as (

    select * from {{ ref('int_installments_joined') }}

),

extract_metadata as (

    select * from {{ ref('stg_raw__extract_metadata') }}

),

recent_installments as (

    select
        installments.loan_id,
        installments.due_on,
        installments.paid_on is null or installments.paid_on > installments.due_on as is_late,
        installments.paid_on is null as is_unpaid,
        row_number() over (partition by installments.loan_id order by installments.due_on desc)
            as recency_rank

    from installments
    cross join extract_metadata
    where installments.due_on <= extract_metadata.snapshot_on

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
    inner join loans on loans.loan_id = last_three.loan_id
    where loans.loan_status in ('active', 'defaulted')

)

select * from final
