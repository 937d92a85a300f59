"""The console's form: the body it sends, the API's own checks, and a service that is down."""

from __future__ import annotations

from console.application_form import APPLICANT, check, label, request_body
from console.context import ConsoleContext
from console.scoring_client import score_application


def _defaults() -> dict[str, object]:
    return {f.name: f.default for f in APPLICANT}


def test_the_default_form_is_a_valid_application() -> None:
    body = request_body(_defaults())
    assert check(body) == {}
    assert "collateral_value" not in body  # left empty: none pledged
    assert body["age_years"] == 35 and isinstance(body["age_years"], int)


def test_the_bureau_report_goes_in_only_when_asked() -> None:
    report = {"bureau_score": 700, "open_accounts": None}
    body = request_body(_defaults(), report, pulled_on="2026-11-30")
    assert body["bureau"] == {"bureau_score": 700, "pulled_on": "2026-11-30"}
    assert "bureau" not in request_body(_defaults())


def test_problems_are_named_as_the_api_names_them() -> None:
    problems = check(request_body({**_defaults(), "age_years": 15, "monthly_income": -1.0}))
    assert set(problems) == {"age_years", "monthly_income"}
    assert problems["age_years"] == "Input should be greater than or equal to 18"
    assert label("age_years") == "Age (years)"
    assert label("bureau.bureau_score") == "Bureau report: Bureau score"


def test_a_service_that_is_down_is_said_in_words() -> None:
    context = ConsoleContext(
        dsn="",
        service_url="http://127.0.0.1:1",
        api_key=None,
        model_name="credit-risk",
        mlflow_url="",
        evidently_url="",
        npa_ratio_limit=0.05,
        default_rate_limit=0.10,
    )
    scored = score_application(context, request_body(_defaults()))
    assert scored.result is None
    assert scored.error is not None
    assert "the scoring service at http://127.0.0.1:1 did not answer" in scored.error
    assert "credit-risk serve" in scored.error
