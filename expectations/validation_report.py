"""What a validation run found, as data (JSON) and as an error message for people."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

NEXT_STEP = (
    "Fix the source data or regenerate it, then rerun; the current champion model is untouched."
)


@dataclass(frozen=True)
class ExpectationFailure:
    """One failed expectation, located down to the column where it applies."""

    suite: str
    table: str
    expectation: str
    column: str | None
    observed: str
    expected: str

    @property
    def where(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table

    def line(self) -> str:
        return f"{self.where}: {self.expectation} — {self.observed} (expected {self.expected})"


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    table: str
    success: bool
    evaluated: int
    succeeded: int

    @property
    def failed(self) -> int:
        return self.evaluated - self.succeeded


@dataclass
class ValidationSummary:
    success: bool
    results: list[SuiteResult] = field(default_factory=list)
    failures: list[ExpectationFailure] = field(default_factory=list)
    data_docs_index: Path | None = None
    seconds: float = 0.0

    @property
    def evaluated(self) -> int:
        return sum(r.evaluated for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "evaluated": self.evaluated,
            "failed": len(self.failures),
            "seconds": round(self.seconds, 3),
            "data_docs_index": str(self.data_docs_index) if self.data_docs_index else None,
            "results": [{**asdict(r), "failed": r.failed} for r in self.results],
            "failures": [asdict(f) for f in self.failures],
        }

    def write_json(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return path


class DataValidationError(RuntimeError):
    """The data broke at least one expectation; the message lists each one."""

    def __init__(self, summary: ValidationSummary) -> None:
        self.summary = summary
        super().__init__(failure_message(summary))


def failure_message(summary: ValidationSummary) -> str:
    failed_suites = sorted({f.suite for f in summary.failures})
    lines = [
        f"data validation failed: {len(summary.failures)} expectation(s) in "
        f"{len(failed_suites)} suite(s) ({', '.join(failed_suites)})",
        *(f"  {failure.line()}" for failure in summary.failures),
    ]
    if summary.data_docs_index:
        lines.append(f"Details in Data Docs: {summary.data_docs_index}")
    lines.append(NEXT_STEP)
    return "\n".join(lines)


def raise_for_failures(summary: ValidationSummary) -> None:
    """Raise DataValidationError when any expectation failed."""
    if not summary.success:
        raise DataValidationError(summary)
