"""Bring the local stack up, report on it, and take it down by PID with nothing left behind."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from cli.local_stack import services
from cli.local_stack.champion import champion_version
from cli.local_stack.ports import LOOPBACK, choose_ports
from cli.local_stack.processes import (
    is_alive,
    start_process,
    stop_group,
    stop_stack_processes,
)
from cli.local_stack.state import ServiceRecord, StackState, logs_dir, stack_dir, state_file
from credit_risk.environment import PROJECT_ROOT

if TYPE_CHECKING:
    from credit_risk.settings import Settings

log = logging.getLogger(__name__)

# Stopped in this order: what depends on the others goes first.
STOP_ORDER = ("console", "service", "evidently", "flows", "prefect", "mlflow")


class StackError(RuntimeError):
    """The stack could not be brought up or down; the message says what to do."""


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    pid: int
    alive: bool
    healthy: bool | None  # None: no health endpoint
    url: str | None
    log: str


@dataclass(frozen=True)
class UpResult:
    state: StackState
    champion: int | None
    seconds: float


def _load_running(settings: Settings) -> StackState | None:
    state = StackState.load(state_file(settings.state_dir))
    if state is None:
        return None
    if any(is_alive(s.pid) for s in state.services.values()):
        return state
    return None


def running_prefect_api(settings: Settings) -> str | None:
    """The stack's Prefect API URL when its Prefect server process is alive."""
    state = _load_running(settings)
    if state is None or "prefect" not in state.services:
        return None
    return state.prefect_api_url if is_alive(state.services["prefect"].pid) else None


def _is_external_mlflow(settings: Settings) -> bool:
    uri = settings.mlflow.tracking_uri or ""
    return uri.startswith(("http://", "https://"))


def _start_postgres(settings: Settings, state: StackState) -> str:
    from credit_risk.database import EmbeddedPostgres, resolve_dsn

    if settings.database.dsn:
        log.info("postgres: using CREDIT_DATABASE__DSN, not starting the embedded server")
        return settings.database.dsn
    server = EmbeddedPostgres(settings.pgdata_dir)
    was_running = server.pid() is not None
    started = time.perf_counter()
    dsn = resolve_dsn(settings)
    state.postgres_pid = server.pid()
    state.postgres_started_by_stack = not was_running
    state.pgdata = str(settings.pgdata_dir)
    log.info(
        "postgres: %s (pid %s) in %.1f s, socket at %s",
        "already running" if was_running else "started",
        state.postgres_pid,
        time.perf_counter() - started,
        settings.pgdata_dir,
    )
    return dsn


def _launch(state: StackState, spec: services.ServiceSpec, settings: Settings) -> None:
    log_path = logs_dir(settings.state_dir) / f"{spec.name}.log"
    pid = start_process(spec.command, spec.env, log_path, PROJECT_ROOT)
    state.services[spec.name] = ServiceRecord(
        spec.name, pid, spec.url, str(log_path), time.time(), spec.health_url
    )
    state.save(state_file(settings.state_dir))
    log.info("%s: started pid %d, log %s", spec.name, pid, log_path)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _log_tail(record: ServiceRecord, lines: int = 25) -> str:
    try:
        text = Path(record.log).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _wait_ready(state: StackState, names: list[str], timeout: float, ready_file: Path) -> None:
    """Wait for each named service's health URL (or the flows server's ready file)."""
    started = time.perf_counter()
    pending = set(names)
    while pending:
        for name in sorted(pending):
            record = state.services[name]
            if not is_alive(record.pid):
                raise StackError(
                    f"{name} exited while starting; last lines of {record.log}:\n"
                    + _log_tail(record)
                )
            ready = ready_file.exists() if name == "flows" else _healthy(str(record.health_url))
            if ready:
                pending.discard(name)
                log.info("%s: ready after %.1f s", name, time.perf_counter() - started)
        if pending and time.perf_counter() - started > timeout:
            names_left = ", ".join(sorted(pending))
            raise StackError(
                f"not ready after {timeout:.0f} s: {names_left}; see "
                + ", ".join(state.services[n].log for n in sorted(pending))
            )
        if pending:
            time.sleep(0.5)


