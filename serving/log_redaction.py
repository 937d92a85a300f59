"""Keep request values out of the server log.

BentoML answers a request that fails validation with a 400 and logs the pydantic traceback,
whose text repeats every rejected value (`input_value='...'`). Applicants' incomes and debts
must not reach log files, so the record is rewritten before any handler sees it: the field,
the error type and the count stay, the values and the traceback go.
"""

from __future__ import annotations

import logging

__all__ = ["BENTOML_LOGGERS", "ValidationSummary", "install"]

# Where BentoML logs a failed request's exception (bentoml._internal.server.http_app.log_exception).
BENTOML_LOGGERS = ("bentoml._internal.server.http_app", "_bentoml_impl.server.app")


def _validation_error(exc: BaseException | None) -> BaseException | None:
    """The pydantic ValidationError in `exc`'s cause/context chain, if any."""
    from pydantic import ValidationError

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, ValidationError):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


class ValidationSummary(logging.Filter):
    """Replace a validation traceback with `field: error type` pairs, without values."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        error = _validation_error(exc)
        if error is None:
            return True
        details = error.errors(include_input=False, include_context=False, include_url=False)  # type: ignore[attr-defined]
        fields = ", ".join(
            f"{'.'.join(str(part) for part in d['loc']) or '<body>'}: {d['type']}" for d in details
        )
        record.msg = f"{record.getMessage()}: {len(details)} validation error(s) ({fields})"
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


_FILTER = ValidationSummary()


def install() -> None:
    """Add the filter to BentoML's request-error loggers (idempotent)."""
    for name in BENTOML_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
