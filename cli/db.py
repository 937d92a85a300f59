"""`credit-risk db`: manage the embedded PostgreSQL."""

from __future__ import annotations

import typer

from cli.common import settings_from, user_errors

app = typer.Typer(help="Manage the project's embedded PostgreSQL (unused when a DSN is set).")


@app.command()
def start(ctx: typer.Context) -> None:
    """Start the embedded PostgreSQL (or reuse the running one) and print its URL."""
    from credit_risk.database import resolve_dsn

    with user_errors():
        typer.echo(resolve_dsn(settings_from(ctx)))


@app.command()
def stop(ctx: typer.Context) -> None:
    """Stop the embedded PostgreSQL; its data stays in the state folder."""
    from credit_risk.database import EmbeddedPostgres

    settings = settings_from(ctx)
    with user_errors():
        stopped = EmbeddedPostgres(settings.pgdata_dir).stop()
    typer.echo("stopped" if stopped else "not running")


@app.command()
def status(ctx: typer.Context) -> None:
    """Say whether the database is running, where, and under which PID."""
    from credit_risk.database import EmbeddedPostgres

    settings = settings_from(ctx)
    if settings.database.dsn:
        typer.echo("external database configured (CREDIT_DATABASE__DSN); embedded server unused")
        return
    server = EmbeddedPostgres(settings.pgdata_dir)
    pid = server.pid()
    if pid is None:
        state = "initialised" if server.is_initialised else "not created yet"
        typer.echo(f"embedded PostgreSQL stopped ({state}) at {settings.pgdata_dir}")
        raise typer.Exit(3)
    typer.echo(f"embedded PostgreSQL running (pid {pid}) at {settings.pgdata_dir}")


@app.command()
def url(
    ctx: typer.Context,
    sqlalchemy: bool = typer.Option(False, help="Print a SQLAlchemy URL instead of a libpq URI."),
) -> None:
    """Print the data database URL (starting the embedded server if needed)."""
    from credit_risk.database import resolve_dsn, sqlalchemy_url

    with user_errors():
        dsn = resolve_dsn(settings_from(ctx))
    typer.echo(sqlalchemy_url(dsn) if sqlalchemy else dsn)
