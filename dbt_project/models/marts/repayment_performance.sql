{#- Instalments due by the extract date, by loan origination month: paid on time, late, unpaid. -#}
with

performance as (

    select * from {{ ref('int_installments_aggregated_to_loans') }}

),

grouped as (

    select
        origination_month,
        count(*) as loans,
        sum(installments_due) as installments_due,
        sum(installments_paid_on_time) as installments_paid_on_time,
        sum(installments_paid_late) as installments_paid_late,
        sum(installments_unpaid) as installments_unpaid

    from performance
    group by origination_month

),

final as (

    select
        origination_month,
        loans,
        installments_due::bigint as installments_due,
        installments_paid_on_time::bigint as installments_paid_on_time,
        installments_paid_late::bigint as installments_paid_late,
        installments_unpaid::bigint as installments_unpaid,
        {{ safe_divide('installments_paid_on_time', 'installments_due') }} as on_time_share,
        -- the same share over the whole book up to and including this origination month
        {{ safe_divide(
            'sum(installments_paid_on_time) over (order by origination_month)',
            'sum(installments_due) over (order by origination_month)'
        ) }} as cumulative_on_time_share

    from grouped

)

select * from final
