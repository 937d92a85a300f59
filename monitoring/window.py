"""Which rows are "current": a window of serving.scoring_log, or a named batch of applications."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from credit_risk.schema_names import check_batch_name

__all__ = ["Selection", "parse_since", "parse_window", "select"]

WINDOW_PATTERN = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")
WINDOW_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Selection:
    """The current data: scoring_log rows scored in [since, until), or a batch's applications.

    For a batch, since/until (optional) bound the application date; left open, the batch's
    applications in the champion's training months are compared (see monitoring.current).
    """

    since: datetime | None = None
    until: datetime | None = None
    batch: str | None = None

    @property
    def kind(self) -> str:
        return "batch" if self.batch else "scoring_log"

    def describe(self) -> str:
        span = f"{_iso(self.since)} to {_iso(self.until)}"
        if self.batch:
            return f"batch {self.batch}" + ("" if self.since is None else f", applied {span}")
        return f"scoring_log {span}"


def _iso(moment: datetime | None) -> str:
    return "…" if moment is None else moment.isoformat(timespec="minutes")


def parse_window(text: str) -> timedelta:
    """'7d' → 7 days; hours (h), days (d) and weeks (w) are accepted."""
    match = WINDOW_PATTERN.match(text or "")
    if not match or int(match.group(1)) == 0:
        raise ValueError(
            f"window: {text!r} is not a duration such as 24h, 7d or 2w "
            "(a positive whole number and h, d or w)"
        )
    return timedelta(**{WINDOW_UNITS[match.group(2)]: int(match.group(1))})


def parse_since(text: str, name: str = "since") -> datetime:
    """An ISO date or date-time; naive values are taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except (AttributeError, ValueError):
        raise ValueError(
            f"{name}: {text!r} is not an ISO date or date-time (e.g. 2026-11-01 or "
            "2026-11-01T08:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _moment(value: str | date | datetime | None, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return parse_since(value, name)


def select(
    *,
    window: str | None = None,
    since: str | date | datetime | None = None,
    until: str | date | datetime | None = None,
    batch: str | None = None,
    now: datetime | None = None,
) -> Selection:
    """Validate the arguments of one monitoring run; every error names the argument at fault."""
    start, end = _moment(since, "since"), _moment(until, "until")
    if window is not None and window != "":
        if start is not None:
            raise ValueError("window and since: give one of them, not both")
        span = parse_window(window)
        end = end or (now or datetime.now(UTC))
        start = end - span
    if start is not None and end is not None and start >= end:
        raise ValueError(f"since ({start.isoformat()}) must be before until ({end.isoformat()})")
    if batch is not None:
        return Selection(since=start, until=end, batch=check_batch_name(batch, what="batch"))
    if start is None and end is None:
        raise ValueError(
            "no current data chosen: give --window (e.g. 7d), --since/--until, or --batch"
        )
    return Selection(since=start, until=end)
