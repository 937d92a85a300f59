"""`credit-risk model`: the registered model's versions, its champion, and the promotion log."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from cli.common import runtime_from, user_errors

if TYPE_CHECKING:
    from credit_risk.environment import Runtime

app = typer.Typer(
    help=(
        "Inspect versions, promote or roll back the champion, approve or reject a waiting "
        "challenger, read the promotion log."
    )
)

NameOption = Annotated[
    str | None,
    typer.Option("--name", help="Registered model name. Default: CREDIT_MLFLOW__REGISTERED_MODEL."),
]
ReasonOption = Annotated[
    str | None, typer.Option("--reason", help="Why, in words; kept in the promotion log.")
]


def _setup(ctx: typer.Context, name: str | None) -> tuple[Runtime, str]:
    runtime = runtime_from(ctx)
    return runtime, name or runtime.settings.mlflow.registered_model


def _auc(metrics: dict[str, Any] | None) -> str:
    value = (metrics or {}).get("test_auc")
    return "-" if value is None else f"{value:.4f}"


def _v(version: int | None) -> str:
    return "-" if version is None else str(version)


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    rule = ["-" * w for w in widths]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, rule, *rows]
    )


@app.command("list")
def list_(ctx: typer.Context, name: NameOption = None) -> None:
    """List the versions, newest first, with their aliases and recorded test AUC."""
    _, model_name = _setup(ctx, name)
    from training.registry.versions import list_versions

    with user_errors():
        versions = list_versions(model_name)
    rows = [
        [
            str(mv.version),
            ", ".join(aliases) or "-",
            mv.tags.get("test_auc", "-")[:6],
            mv.tags.get("promotion_decision", "-"),
            mv.run_id or "-",
        ]
        for mv, aliases in versions
    ]
    typer.echo(_table(["version", "aliases", "test AUC", "decision", "run"], rows))


@app.command()
def info(
    ctx: typer.Context,
    version: Annotated[
        int | None, typer.Option("--version", help="Version to show. Default: the champion.")
    ] = None,
    name: NameOption = None,
) -> None:
    """Show one version: aliases, run, source, recorded metrics and its promotion tags."""
    _, model_name = _setup(ctx, name)
    from credit_risk.model_registry import CHAMPION
    from training.registry.versions import list_versions

    with user_errors():
        versions = list_versions(model_name)
        if version is None:
            found = [(mv, a) for mv, a in versions if CHAMPION in a]
            if not found:
                raise ValueError(f"model {model_name} has no champion yet; pass --version")
        else:
            found = [(mv, a) for mv, a in versions if int(mv.version) == version]
            if not found:
                listed = ", ".join(str(mv.version) for mv, _ in reversed(versions))
                raise ValueError(f"model {model_name} has no version {version}; versions: {listed}")
    mv, aliases = found[0]
    typer.echo(f"{model_name} version {mv.version}")
    typer.echo(f"  aliases      {', '.join(aliases) or '-'}")
    typer.echo(f"  run          {mv.run_id or '-'}")
    typer.echo(f"  source       {mv.source}")
    if mv.description:
        typer.echo(f"  description  {mv.description}")
    for key, value in sorted(mv.tags.items()):
        typer.echo(f"  {key:<28} {value}")


@app.command()
def promote(
    ctx: typer.Context,
    version: Annotated[
        int | None, typer.Option("--version", help="Version to make the champion.")
    ] = None,
    challenger: Annotated[
        bool, typer.Option("--challenger", help="The version holding the challenger alias.")
    ] = False,
    reason: ReasonOption = None,
    name: NameOption = None,
) -> None:
    """Make a version the champion by hand (no gate); logged as 'manual_promote'."""
    runtime, model_name = _setup(ctx, name)
    from mlflow import MlflowClient

    from credit_risk.model_registry import CHALLENGER
    from training.registry.manual import cli_actor, promote_version
    from training.registry.versions import aliases

    if (version is None) == (not challenger):
        typer.echo("error: pass either --version N or --challenger", err=True)
        raise typer.Exit(2)
    with user_errors():
        if version is None:
            version = aliases(MlflowClient(), model_name).get(CHALLENGER)
            if version is None:
                raise ValueError(f"model {model_name} has no challenger; train one first")
        change = promote_version(
            version,
            actor=cli_actor(),
            reason=reason or "manual promotion from the command line",
            dsn=runtime.dsn,
            model_name=model_name,
        )
    typer.echo(
        f"{model_name}: champion {_v(change.previous_champion_version)} → "
        f"{change.new_champion_version} (promotion log entry {change.log_id})"
    )


@app.command()
def rollback(ctx: typer.Context, reason: ReasonOption = None, name: NameOption = None) -> None:
    """Give the champion back to the version before the latest promotion; logged as 'rollback'."""
    runtime, model_name = _setup(ctx, name)
    from training.registry.manual import cli_actor
    from training.registry.manual import rollback as roll_back

    with user_errors():
        change = roll_back(actor=cli_actor(), dsn=runtime.dsn, model_name=model_name, reason=reason)
    typer.echo(
        f"{model_name}: champion {_v(change.previous_champion_version)} → "
        f"{change.new_champion_version} rolled back (promotion log entry {change.log_id})"
    )


ByOption = Annotated[
    str, typer.Option("--by", help="Who decides (a person's name); kept in the promotion log.")
]
SignedReasonOption = Annotated[
    str, typer.Option("--reason", help="Why, in words; kept in the promotion log.")
]
WaitingVersion = Annotated[
    int, typer.Option("--version", help="A version awaiting approval ('model list' shows it).")
]


def _close_waiting(verdict: Literal["approve", "reject"], summary: str) -> None:
    """Register `model approve` or `model reject`: one signature, two verdicts."""

    def command(
        ctx: typer.Context,
        version: WaitingVersion,
        by: ByOption,
        reason: SignedReasonOption,
        name: NameOption = None,
    ) -> None:
        runtime, model_name = _setup(ctx, name)
        from training.registry import manual

        with user_errors():
            if verdict == "reject":
                log_id = manual.reject(
                    version, by=by, reason=reason, dsn=runtime.dsn, model_name=model_name
                )
                typer.echo(
                    f"{model_name}: version {version} rejected by {by} "
                    f"(promotion log entry {log_id})"
                )
                return
            change = manual.approve(
                version, by=by, reason=reason, dsn=runtime.dsn, model_name=model_name
            )
        typer.echo(
            f"{model_name}: champion {_v(change.previous_champion_version)} → "
            f"{change.new_champion_version}, approved by {by} (promotion log entry {change.log_id})"
        )

    command.__doc__ = summary
    app.command(verdict)(command)


_close_waiting(
    "approve", "Promote a version that passed every gate and awaits approval; logged as 'approve'."
)
_close_waiting(
    "reject", "Close a version awaiting approval without promoting it; logged as 'reject'."
)


@app.command()
def history(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest entries to show.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
    name: NameOption = None,
) -> None:
    """Show the promotion log, newest first: who changed the champion, when, why, with what AUC."""
    runtime, model_name = _setup(ctx, name)
    from training.registry.promotion_log import history as read_history

    with user_errors():
        rows = read_history(runtime.dsn, model_name, limit)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        typer.echo(f"no promotion decisions logged for {model_name} yet")
        return
    table = [
        [
            f"{row['decided_at']:%Y-%m-%d %H:%M:%S %Z}".strip(),
            row["action"],
            row["actor"],
            _v(row["challenger_version"]),
            f"{_v(row['previous_champion_version'])} → {_v(row['new_champion_version'])}",
            _auc(row["challenger_metrics"]),
            _auc(row["champion_metrics"]),
            row["reason"],
        ]
        for row in rows
    ]
    header = [
        "when",
        "action",
        "actor",
        "candidate",
        "champion",
        "AUC cand.",
        "AUC champ.",
        "reason",
    ]
    typer.echo(_table(header, table))
