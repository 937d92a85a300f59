"""The page an on-call engineer opens first: the run's verdict, each alert and what to do, then
the way into Evidently's reports.

Evidently's drift report leads with its own dataset-drift verdict (the share of drifted
features), which can say "not detected" on a run whose score PSI, mean shifts or portfolio
limits raised alerts. This page leads with the run's status instead, and says why the two differ.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from monitoring.alerts import readable
from monitoring.run_report import TOP_FEATURES, mean_change

if TYPE_CHECKING:
    from monitoring.run_report import Summary

__all__ = ["LATEST_PAGE", "PAGE", "write_alerts_page", "write_latest_page"]

PAGE = "index.html"
LATEST_PAGE = "latest.html"
REPORTS = (
    ("drift.html", "Evidently drift report", "per-feature drift, score distribution"),
    ("quality.html", "Evidently quality report", "AUC and log loss on mature labels"),
    ("summary.json", "Summary (JSON)", "everything on this page, for tools"),
)

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1f2328; }
.banner { padding: 1rem 1.25rem; border-radius: 6px; font-size: 1.1rem; }
.alert { background: #ffebe9; border: 1px solid #cf222e; }
.ok { background: #dafbe1; border: 1px solid #1a7f37; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.6rem; text-align: left; }
li { margin-bottom: 0.6rem; }
.note { color: #57606a; font-size: 0.9rem; }
"""


def write_alerts_page(summary: Summary, folder: Path) -> Path:
    """folder/index.html for this run, and latest.html beside latest.json pointing at it."""
    page = folder / PAGE
    page.write_text(render(summary, folder))
    write_latest_page(folder.parents[2], page, summary.headline())
    return page


def write_latest_page(monitoring_dir: Path, page: Path, headline: str) -> Path:
    """reports/monitoring/latest.html: a redirect to the newest run's page."""
    target = escape(Path(os.path.relpath(page, monitoring_dir)).as_posix(), quote=True)
    latest = monitoring_dir / LATEST_PAGE
    latest.write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<meta http-equiv='refresh' content='0; url={target}'>"
        "<title>Latest monitoring run</title></head><body>"
        f"<p>Latest monitoring run: <a href='{target}'>{escape(headline)}</a></p>"
        "</body></html>\n"
    )
    return latest


def render(summary: Summary, folder: Path) -> str:
    status = summary.status
    d = summary.drift
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{status.upper()}: {escape(summary.model_name)} v{summary.model_version}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Monitoring: {status.upper()}</h1>",
        f"<p class='banner {status}' id='headline'>{escape(summary.headline())}</p>",
        f"<p>Checked {escape(summary.current_description)} against "
        f"{escape(summary.reference_window)}; finished {summary.finished_at:%Y-%m-%d %H:%M} UTC."
        "</p>",
    ]
    parts += _alerts(summary)
    parts += [
        "<h2>Drift</h2>",
        f"<p>Score PSI <b>{d.score_psi:.3f}</b> ({escape(d.score_band)}; watch at 0.10, act "
        f"above 0.25). {d.drifted_count} of {len(d.features)} features drifted "
        f"({d.drifted_share:.0%}).</p>",
        "<table><tr><th>feature</th><th>method</th><th>value</th><th>band</th>"
        "<th>mean reference → current</th></tr>",
    ]
    for f in d.features[:TOP_FEATURES]:
        parts.append(
            f"<tr><td>{escape(f.feature)}</td><td>{escape(f.method)}</td><td>{f.value:.3f}</td>"
            f"<td>{escape(f.band)}</td><td>{escape(mean_change(f))}</td></tr>"
        )
    parts.append("</table>")
    parts += _reports(folder)
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _alerts(summary: Summary) -> list[str]:
    if not summary.alerts:
        return ["<h2>Alerts</h2>", "<p id='alerts'>No threshold was breached.</p>"]
    items = []
    for a in summary.alerts:
        since = summary.alert_since.get(a.name) or "this run"
        items.append(
            f"<li class='alert-item' data-name='{escape(a.name, quote=True)}'>"
            f"<b>{escape(a.name)}</b>: {readable(a.value)} against a limit of "
            f"{readable(a.threshold)} (since {escape(since)}).<br>{escape(a.message)}</li>"
        )
    count = len(summary.alerts)
    return [
        f"<h2>Alerts ({count}): what moved and what to do</h2>",
        "<ul id='alerts'>",
        *items,
        "</ul>",
    ]


def _reports(folder: Path) -> list[str]:
    links = [
        f"<li><a href='{name}'>{title}</a>: {what}</li>"
        for name, title, what in REPORTS
        if (folder / name).exists()
    ]
    return [
        "<h2>Reports</h2>",
        "<ul>",
        *links,
        "</ul>",
        "<p class='note'>Evidently's drift report opens with its own dataset-drift verdict: "
        "whether the share of drifted features reached the configured limit. This run's status "
        "also counts score PSI, mean shifts, missing values, quality on mature labels and the "
        "portfolio limits, so the two can differ; the status above is the one that pages.</p>",
    ]
