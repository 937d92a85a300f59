"""`credit-risk console`: the pages for loan officers, credit staff and on-call (Streamlit)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail, run_in_foreground, runtime_from, settings_from
from credit_risk.addresses import is_loopback
from credit_risk.environment import PROJECT_ROOT

APP = PROJECT_ROOT / "console" / "app.py"


def streamlit_command(host: str, port: int) -> list[str]:
    """`streamlit run console/app.py` on host:port, headless and without usage statistics."""
    return [
        str(Path(sys.executable).with_name("streamlit")),
        "run",
        str(APP),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        # No "Deploy" button: the console is run by the platform, not published from it.
        "--client.toolbarMode",
        "viewer",
    ]


def console(
    ctx: typer.Context,
    port: Annotated[
        int | None, typer.Option(help="Port to bind (default: CREDIT_CONSOLE__PORT or 8501).")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to bind; this machine only.")] = "127.0.0.1",
) -> None:
    """Serve the console: Apply (with what-if), Portfolio, Models and Monitoring pages."""
    settings = settings_from(ctx)
    if not is_loopback(host):
        fail(
            f"refusing to serve the console on {host}: it has no login of its own; bind it to "
            "127.0.0.1 and put it behind your single sign-on proxy",
            code=2,
        )
    port = port or settings.console.port
    runtime = runtime_from(ctx)
    env = dict(os.environ)
    env.update(
        {"CREDIT_DATABASE__DSN": runtime.dsn, "CREDIT_MLFLOW__TRACKING_URI": runtime.mlflow_uri}
    )
    typer.echo(f"console on http://{host}:{port} (scoring service: {settings.serving.port})")
    run_in_foreground(streamlit_command(host, port), env)
