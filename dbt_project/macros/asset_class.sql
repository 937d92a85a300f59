{#-
    RBI asset classification of a loan on the snapshot date: special-mention buckets by days past
    due, NPA once more than 90 days past due (sub-standard for up to 12 months, doubtful after),
    loss once written off as uncollectible.
-#}
{% macro asset_class(days_past_due, months_as_npa, loan_status) -%}
    case
        when {{ loan_status }} = 'written_off' then 'loss'
        when {{ days_past_due }} > 90 and {{ months_as_npa }} > 12 then 'doubtful'
        when {{ days_past_due }} > 90 then 'sub_standard'
        when {{ days_past_due }} > 60 then 'sma_2'
        when {{ days_past_due }} > 30 then 'sma_1'
        when {{ days_past_due }} > 0 then 'sma_0'
        else 'standard'
    end
{%- endmacro %}
