"""Child processes in their own process groups, found and stopped by PID only.

Every process the stack starts carries STACK_MARKER=<stack id> in its environment, so children
that leave their parent's process group (Prefect starts each flow run in a new session) are still
found by `stop_stack_processes`, which reads /proc and never matches on process names.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from pathlib import Path

log = logging.getLogger(__name__)

STACK_MARKER = "CREDIT_STACK_ID"


def start_process(command: list[str], env: dict[str, str], log_path: Path, cwd: Path) -> int:
    """Start command as the leader of a new process group, output appended to log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as out:
        child = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    # The child outlives this process on purpose; Popen must not warn about it at exit.
    child.returncode = 0
    return child.pid


def is_alive(pid: int) -> bool:
    """True when pid runs and is not a zombie (PID 1 here does not always reap)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: the signal check is all we have
    return stat.rpartition(")")[2].split()[0] != "Z"


def processes_with_marker(stack_id: str) -> list[int]:
    """PIDs of live processes whose environment carries this stack's marker."""
    wanted = f"{STACK_MARKER}={stack_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if wanted in environ.split(b"\0") and is_alive(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    alive = [p for p in pids if is_alive(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [p for p in alive if is_alive(p)]
    return alive


def stop_group(pid: int, timeout: float = 20) -> bool:
    """SIGTERM the process group led by pid, SIGKILL it after timeout; True if it had to kill."""
    if not is_alive(pid):
        return False
    _signal_group(pid, signal.SIGTERM)
    if not _wait_gone([pid], timeout):
        return False
    log.warning("process group %d ignored SIGTERM for %.0f s; killing it", pid, timeout)
    _signal_group(pid, signal.SIGKILL)
    _wait_gone([pid], 5)
    return True


def stop_stack_processes(stack_id: str, timeout: float = 10) -> list[int]:
    """Stop whatever still carries the stack's marker (grandchildren in other groups)."""
    leftovers = processes_with_marker(stack_id)
    for pid in leftovers:
        _signal(pid, signal.SIGTERM)
    for pid in _wait_gone(leftovers, timeout):
        _signal(pid, signal.SIGKILL)
    _wait_gone(leftovers, 5)
    return leftovers
