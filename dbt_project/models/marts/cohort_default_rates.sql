{#- Default rate by origination month, over loans whose 12-month window has closed. -#}
with

labels as (

    select * from {{ ref('application_labels') }}

),

performance as (

    select * from {{ ref('int_installments_aggregated_to_loans') }}

),

grouped as (

    select
        performance.origination_month,
        count(*) as loans,
        count(*) filter (where labels.is_mature) as mature_loans,
        count(*) filter (where labels.is_mature and labels.is_default) as defaulted_loans

    from labels
    inner join performance on labels.loan_id = performance.loan_id
    group by performance.origination_month

),

final as (

    select
        origination_month,
        loans,
        mature_loans,
        defaulted_loans,
        {{ safe_divide('defaulted_loans', 'mature_loans') }} as default_rate

    from grouped

)

select * from final
