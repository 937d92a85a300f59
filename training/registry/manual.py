"""Champion changes made by hand: promote past the gate, roll back, approve or reject.

Approve and reject close a challenger that passed every gate while approval was required
(CREDIT_GOVERNANCE__APPROVAL=required); both name the person and their reason in the log.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from credit_risk.model_registry import AWAITING_APPROVAL, CHAMPION, DEFAULT_MODEL, champion_version
from training.registry import promotion_log
from training.registry.version_metrics import recorded_metrics
from training.registry.versions import aliases, get_version, sync_previous_alias, tag_decision

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

__all__ = [
    "ChampionChange",
    "approve",
    "awaiting_entry",
    "cli_actor",
    "promote_version",
    "reject",
    "rollback",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChampionChange:
    """A manual promotion or a rollback, as written to the promotion log."""

    model_name: str
    action: str
    previous_champion_version: int | None
    new_champion_version: int
    reason: str
    log_id: int


def cli_actor() -> str:
    """The actor recorded for a person at the command line."""
    return f"cli:{getpass.getuser()}"


Choice = tuple["ModelVersion", str]  # the version to make champion, and the reason logged


def _change_champion(
    client: MlflowClient,
    *,
    model_name: str,
    action: promotion_log.Action,
    choose: Callable[[ModelVersion | None], Choice],
    actor: str,
    dsn: str,
) -> ChampionChange:
    """Under the model's promotion lock: read the champion, `choose` the new one from it, move
    `champion` and log it; then tag the version and sync the aliases.

    Choosing inside the lock means two changes at once are applied one after the other, each
    from the champion the previous one left, so the log's chain of versions never breaks.
    """
    with promotion_log.serialised(dsn, model_name) as conn:
        champion = champion_version(client, model_name)
        version, reason = choose(champion)
        client.set_registered_model_alias(model_name, CHAMPION, version.version)
        log_id = promotion_log.insert(
            conn,
            model_name=model_name,
            action=action,
            actor=actor,
            reason=reason,
            challenger_version=version.version,
            previous_champion_version=None if champion is None else champion.version,
            new_champion_version=version.version,
            challenger_metrics=recorded_metrics(client, version),
            champion_metrics=None if champion is None else recorded_metrics(client, champion),
        )
    tag_decision(
        client,
        model_name,
        version.version,
        action=action,
        reason=reason,
        actor=actor,
        promoted=True,
    )
    sync_previous_alias(client, model_name, dsn)
    log.info("%s: %s version %s is champion (%s)", actor, model_name, version.version, action)
    return ChampionChange(
        model_name=model_name,
        action=action,
        previous_champion_version=None if champion is None else int(champion.version),
        new_champion_version=int(version.version),
        reason=reason,
        log_id=log_id,
    )


def promote_version(
    version: int | str, *, actor: str, reason: str, dsn: str, model_name: str = DEFAULT_MODEL
) -> ChampionChange:
    """Make a version the champion by hand, bypassing the gate; logged as 'manual_promote'."""
    from mlflow import MlflowClient

    client = MlflowClient()
    chosen = get_version(client, model_name, version)

    def choose(champion: ModelVersion | None) -> Choice:
        if champion is not None and champion.version == chosen.version:
            raise ValueError(f"version {chosen.version} is already the champion of {model_name}")
        return chosen, reason

    return _change_champion(
        client,
        model_name=model_name,
        action="manual_promote",
        choose=choose,
        actor=actor,
        dsn=dsn,
    )


def rollback(
    *, actor: str, dsn: str, model_name: str = DEFAULT_MODEL, reason: str | None = None
) -> ChampionChange:
    """Undo the latest promotion not yet undone: the champion before it becomes champion again."""
    from mlflow import MlflowClient

    client = MlflowClient()

    def choose(champion: ModelVersion | None) -> Choice:
        entry = promotion_log.rollback_target(promotion_log.history(dsn, model_name, limit=None))
        if entry is None:
            raise ValueError(
                f"model {model_name} has no promotion in governance.promotion_log to roll back; "
                "promote a version first with 'credit-risk model promote'"
            )
        undone, target = entry["new_champion_version"], entry["previous_champion_version"]
        if target is None:
            raise ValueError(
                f"version {undone} was the first champion of {model_name}; there is no earlier "
                "champion to roll back to (use 'credit-risk model promote --version N' instead)"
            )
        if champion is None or int(champion.version) != undone:
            log.warning(
                "the champion alias (%s) was moved outside the promotion log, which names "
                "version %s",
                None if champion is None else champion.version,
                undone,
            )
        why = f"rollback of the promotion of version {undone} (log entry {entry['id']})"
        return get_version(client, model_name, target), f"{why}: {reason}" if reason else why

    return _change_champion(
        client, model_name=model_name, action="rollback", choose=choose, actor=actor, dsn=dsn
    )


def _signed(by: str, reason: str) -> None:
    if not by.strip():
        raise ValueError("by: name the person who decides (--by NAME)")
    if not reason.strip():
        raise ValueError("reason: say why (--reason TEXT); it goes into the promotion log")


def awaiting_entry(dsn: str, model_name: str, version: int | str) -> dict[str, Any]:
    """The log entry that left `version` awaiting approval, if nothing has closed it since."""
    for entry in promotion_log.history(dsn, model_name, limit=None):
        if entry["challenger_version"] != int(version):
            continue
        if entry["action"] == "awaiting_approval":  # its newest entry; anything else closed it
            return entry
        break
    raise ValueError(
        f"version {version} of {model_name} is not awaiting approval; "
        "'credit-risk model history' shows its decisions"
    )


def _drop_waiting_alias(client: MlflowClient, model_name: str, version: int | str) -> None:
    if aliases(client, model_name).get(AWAITING_APPROVAL) == int(version):
        client.delete_registered_model_alias(model_name, AWAITING_APPROVAL)


def approve(
    version: int | str, *, by: str, reason: str, dsn: str, model_name: str = DEFAULT_MODEL
) -> ChampionChange:
    """Promote a version that passed the gate and awaits approval; logged as 'approve'.

    Refused when the champion has changed since the gate compared against it: the gate's
    verdict was about a champion that is no longer there.
    """
    from mlflow import MlflowClient

    _signed(by, reason)
    client = MlflowClient()
    chosen = get_version(client, model_name, version)

    def choose(champion: ModelVersion | None) -> Choice:
        entry = awaiting_entry(dsn, model_name, chosen.version)
        judged = entry["previous_champion_version"]
        now = None if champion is None else int(champion.version)
        if now != judged:
            raise ValueError(
                f"the champion is now {now}, not {judged} as when version {chosen.version} was "
                "gated; retrain or promote by hand with 'credit-risk model promote'"
            )
        return chosen, f"approved by {by}: {reason} (gate entry {entry['id']})"

    change = _change_champion(
        client, model_name=model_name, action="approve", choose=choose, actor=by, dsn=dsn
    )
    _drop_waiting_alias(client, model_name, chosen.version)
    return change


def reject(
    version: int | str, *, by: str, reason: str, dsn: str, model_name: str = DEFAULT_MODEL
) -> int:
    """Close a version awaiting approval without promoting it; logged as 'reject'. Its log id."""
    from mlflow import MlflowClient

    _signed(by, reason)
    client = MlflowClient()
    chosen = get_version(client, model_name, version)
    with promotion_log.serialised(dsn, model_name) as conn:
        entry = awaiting_entry(dsn, model_name, chosen.version)
        champion = champion_version(client, model_name)
        current = None if champion is None else int(champion.version)
        text = f"rejected by {by}: {reason} (gate entry {entry['id']})"
        log_id = promotion_log.insert(
            conn,
            model_name=model_name,
            action="reject",
            actor=by,
            reason=text,
            challenger_version=chosen.version,
            previous_champion_version=current,
            new_champion_version=current,
            challenger_metrics=recorded_metrics(client, chosen),
            champion_metrics=None if champion is None else recorded_metrics(client, champion),
        )
    tag_decision(
        client, model_name, chosen.version, action="reject", reason=text, actor=by, promoted=False
    )
    _drop_waiting_alias(client, model_name, chosen.version)
    log.info("%s rejected %s version %s", by, model_name, chosen.version)
    return log_id
