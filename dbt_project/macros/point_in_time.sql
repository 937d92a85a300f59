{#-
    Point-in-time history, shared by application_features (as of each application date) and
    customer_features (as of the day after the extract), so both compute identical definitions.

    `anchors` is a relation with (anchor_id, customer_id, as_of_on), best declared
    `as not materialized` so PostgreSQL keeps its statistics. Only facts dated strictly
    before as_of_on are used, and payments are seen as they were known on as_of_on: an instalment
    paid after as_of_on counts as unpaid on that day.
-#}
{% macro repayment_history_as_of(anchors, loans, repayments, applications) -%}

    with

    prior_loans as not materialized (

        select
            {{ anchors }}.anchor_id,
            {{ anchors }}.as_of_on,
            {{ loans }}.loan_id

        from {{ anchors }}
        inner join {{ loans }}
            on {{ loans }}.customer_id = {{ anchors }}.customer_id
            and {{ loans }}.originated_on < {{ anchors }}.as_of_on

    ),

    -- joined on loan_id rather than customer_id: far fewer candidate rows per anchor
    installments_as_of as (

        select
            prior_loans.anchor_id,
            {{ repayments }}.due_on,
            greatest(
                least(coalesce({{ repayments }}.paid_on, prior_loans.as_of_on), prior_loans.as_of_on)
                - {{ repayments }}.due_on,
                0
            ) as days_past_due

        from prior_loans
        inner join {{ repayments }}
            on {{ repayments }}.loan_id = prior_loans.loan_id
            and {{ repayments }}.due_on < prior_loans.as_of_on

    ),

    loans_aggregated as (

        select
            anchor_id,
            count(*) as prior_loans

        from prior_loans
        group by anchor_id

    ),

    installments_aggregated as (

        select
            anchor_id,
            count(*) as prior_installments,
            avg(case when days_past_due > 0 then 1.0 else 0.0 end)::double precision as late_payment_ratio,
            max(days_past_due) as max_dpd_history,
            bool_or(days_past_due >= 90) as has_prior_default,
            -- a delinquency is an instalment reaching 30 days past due, dated the day it did
            max(case when days_past_due >= 30 then due_on + 30 end) as last_delinquency_on

        from installments_as_of
        group by anchor_id

    ),

    applications_aggregated as (

        select
            {{ anchors }}.anchor_id,
            count(*) as prior_applications_12m,
            -- a rejection counts only once it was decided, i.e. known on the anchor date
            count(*) filter (
                where {{ applications }}.application_status = 'rejected'
                    and {{ applications }}.decided_on < {{ anchors }}.as_of_on
            ) as prior_rejections_12m

        from {{ anchors }}
        inner join {{ applications }}
            on {{ applications }}.customer_id = {{ anchors }}.customer_id
            and {{ applications }}.applied_on < {{ anchors }}.as_of_on
            and {{ applications }}.applied_on >= ({{ anchors }}.as_of_on - interval '12 months')::date
        group by {{ anchors }}.anchor_id

    )

    select
        {{ anchors }}.anchor_id,
        coalesce(loans_aggregated.prior_loans, 0)::integer as prior_loans,
        coalesce(installments_aggregated.prior_installments, 0)::integer as prior_installments,
        installments_aggregated.late_payment_ratio,
        installments_aggregated.max_dpd_history::integer as max_dpd_history,
        coalesce(installments_aggregated.has_prior_default, false) as has_prior_default,
        installments_aggregated.last_delinquency_on,
        coalesce(applications_aggregated.prior_applications_12m, 0)::integer as prior_applications_12m,
        coalesce(applications_aggregated.prior_rejections_12m, 0)::integer as prior_rejections_12m

    from {{ anchors }}
    left join loans_aggregated on loans_aggregated.anchor_id = {{ anchors }}.anchor_id
    left join installments_aggregated on installments_aggregated.anchor_id = {{ anchors }}.anchor_id
    left join applications_aggregated on applications_aggregated.anchor_id = {{ anchors }}.anchor_id

{%- endmacro %}


{#-
    The latest bureau report pulled on or before each anchor's as_of_on (an as-of join), with the
    bureau features derived from it. Anchors without such a report are thin files.
-#}
{% macro bureau_report_as_of(anchors, reports) -%}

    with

    latest_reports as (

        -- distinct on keeps the first row per anchor: the latest report, ties by report_id
        select distinct on ({{ anchors }}.anchor_id)
            {{ anchors }}.anchor_id,
            {{ anchors }}.as_of_on,
            {{ reports }}.*

        from {{ anchors }}
        left join {{ reports }}
            on {{ reports }}.customer_id = {{ anchors }}.customer_id
            and {{ reports }}.pulled_on <= {{ anchors }}.as_of_on
        order by {{ anchors }}.anchor_id, {{ reports }}.pulled_on desc, {{ reports }}.report_id desc

    )

    select
        anchor_id,
        report_id,
        pulled_on,
        report_id is null as is_thin_file,
        bureau_score,
        prior_accounts,
        open_accounts,
        total_credit_limit,
        total_balance,
        {{ safe_divide('total_balance', 'total_credit_limit') }} as credit_utilization,
        delinquencies as bureau_delinquencies,
        max_dpd as bureau_max_dpd,
        last_delinquency_on,
        enquiries_last_6m,
        oldest_account_on,
        floor({{ floor_at_zero(months_between('oldest_account_on', 'as_of_on')) }})::integer
            as credit_history_months

    from latest_reports

{%- endmacro %}
