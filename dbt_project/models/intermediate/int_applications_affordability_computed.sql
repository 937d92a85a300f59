{#- The new loan's instalment and the affordability ratios, exactly as credit_risk.finance does. -#}

with

applications as (

    select * from {{ ref('stg_raw__applications') }}

),

employment as (

    select * from {{ ref('stg_raw__employment') }}

),

collateral as (

    select * from {{ ref('int_collateral_aggregated_to_applications') }}

),

priced as (

    select
        applications.application_id,
        applications.loan_amount,
        applications.existing_monthly_debt,
        applications.monthly_rent,
        employment.monthly_income,
        collateral.collateral_value,
        {{ emi('applications.loan_amount', 'applications.interest_rate', 'applications.tenure_months') }} as emi

    from applications
    left join employment on applications.customer_id = employment.customer_id
    left join collateral on applications.application_id = collateral.application_id

),

final as (

    select
        application_id,
        emi,
        {{ safe_divide('existing_monthly_debt + emi', 'monthly_income') }} as dti,
        {{ safe_divide('emi', 'monthly_income') }} as emi_to_income,
        {{ safe_divide('loan_amount', '12.0 * monthly_income') }} as lti,
        {{ safe_divide('existing_monthly_debt + emi + monthly_rent', 'monthly_income') }} as foir,
        {{ safe_divide('loan_amount', 'collateral_value') }} as ltv,
        collateral_value,
        collateral_value is not null as has_collateral,
        monthly_income - (existing_monthly_debt + emi) - monthly_rent as residual_income

    from priced

)

select * from final
