{#-
    One row per application with every feature of credit_risk.contract.FEATURES, each computed
    only from what was known on the application date. Missing values stay NULL: imputation is
    fitted on training data, so it belongs to the model pipeline, not here.
-#}
{{
    config(
        indexes=[
            {'columns': ['application_id'], 'unique': true},
            {'columns': ['applied_on']},
            {'columns': ['customer_id']},
        ],
    )
}}

with

applications as (

    select * from {{ ref('stg_raw__applications') }}

),

customers as (

    select * from {{ ref('stg_raw__customers') }}

),

employment as (

    select * from {{ ref('stg_raw__employment') }}

),

affordability as (

    select * from {{ ref('int_applications_affordability_computed') }}

),

guarantors as (

    select * from {{ ref('int_guarantors_aggregated_to_applications') }}

),

bureau as (

    select * from {{ ref('int_applications_bureau_joined') }}

),

history as (

    select * from {{ ref('int_applications_history_joined') }}

),

applicants as (

    select
        applications.*,
        customers.gender,
        customers.dependents,
        employment.monthly_income,
        employment.employment_type,
        extract(year from age(applications.applied_on, customers.born_on))::integer as age_years,
        -- employment is recorded once per customer; age its tenure to the application date
        {{ floor_at_zero(
            'employment.years_employed
                + (applications.applied_on - employment.recorded_on)::double precision / 365.25'
        ) }} as years_employed

    from applications
    inner join customers on applications.customer_id = customers.customer_id
    left join employment on applications.customer_id = employment.customer_id

),

final as (

    select
        applicants.application_id,
        applicants.customer_id,
        applicants.applied_on,

        -- the application
        applicants.loan_amount,
        applicants.tenure_months,
        applicants.interest_rate,
        affordability.emi,
        applicants.monthly_income,
        applicants.existing_monthly_debt,
        applicants.monthly_rent,
        affordability.dti,
        affordability.emi_to_income,
        affordability.lti,
        affordability.foir,
        affordability.ltv,
        affordability.collateral_value,
        affordability.has_collateral,
        guarantors.application_id is not null as has_guarantor,
        affordability.residual_income,
        applicants.age_years,
        applicants.dependents,
        applicants.years_employed,
        {{ safe_divide('applicants.years_employed', 'applicants.age_years') }} as employment_stability,
        {{ safe_divide('applicants.monthly_income', 'applicants.dependents + 1') }} as income_per_dependent,
        applicants.employment_type,
        applicants.loan_purpose,

        -- the credit bureau, latest report on or before the application date
        bureau.is_thin_file,
        bureau.bureau_score,
        bureau.prior_accounts,
        bureau.open_accounts,
        bureau.total_credit_limit,
        bureau.credit_utilization,
        bureau.bureau_delinquencies,
        bureau.bureau_max_dpd,
        {{ floor_at_zero(months_between(
            'greatest(bureau.bureau_last_delinquency_on, history.last_internal_delinquency_on)',
            'applicants.applied_on'
        )) }} as months_since_last_delinquency,
        bureau.enquiries_last_6m,
        bureau.credit_history_months,

        -- repayment history with us, strictly before the application date
        history.prior_loans,
        history.prior_installments,
        history.late_payment_ratio,
        history.max_dpd_history,
        history.has_prior_default,
        history.prior_applications_12m,
        history.prior_rejections_12m,

        -- protected attributes, carried for fairness checks only
        applicants.gender,
        {{ age_band('applicants.age_years') }} as age_band

    from applicants
    inner join affordability on applicants.application_id = affordability.application_id
    inner join bureau on applicants.application_id = bureau.application_id
    inner join history on applicants.application_id = history.application_id
    left join guarantors on applicants.application_id = guarantors.application_id

)

select * from final
