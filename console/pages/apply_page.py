"""Apply: the application form, the decision with its reasons, and what-if."""

from __future__ import annotations

from typing import Any

import streamlit as st

from console.application_form import (
    APPLICANT,
    BUREAU,
    WHAT_IF_FIELDS,
    FormField,
    check,
    label,
    request_body,
)
from console.charts import score_gauge
from console.context import page_context
from console.scoring_client import score_application

DECISION = "decision"  # session keys: (body, result) of the application and of the what-if
WHAT_IF = "what_if"


def _widget(container: Any, field: FormField, prefix: str, default: Any = None) -> Any:
    key = f"{prefix}_{field.name}"
    value = field.default if default is None else default
    if field.options:
        return container.selectbox(
            field.label, field.options, index=field.options.index(value), key=key
        )
    if field.whole:
        return container.number_input(field.label, value=value, step=1, key=key)
    step = 100.0 if isinstance(field.default, float) and field.default >= 100 else 0.5
    return container.number_input(field.label, value=value, step=step, key=key)


def _show_problems(problems: dict[str, str]) -> None:
    st.error("Please correct the application:")
    for field_path, message in problems.items():
        st.error(f"**{label(field_path)}**: {message}", icon=":material/error:")


def _score(body: dict[str, Any]) -> dict[str, Any] | None:
    """Check the body as the service would, then score it; show what went wrong if anything."""
    problems = check(body)
    if problems:
        _show_problems(problems)
        return None
    scored = score_application(page_context(), body)
    if scored.error:
        st.error(scored.error)
    elif scored.field_errors:
        _show_problems(scored.field_errors)
    return scored.result


def _decision(container: Any, result: dict[str, Any], title: str) -> None:
    container.subheader(title)
    container.altair_chart(score_gauge(result["credit_score"]), use_container_width=True)
    approved = result["decision"] == "approve"
    verdict = "APPROVE" if approved else "REJECT"
    container.markdown(
        f"### {':green' if approved else ':red'}[{verdict}]\n"
        f"Credit score **{result['credit_score']}** · risk band **{result['risk_band'].replace('_', ' ')}** · "
        f"probability of default **{result['probability']:.1%}** (cut-off {result['threshold']:.1%})"
    )
    reasons = result.get("reasons") or []
    if reasons:
        container.markdown("**Principal reasons**")
        container.markdown("\n".join(f"{i}. {r['text']}" for i, r in enumerate(reasons, 1)))
    else:
        container.markdown(
            "No factor weighs against this application more than for the applicants at the cut-off."
        )
    factors = result.get("key_factors") or {}
    if factors:
        a, b, c, d = container.columns(4)
        a.metric("Debt-to-income", f"{factors['dti']:.0%}")
        b.metric("Loan-to-income", f"{factors['lti']:.2f}")
        c.metric("Instalment (EMI)", f"{factors['emi']:,.0f}")
        d.metric("Monthly income", f"{factors['monthly_income']:,.0f}")
    container.caption(
        f"Decision id {result['decision_id']} · model version {result['model_version']}"
    )


st.title("Loan application")
st.caption(
    "Scored by the scoring service: the same model, checks and reasons as every other channel."
)
with st.form("application"):
    left, right = st.columns(2)
    applicant = {
        f.name: _widget(left if i % 2 == 0 else right, f, "app") for i, f in enumerate(APPLICANT)
    }
    with st.expander("Credit bureau report, if one was pulled"):
        include_bureau = st.checkbox("Send the bureau report", key="bureau_include")
        columns = st.columns(3)
        bureau = {f.name: _widget(columns[i % 3], f, "bureau") for i, f in enumerate(BUREAU)}
    submitted = st.form_submit_button("Score the application", type="primary")

if submitted:
    st.session_state.pop(DECISION, None)
    st.session_state.pop(WHAT_IF, None)
    body = request_body(applicant, bureau if include_bureau else None)
    result = _score(body)
    if result is not None:
        st.session_state[DECISION] = (body, result)

if DECISION in st.session_state:
    body, first = st.session_state[DECISION]
    st.divider()
    what_if = st.session_state.get(WHAT_IF)
    if what_if is None:
        _decision(st, first, "Decision")
    else:
        before, after = st.columns(2)
        _decision(before, first, "As applied")
        _decision(after, what_if[1], "What if")
        st.metric(
            "Credit score change",
            what_if[1]["credit_score"],
            delta=what_if[1]["credit_score"] - first["credit_score"],
        )
    st.divider()
    st.subheader("What if")
    st.caption(
        "Change income, amount, tenure or debt and see the score and decision beside the first."
    )
    fields = {f.name: f for f in APPLICANT}
    what_if_columns = st.columns(len(WHAT_IF_FIELDS))
    changes = {
        name: _widget(column, fields[name], "whatif", body.get(name))
        for column, name in zip(what_if_columns, WHAT_IF_FIELDS, strict=True)
    }
    if st.button("Score the what-if", key="whatif_score"):
        changed = {**body, **{k: v for k, v in changes.items() if v is not None}}
        result = _score(changed)
        if result is not None:
            st.session_state[WHAT_IF] = (changed, result)
            st.rerun()