def up(settings: Settings, pick_free_ports: bool = False, timeout: float = 120) -> UpResult:
    """Start PostgreSQL, MLflow, Prefect, the served deployments and the scoring service."""
    from credit_risk.database import resolve_mlflow_uri

    started = time.perf_counter()
    running = _load_running(settings)
    if running is not None:
        raise StackError(
            "the stack is already running (see `credit-risk stack status`); "
            "`credit-risk stack down` stops it"
        )
    wanted = {
        "prefect": settings.orchestration.prefect_port,
        "service": settings.serving.port,
        "evidently": settings.orchestration.evidently_port,
        "console": settings.console.port,
    }
    if not _is_external_mlflow(settings):
        wanted = {"mlflow": settings.orchestration.mlflow_port, **wanted}
    ports = choose_ports(wanted, pick_free_ports)
    for service, port in ports.items():
        if port != wanted[service]:
            log.info("%s: port %d is taken, using %d", service, wanted[service], port)

    state = StackState(stack_id=uuid.uuid4().hex, started_at=time.time())
    folder = stack_dir(settings.state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    ready_file = folder / "flows.ready"
    ready_file.unlink(missing_ok=True)
    dsn = _start_postgres(settings, state)
    if _is_external_mlflow(settings):
        mlflow_url, store = str(settings.mlflow.tracking_uri).rstrip("/"), ""
    else:
        mlflow_url, store = (
            f"http://{LOOPBACK}:{ports['mlflow']}",
            resolve_mlflow_uri(settings, dsn),
        )
    state.mlflow_url = mlflow_url
    state.prefect_api_url = f"http://{LOOPBACK}:{ports['prefect']}/api"
    state.save(state_file(settings.state_dir))
    plan = services.StackPlan(
        stack_id=state.stack_id,
        state_dir=settings.state_dir,
        dsn=dsn,
        mlflow_store_uri=store,
        artifact_dir=settings.artifact_dir,
        mlflow_url=mlflow_url,
        prefect_api_url=state.prefect_api_url,
        service_port=ports["service"],
        registered_model=settings.mlflow.registered_model,
        poll_seconds=settings.orchestration.champion_poll_seconds,
    )
    try:
        if store:
            _launch(state, services.mlflow_server(plan, ports["mlflow"]), settings)
        _launch(state, services.prefect_server(plan, ports["prefect"]), settings)
        _launch(state, services.scoring_service(plan), settings)
        _launch(state, services.evidently_ui(plan, ports["evidently"]), settings)
        _launch(state, services.console(plan, ports["console"], ports["evidently"]), settings)
        # The deployments are registered on the Prefect server, so it must answer first.
        _wait_ready(state, ["prefect"], timeout, ready_file)
        _launch(state, services.flows_server(plan, ready_file), settings)
        _wait_ready(
            state,
            [n for n in ("mlflow", "flows", "evidently", "console") if n in state.services],
            timeout,
            ready_file,
        )
        champion = champion_version(mlflow_url, settings.mlflow.registered_model)
        if champion is not None:
            _wait_ready(state, ["service"], timeout, ready_file)
    except BaseException:
        log.error("the stack did not come up; stopping what was started")
        down(settings)
        raise
    seconds = time.perf_counter() - started
    log.info("stack up in %.1f s", seconds)
    return UpResult(state, champion, seconds)


def status(settings: Settings) -> list[ServiceStatus]:
    """Each recorded process: alive or not, healthy or not, and where to reach it."""
    state = StackState.load(state_file(settings.state_dir))
    if state is None:
        return []
    rows = []
    for name, record in state.services.items():
        alive = is_alive(record.pid)
        healthy = None
        if record.health_url:
            healthy = alive and _healthy(record.health_url)
        rows.append(ServiceStatus(name, record.pid, alive, healthy, record.url, record.log))
    if state.postgres_pid is not None:
        alive = is_alive(state.postgres_pid)
        rows.insert(
            0,
            ServiceStatus(
                "postgres", state.postgres_pid, alive, None, state.pgdata, "(pgdata)/log"
            ),
        )
    return rows


def down(settings: Settings) -> list[str]:
    """Stop every process the stack started, by PID and process group; returns what it did."""
    path = state_file(settings.state_dir)
    state = StackState.load(path)
    if state is None:
        return []
    done = []
    for name in STOP_ORDER:
        record = state.services.get(name)
        if record is None:
            continue
        if not is_alive(record.pid):
            done.append(f"{name}: not running (pid {record.pid})")
            continue
        killed = stop_group(record.pid)
        done.append(f"{name}: stopped pid {record.pid}" + (" (killed)" if killed else ""))
    leftovers = stop_stack_processes(state.stack_id)
    if leftovers:
        done.append(f"stopped {len(leftovers)} leftover processes: {leftovers}")
    if state.postgres_started_by_stack and state.pgdata:
        from credit_risk.database import EmbeddedPostgres

        server = EmbeddedPostgres(Path(state.pgdata))
        # pid() first: it prepares pgserver's import (XDG_RUNTIME_DIR), which stop() skips.
        if server.pid() is not None and server.stop():
            done.append(f"postgres: stopped pid {state.postgres_pid}")
    elif state.postgres_pid is not None:
        done.append("postgres: left running (it was running before `stack up`)")
    path.unlink(missing_ok=True)
    return done
