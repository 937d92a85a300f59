"""The console in a real browser: headless Chromium drives `credit-risk console` against the
session's scoring service and book, and saves a screenshot of each page to reports/screenshots/.

Chromium is Debian's `chromium` package (`.ci/run` installs it); on a machine without it these
tests skip and say so.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.local_stack.processes import stop_group
from credit_risk.database import connect
from tests.integration.champion import Champion
from tests.integration.service import API_KEY, ROOT, free_port

pytestmark = pytest.mark.integration

SCREENSHOTS = ROOT / "reports" / "screenshots"
CHROMIUM_PATHS = ("chromium", "chromium-browser", "/usr/bin/chromium")
READY_SECONDS = 60
WAIT_MS = 60_000


def chromium() -> str | None:
    """Debian's Chromium (CREDIT_TEST_CHROMIUM overrides), or None."""
    configured = os.environ.get("CREDIT_TEST_CHROMIUM")
    if configured:
        return configured
    return next((found for p in CHROMIUM_PATHS if (found := shutil.which(p))), None)


@pytest.fixture(scope="module")
def console_url(
    champion: Champion,
    server: dict[str, Any],
    mlflow_tracking_uri: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """`credit-risk console` on a free port, pointed at the session's service and book."""
    work = tmp_path_factory.mktemp("console")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CREDIT_")},
        "CREDIT_DATABASE__DSN": champion.dsn,
        "CREDIT_MLFLOW__TRACKING_URI": mlflow_tracking_uri,
        "CREDIT_MLFLOW__REGISTERED_MODEL": champion.model_name,
        "CREDIT_CONSOLE__SERVICE_URL": server["base"],
        "CREDIT_SERVING__API_KEY": API_KEY,
        "CREDIT_PATHS__STATE_DIR": str(work / "state"),
    }
    cli = str(Path(sys.executable).with_name("credit-risk"))
    log = (work / "console.log").open("w")
    child = subprocess.Popen(
        [cli, "console", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_SECONDS
    try:
        while True:
            if child.poll() is not None:
                raise AssertionError((work / "console.log").read_text()[-3000:])
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError((work / "console.log").read_text()[-3000:])
            time.sleep(0.5)
        yield url
    finally:
        stop_group(child.pid)
        child.wait()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium()
    if executable is None:
        pytest.skip(
            "no Chromium found for the browser tests: install Debian's chromium package "
            "(apt-get install chromium) or set CREDIT_TEST_CHROMIUM to a Chromium binary"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, console_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    yield opened
    context.close()


def _number(page: Any, label: str, value: float, nth: int = 0) -> None:
    field = page.get_by_label(label, exact=True).nth(nth)
    field.fill(str(value))
    field.press("Enter")


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _score(page: Any) -> int:
    """The credit score of the first decision shown ('Credit score **612** · ...')."""
    text = page.get_by_text(re.compile(r"^Credit score \d+")).first.inner_text()
    match = re.search(r"Credit score (\d+)", text)
    assert match, text
    return int(match.group(1))


def test_apply_decides_and_explains_then_what_if_moves_the_score(
    page: Any, console_url: str
) -> None:
    page.goto(console_url)
    page.get_by_text("Loan application").wait_for()
    _number(page, "Monthly income", 2500)
    _number(page, "Existing monthly debt payments", 800)
    page.get_by_role("button", name="Score the application").click()
    page.get_by_text("Principal reasons").wait_for()
    assert page.get_by_text(re.compile(r"^(APPROVE|REJECT)$")).count() == 1
    first = _score(page)
    _shot(page, "apply")

    _number(page, "Monthly income", 9000, nth=1)  # the what-if field
    page.get_by_role("button", name="Score the what-if").click()
    page.get_by_text("Credit score change").wait_for()
    scores = [
        int(m.group(1))
        for t in page.get_by_text(re.compile(r"^Credit score \d+")).all_inner_texts()
        if (m := re.search(r"Credit score (\d+)", t))
    ]
    assert scores[0] == first and scores[1] > first
    _shot(page, "what_if")


def test_bad_input_shows_the_fields_error(page: Any, console_url: str) -> None:
    page.goto(console_url)
    page.get_by_text("Loan application").wait_for()
    _number(page, "Age (years)", 15)
    page.get_by_role("button", name="Score the application").click()
    page.get_by_text("Input should be greater than or equal to 18").wait_for()
    assert page.get_by_text(re.compile("^Age \\(years\\):")).count() == 1
    assert page.get_by_text("Principal reasons").count() == 0


def test_portfolio_shows_the_npa_ratio_of_the_marts(
    page: Any, console_url: str, champion: Champion
) -> None:
    with connect(champion.dsn) as conn:
        row = conn.execute("select npa_ratio from marts.portfolio_summary").fetchone()
    assert row is not None
    page.goto(f"{console_url}/portfolio_page")
    metric = page.get_by_test_id("stMetric").filter(has_text="NPA ratio")
    metric.wait_for()
    assert f"{float(row[0]):.2%}" in metric.inner_text()
    _shot(page, "portfolio")


@pytest.mark.parametrize(
    ("path", "heading"), [("models_page", "Models"), ("monitoring_page", "Monitoring")]
)
def test_the_other_pages_open(page: Any, console_url: str, path: str, heading: str) -> None:
    page.goto(f"{console_url}/{path}")
    page.get_by_role("heading", name=heading).first.wait_for()
    page.wait_for_load_state("networkidle")
    _shot(page, path.removesuffix("_page"))
