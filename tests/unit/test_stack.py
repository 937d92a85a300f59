"""Local stack building blocks: port detection, process groups found by marker, the state file."""

from __future__ import annotations

import socket
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from credit_risk.stack.ports import PortInUseError, choose_ports, is_port_free, next_free_port
from credit_risk.stack.processes import (
    STACK_MARKER,
    is_alive,
    processes_with_marker,
    start_process,
    stop_group,
    stop_stack_processes,
)
from credit_risk.stack.state import ServiceRecord, StackState


@pytest.fixture
def listening() -> Iterator[int]:
    """A port some other program is listening on."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
    free = _free_port()
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
