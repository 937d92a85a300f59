{#- The book by loan purpose and by region: loans, live outstanding and default rate per segment. -#}
with

loans as (

    select * from {{ ref('npa_classification') }}

),

loan_applications as (

    select * from {{ ref('stg_raw__loans') }}

),

applications as (

    select * from {{ ref('stg_raw__applications') }}

),

customers as (

    select * from {{ ref('stg_raw__customers') }}

),

segmented as (

    select
        loans.loan_id,
        loans.loan_status,
        loans.outstanding_principal,
        applications.loan_purpose,
        customers.region

    from loans
    inner join loan_applications on loans.loan_id = loan_applications.loan_id
    inner join applications on loan_applications.application_id = applications.application_id
    inner join customers on loans.customer_id = customers.customer_id

),

by_dimension as (

    select
        'loan_purpose' as dimension,
        loan_purpose as segment,
        loan_status,
        outstanding_principal

    from segmented

    union all

    select
        'region' as dimension,
        region as segment,
        loan_status,
        outstanding_principal

    from segmented

),

grouped as (

    select
        dimension,
        segment,
        count(*) as loans,
        count(*) filter (where loan_status in ('defaulted', 'written_off')) as defaulted_loans,
        -- concentration is of the live book: closed loans carry no exposure
        coalesce(sum(outstanding_principal) filter (where loan_status <> 'closed'), 0)
            as outstanding_principal

    from by_dimension
    group by dimension, segment

),

final as (

    select
        dimension,
        segment,
        loans,
        defaulted_loans,
        outstanding_principal,
        {{ safe_divide('outstanding_principal', 'sum(outstanding_principal) over (partition by dimension)') }}
            as outstanding_share,
        {{ safe_divide('defaulted_loans', 'loans') }} as default_rate

    from grouped

)

select * from final
