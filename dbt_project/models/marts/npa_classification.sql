{#- Each loan's RBI asset class on the extract date, beside the source system's own NPA record. -#}
with

loans as (

    select * from {{ ref('int_installments_aggregated_to_loans') }}

),

npa_tracking as (

    select * from {{ ref('stg_raw__npa_tracking') }}

),

aged as (

    select
        *,
        -- an NPA from the day its oldest unpaid instalment is more than 90 days overdue
        case when days_past_due > 90 then oldest_unpaid_due_on + 91 end as npa_since_on

    from loans

),

classified as (

    select
        *,
        {{ months_between('npa_since_on', 'snapshot_on') }} as months_as_npa,
        {{ asset_class('days_past_due', months_between('npa_since_on', 'snapshot_on'), 'loan_status') }}
            as asset_class

    from aged

),

final as (

    select
        classified.loan_id,
        classified.customer_id,
        classified.loan_status,
        classified.snapshot_on,
        classified.days_past_due,
        classified.outstanding_principal,
        classified.npa_since_on,
        classified.months_as_npa,
        classified.asset_class,
        classified.asset_class in ('sub_standard', 'doubtful', 'loss') as is_npa,
        npa_tracking.npa_classification as recorded_npa_classification

    from classified
    left join npa_tracking on classified.loan_id = npa_tracking.loan_id

)

select * from final
