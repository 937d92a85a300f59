{#-
    The default label of each booked loan: reached 90 days past due within 12 months of
    disbursement. Only what the extract knows (up to snapshot_on) counts, so is_default = false
    is final only for mature loans, whose 12-month window closed on or before the snapshot.
-#}
{{
    config(
        indexes=[{'columns': ['application_id'], 'unique': true}],
    )
}}

with

loans as (

    select * from {{ ref('stg_raw__loans') }}

),

disbursements as (

    select * from {{ ref('stg_raw__disbursements') }}

),

repayments as (

    select * from {{ ref('stg_raw__repayments') }}

),

extract_metadata as (

    select * from {{ ref('stg_raw__extract_metadata') }}

),

first_disbursements as (

    select
        loan_id,
        min(disbursed_on) as disbursed_on

    from disbursements
    group by loan_id

),

windows as (

    select
        loans.loan_id,
        loans.application_id,
        first_disbursements.disbursed_on,
        (first_disbursements.disbursed_on + interval '12 months')::date as observation_end_on,
        (select extract_metadata.snapshot_on from extract_metadata) as snapshot_on

    from loans
    inner join first_disbursements on loans.loan_id = first_disbursements.loan_id

),

defaults as (

    select distinct windows.loan_id

    from windows
    inner join repayments on windows.loan_id = repayments.loan_id
    where
        repayments.due_on + 90 <= least(windows.observation_end_on, windows.snapshot_on)
        and (repayments.paid_on is null or repayments.paid_on >= repayments.due_on + 90)

),

final as (

    select
        windows.application_id,
        windows.loan_id,
        windows.disbursed_on,
        windows.observation_end_on,
        defaults.loan_id is not null as is_default,
        windows.observation_end_on <= windows.snapshot_on as is_mature

    from windows
    left join defaults on windows.loan_id = defaults.loan_id

)

select * from final
