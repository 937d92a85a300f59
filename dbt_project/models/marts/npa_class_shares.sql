{#- The live book (loans not closed) by asset class: counts, outstanding and shares. -#}
with

classified as (

    select * from {{ ref('npa_classification') }}

),

live_book as (

    select * from classified
    where loan_status <> 'closed'

),

grouped as (

    select
        asset_class,
        bool_or(is_npa) as is_npa,
        count(*) as loans,
        sum(outstanding_principal) as outstanding_principal

    from live_book
    group by asset_class

),

final as (

    select
        asset_class,
        is_npa,
        loans,
        outstanding_principal,
        {{ safe_divide('loans', 'sum(loans) over ()') }} as loan_share,
        {{ safe_divide('outstanding_principal', 'sum(outstanding_principal) over ()') }} as outstanding_share

    from grouped

)

select * from final
