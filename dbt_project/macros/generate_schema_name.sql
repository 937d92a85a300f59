{#- Layers live in schemas named exactly staging / intermediate / marts, not analytics_staging.
    A named batch (var schema_prefix, e.g. recession_2026) builds into <prefix>_staging and so on,
    beside the main layers and without touching them. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set prefix = var('schema_prefix', '') | trim -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif prefix -%}
        {{ prefix }}_{{ custom_schema_name | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
