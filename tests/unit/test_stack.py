"""Local stack building blocks: port detection, process groups found by marker, the state file."""

from __future__ import annotations

import socket
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.local_stack import services
from cli.local_stack.ports import PortInUseError, choose_ports, is_port_free, next_free_port
from cli.local_stack.processes import (
    STACK_MARKER,
    is_alive,
    processes_with_marker,
    start_process,
    stop_group,
    stop_stack_processes,
)
from cli.local_stack.state import ServiceRecord, StackState
from credit_risk.addresses import free_ports

PASSWORD = "s3cret-pw-for-the-test"


@pytest.fixture
def listening() -> Iterator[int]:
    """A port some other program is listening on."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


def test_a_listening_port_is_in_use_and_free_once_closed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = int(server.getsockname()[1])
        assert not is_port_free(port)
    assert is_port_free(port)


def test_a_taken_port_is_an_error_naming_the_service_port_and_setting(listening: int) -> None:
    with pytest.raises(PortInUseError) as caught:
        choose_ports({"prefect": listening}, pick_free=False)
    message = str(caught.value)
    assert f"port {listening} for prefect is already in use" in message
    assert "CREDIT_ORCHESTRATION__PREFECT_PORT" in message and "--pick-free-ports" in message


def test_pick_free_moves_a_taken_port_up_and_never_hands_one_port_out_twice(
    listening: int,
) -> None:
    free = free_ports()[0]
    chosen = choose_ports({"mlflow": listening, "service": free, "prefect": free}, pick_free=True)
    assert chosen["mlflow"] > listening and chosen["service"] == free
    assert chosen["prefect"] not in (free, listening)
    assert len(set(chosen.values())) == 3
    assert next_free_port(free, taken={free}) != free


def _sleeper_with_grandchild(tmp_path: Path, stack_id: str) -> int:
    """A process that starts a grandchild in a new session (as Prefect does for flow runs)."""
    script = (
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
        " start_new_session=True)\n"
        "time.sleep(60)\n"
    )
    env = {STACK_MARKER: stack_id, "PATH": "/usr/bin:/bin"}
    return start_process([sys.executable, "-c", script], env, tmp_path / "p.log", tmp_path)


def _wait_for(count: int, stack_id: str) -> list[int]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = processes_with_marker(stack_id)
        if len(found) >= count:
            return found
        time.sleep(0.1)
    return processes_with_marker(stack_id)


def test_stopping_a_group_and_sweeping_the_marker_leaves_nothing(tmp_path: Path) -> None:
    stack_id = uuid.uuid4().hex
    leader = _sleeper_with_grandchild(tmp_path, stack_id)
    found = _wait_for(2, stack_id)
    assert leader in found and len(found) == 2
    grandchild = next(p for p in found if p != leader)
    assert is_alive(leader) and is_alive(grandchild)

    stop_group(leader, timeout=5)
    assert not is_alive(leader)
    assert is_alive(grandchild), "a new session escapes the process group"
    assert stop_stack_processes(stack_id) == [grandchild]
    assert not is_alive(grandchild)
    assert processes_with_marker(stack_id) == []


def test_state_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "stack" / "state.json"
    assert StackState.load(path) is None
    state = StackState(stack_id="abc", started_at=1.0, postgres_pid=12, pgdata="/x")
    state.services["mlflow"] = ServiceRecord(
        "mlflow", 42, "http://127.0.0.1:5000", "/logs/mlflow.log", 2.0, "http://h/health"
    )
    state.save(path)
    assert StackState.load(path) == state


def _plan_with_a_password(tmp_path: Path) -> services.StackPlan:
    return services.StackPlan(
        stack_id="abc",
        state_dir=tmp_path,
        dsn=f"postgresql://credit:{PASSWORD}@db.internal:5432/credit_risk",
        mlflow_store_uri=f"postgresql+psycopg2://credit:{PASSWORD}@db.internal:5432/mlflow",
        artifact_dir=tmp_path / "artifacts",
        mlflow_url="http://127.0.0.1:5000",
        prefect_api_url="http://127.0.0.1:4200/api",
        service_port=3000,
        registered_model="credit-risk",
        poll_seconds=10,
    )


def _specs(plan: services.StackPlan, tmp_path: Path) -> list[services.ServiceSpec]:
    return [
        services.mlflow_server(plan, 5000),
        services.prefect_server(plan, 4200),
        services.flows_server(plan, tmp_path / "flows.ready"),
        services.scoring_service(plan),
    ]


def test_no_service_of_the_stack_has_the_password_on_its_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(services.MLFLOW_BACKEND_STORE_URI, "sqlite:///callers.db")
    plan = _plan_with_a_password(tmp_path)
    specs = _specs(plan, tmp_path)
    shown = {s.name: " ".join(s.command) for s in specs if PASSWORD in " ".join(s.command)}
    assert not shown, f"argv shows in `ps`; put the secret in the environment: {shown}"
    by_name = {s.name: s for s in specs}
    assert by_name["mlflow"].env[services.MLFLOW_BACKEND_STORE_URI] == plan.mlflow_store_uri
    assert "--backend-store-uri" not in by_name["mlflow"].command
    # The stack decides the store: the caller's variable reaches no other child.
    assert all(services.MLFLOW_BACKEND_STORE_URI not in s.env for s in specs if s.name != "mlflow")


def test_mlflow_server_takes_the_store_uri_from_that_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The installed MLflow reads --backend-store-uri from MLFLOW_BACKEND_STORE_URI."""
    import mlflow.cli

    plan = _plan_with_a_password(tmp_path)
    spec = services.mlflow_server(plan, 5000)
    monkeypatch.setenv(services.MLFLOW_BACKEND_STORE_URI, plan.mlflow_store_uri)
    server = mlflow.cli.cli.get_command(None, "server")
    assert server is not None and spec.command[1] == "server"
    parsed = server.make_context("server", spec.command[2:]).params
    assert parsed["backend_store_uri"] == plan.mlflow_store_uri
    assert parsed["artifacts_destination"] == str(plan.artifact_dir)
