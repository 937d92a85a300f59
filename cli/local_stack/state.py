"""The stack's state file: which process runs which service, where, and since when."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class ServiceRecord:
    """One started process (the leader of its own process group)."""

    name: str
    pid: int
    url: str | None
    log: str
    started_at: float
    health_url: str | None = None


@dataclass
class StackState:
    """Everything `stack down` and `stack status` need, written by `stack up`."""

    stack_id: str
    started_at: float
    services: dict[str, ServiceRecord] = field(default_factory=dict)
    postgres_pid: int | None = None
    postgres_started_by_stack: bool = False
    pgdata: str | None = None
    prefect_api_url: str | None = None
    mlflow_url: str | None = None

    def save(self, path: Path) -> None:
        """Write atomically, so a reader never sees half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> StackState | None:
        if not path.exists():
            return None
        raw = json.loads(path.read_text())
        services = {k: ServiceRecord(**v) for k, v in raw.pop("services", {}).items()}
        return cls(services=services, **raw)


def stack_dir(state_dir: Path) -> Path:
    return state_dir / "stack"


def state_file(state_dir: Path) -> Path:
    return stack_dir(state_dir) / "state.json"


def logs_dir(state_dir: Path) -> Path:
    return stack_dir(state_dir) / "logs"
