{#- Age bands for fairness checks; must agree with credit_risk.contract.age_band. -#}
{% macro age_band(age_years) -%}
    case
        when {{ age_years }} <= 25 then '18-25'
        when {{ age_years }} <= 35 then '26-35'
        when {{ age_years }} <= 45 then '36-45'
        when {{ age_years }} <= 55 then '46-55'
        else '56+'
    end
{%- endmacro %}
