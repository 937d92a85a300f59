{#- Loan arithmetic; must agree with credit_risk/finance.py (the parity test compares them). -#}

{#- Equated monthly instalment P·r·(1+r)^n / ((1+r)^n − 1), r the monthly rate, rounded to cents. -#}
{% macro emi(principal, annual_rate_pct, tenure_months) -%}
    round((
        case
            when {{ annual_rate_pct }} = 0 then {{ principal }} / {{ tenure_months }}
            else {{ principal }} * ({{ annual_rate_pct }} / 1200.0)
                * power(1 + {{ annual_rate_pct }} / 1200.0, {{ tenure_months }})
                / (power(1 + {{ annual_rate_pct }} / 1200.0, {{ tenure_months }}) - 1)
        end
    )::numeric, 2)::double precision
{%- endmacro %}

{#- Division that yields NULL instead of an error when the denominator is zero. -#}
{% macro safe_divide(numerator, denominator) -%}
    ({{ numerator }})::double precision / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- Months between two dates, using the average month of 365.25 / 12 days. -#}
{% macro months_between(earlier_on, later_on) -%}
    (({{ later_on }}) - ({{ earlier_on }}))::double precision / 30.4375
{%- endmacro %}

{#- max(expression, 0) that keeps NULL as NULL (greatest() would turn NULL into 0). -#}
{% macro floor_at_zero(expression) -%}
    case when ({{ expression }}) < 0 then 0 else ({{ expression }}) end
{%- endmacro %}
