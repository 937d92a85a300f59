"""The server log names a rejected field and its error type, never the submitted value."""

from __future__ import annotations

import logging
import sys

import pytest
from pydantic import ValidationError

from serving.log_redaction import BENTOML_LOGGERS, install
from serving.schemas import Application


def _record() -> logging.LogRecord:
    try:
        Application.model_validate({"monthly_income": "SECRET-12345"})
    except ValidationError:
        exc_info = sys.exc_info()
    return logging.LogRecord(
        BENTOML_LOGGERS[0], logging.ERROR, __file__, 1, "Exception on %s [%s]",
        ("/score", "POST"), exc_info,
    )  # fmt: skip


def test_a_validation_traceback_becomes_fields_and_error_types(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install()
    install()  # idempotent
    logger = logging.getLogger(BENTOML_LOGGERS[0])
    assert len([f for f in logger.filters if type(f).__name__ == "ValidationSummary"]) == 1
    with caplog.at_level(logging.ERROR, logger=BENTOML_LOGGERS[0]):
        logger.handle(_record())
    text = caplog.text
    assert "SECRET-12345" not in text
    assert "Exception on /score [POST]" in text
    assert "monthly_income: float_type" in text or "monthly_income: float_parsing" in text
    assert "loan_amount: missing" in text


def test_other_errors_keep_their_traceback() -> None:
    from serving.log_redaction import ValidationSummary

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert ValidationSummary().filter(record) and record.exc_info is not None


def test_workers_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from serving.service import WORKERS_ENV, workers_from_env

    monkeypatch.delenv(WORKERS_ENV, raising=False)
    assert workers_from_env() == 1
    monkeypatch.setenv(WORKERS_ENV, "2")
    assert workers_from_env() == 2
    for bad in ("0", "two"):
        monkeypatch.setenv(WORKERS_ENV, bad)
        with pytest.raises(ValueError, match=WORKERS_ENV):
            workers_from_env()
