"""What every command shares: settings in the context, logging, and errors for people."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from credit_risk.environment import Runtime
    from credit_risk.settings import Settings

log = logging.getLogger("credit_risk")


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    noisy_loggers = (
        "pgserver",
        "httpx",
        "urllib3",
        "alembic",
        "matplotlib",
        "great_expectations",
        "mlflow.utils.uv_utils",
        "mlflow.store.db.utils",
    )
    for noisy in noisy_loggers:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Known and handled: models are cloudpickled on purpose (see training/train.py), and a uv
    # environment has no pip for MLflow to record.
    for chatty in ("mlflow.sklearn", "mlflow.utils.environment"):
        logging.getLogger(chatty).setLevel(logging.ERROR)


def settings_from(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def runtime_from(ctx: typer.Context) -> Runtime:
    """Resolve the database (starting the embedded one if needed) and export the environment."""
    from credit_risk.environment import prepare_runtime

    with user_errors():
        return prepare_runtime(settings_from(ctx))


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn expected failures into one clear line and a non-zero exit, without a traceback."""
    from credit_risk.database import DatabaseError

    try:
        yield
    except (ValueError, LookupError, DatabaseError) as exc:
        # A bad value or a name that does not exist is the caller's to fix (2); an outage is not.
        fail(str(exc), code=1 if isinstance(exc, DatabaseError) else 2)


def run_in_foreground(command: list[str], env: dict[str, str]) -> NoReturn:
    """Run a server until it exits (Ctrl-C stops it too) and exit with its code."""
    import subprocess

    from credit_risk.environment import PROJECT_ROOT

    child = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT)
    try:
        code = child.wait()
    except KeyboardInterrupt:
        child.terminate()
        code = child.wait()
    raise typer.Exit(code)
