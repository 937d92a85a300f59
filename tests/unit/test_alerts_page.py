"""The alerts-first page: its headline agrees with the run's status, every alert is on it with
its numbers and what to do, values are escaped, and latest.html leads to the newest run."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from monitoring.alerts import evaluate_alerts
from monitoring.alerts_page import LATEST_PAGE, write_alerts_page
from monitoring.publish import run_folder
from monitoring.run_report import Summary
from tests.unit.test_monitoring_alerts import (
    HEALTHY_BOOK,
    QUIET_QUALITY,
    SETTINGS,
    drift,
    feature,
)

NOW = datetime(2026, 12, 1, 6, tzinfo=UTC)


def summary(folder: Path, score_psi: float, description: str = "batch recession") -> Summary:
    moved = drift(score_psi, dti=feature("dti", 0.3, reference_mean=0.4, current_mean=0.6))
    alerts = evaluate_alerts(moved, QUIET_QUALITY, HEALTHY_BOOK, SETTINGS)
    (folder / "drift.html").write_text("<html>Dataset Drift is NOT detected</html>")
    return Summary(
        NOW,
        NOW,
        "credit-risk",
        3,
        "batch",
        description,
        1000,
        "stored",
        "2023-07-01 to 2024-12-31",
        moved,
        QUIET_QUALITY,
        HEALTHY_BOOK,
        alerts,
        report_path=folder / "index.html",
    )


def test_an_alerting_run_leads_with_its_alerts_and_what_to_do(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, "credit-risk", 3, "20261201T060000Z")
    run = summary(folder, score_psi=0.31)
    page = write_alerts_page(run, folder).read_text()

    assert run.status == "alert" and len(run.alerts) >= 2
    headline = re.search(r"id='headline'>([^<]*)<", page)
    assert headline is not None and headline.group(1).startswith(f"ALERT ({len(run.alerts)})")
    assert "<h1>Monitoring: ALERT</h1>" in page
    assert page.index("id='alerts'") < page.index("<h2>Drift</h2>") < page.index("drift.html")
    for alert in run.alerts:
        assert f"data-name='{alert.name}'" in page
    assert "against a limit of 0.25" in page and "credit-risk run pipeline --no-generate" in page
    assert "the status above is the one that pages" in page
    assert run.reports() == {
        "alerts": str(folder / "index.html"),
        "drift": str(folder / "drift.html"),
    }


def test_a_quiet_run_says_ok_and_latest_points_at_the_newest_run(tmp_path: Path) -> None:
    first = run_folder(tmp_path, "credit-risk", 3, "20261201T060000Z")
    write_alerts_page(summary(first, score_psi=0.31), first)
    second = run_folder(tmp_path, "credit-risk", 3, "20261202T060000Z")
    quiet = summary(second, score_psi=0.01, description="window <script>x</script>")
    quiet.alerts = []
    page = write_alerts_page(quiet, second).read_text()

    assert "<h1>Monitoring: OK</h1>" in page and "No threshold was breached" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    latest = (tmp_path / "monitoring" / LATEST_PAGE).read_text()
    assert "url=credit-risk/v3/20261202T060000Z/index.html" in latest
    assert "OK:" in latest
