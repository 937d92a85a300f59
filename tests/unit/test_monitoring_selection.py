"""Choosing the current data: windows, dates and batch names, with errors that name the argument."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.window import parse_window, select

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("24h", timedelta(hours=24)), ("7d", timedelta(days=7)), (" 2w ", timedelta(weeks=2))],
)
def test_windows_are_hours_days_or_weeks(text: str, expected: timedelta) -> None:
    assert parse_window(text) == expected


@pytest.mark.parametrize("text", ["7", "7x", "-1d", "0d", "1.5d", ""])
def test_a_bad_window_names_the_argument_and_the_format(text: str) -> None:
    with pytest.raises(ValueError, match=r"window: .* is not a duration such as 24h, 7d or 2w"):
        parse_window(text)


def test_a_window_ends_now_or_at_until() -> None:
    assert select(window="7d", now=NOW) == select(since=NOW - timedelta(days=7), until=NOW)
    chosen = select(window="1d", until="2026-11-01")
    assert chosen.since == datetime(2026, 10, 31, tzinfo=UTC)
    assert chosen.kind == "scoring_log"


def test_naive_dates_are_utc() -> None:
    chosen = select(since="2026-11-01T08:00", until="2026-11-02")
    assert chosen.since == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    assert chosen.until == datetime(2026, 11, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window": "7d", "since": "2026-11-01"}, "window and since: give one of them"),
        ({"since": "2026-11-02", "until": "2026-11-01"}, r"since \(.*\) must be before until"),
        ({"since": "yesterday"}, "since: 'yesterday' is not an ISO date"),
        ({"until": "2026-13-01", "since": "2026-11-01"}, "until: '2026-13-01' is not an ISO date"),
        ({}, "no current data chosen: give --window"),
        ({"batch": "Recession"}, "batch: 'Recession' is not a schema name"),
        ({"batch": "drop table x"}, "is not a schema name"),
        ({"batch": "marts"}, "batch: 'marts' is one of the platform's own schemas"),
        ({"batch": "b" * 60}, "at most 50 characters"),
    ],
)
def test_bad_arguments_get_a_clear_error(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        select(**kwargs)  # type: ignore[arg-type]


def test_a_batch_may_be_bounded_by_application_dates() -> None:
    whole = select(batch="recession_2026")
    assert (whole.kind, whole.since, whole.until) == ("batch", None, None)
    bounded = select(batch="recession_2026", since="2024-01-01", until="2024-07-01")
    assert bounded.batch == "recession_2026"
    assert "applied 2024-01-01" in bounded.describe()
