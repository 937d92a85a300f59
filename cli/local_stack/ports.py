"""Which loopback ports are free, and a clear error naming the service when one is not."""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"


class PortInUseError(RuntimeError):
    """A service's port is taken by another process."""


def is_port_free(port: int, host: str = LOOPBACK) -> bool:
    """True when a server could bind host:port now (TIME_WAIT leftovers do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def next_free_port(start: int, taken: set[int] | None = None, host: str = LOOPBACK) -> int:
    """The first free port at or above start that is not in taken."""
    taken = taken or set()
    for port in range(start, min(start + 200, 65536)):
        if port not in taken and is_port_free(port, host):
            return port
    raise PortInUseError(f"no free port in {start}-{start + 199} on {host}")


def choose_ports(wanted: dict[str, int], pick_free: bool, host: str = LOOPBACK) -> dict[str, int]:
    """Each service's port: the wanted one, or the next free one when pick_free is set.

    Without pick_free, a taken port is an error that names the service, the port and the setting.
    """
    chosen: dict[str, int] = {}
    for service, port in wanted.items():
        taken = set(chosen.values())
        if port not in taken and is_port_free(port, host):
            chosen[service] = port
        elif pick_free:
            chosen[service] = next_free_port(port + 1, taken, host)
        else:
            raise PortInUseError(
                f"port {port} for {service} is already in use on {host}; stop what holds it, "
                f"set {PORT_SETTINGS.get(service, 'its port setting')}, or pass --pick-free-ports"
            )
    return chosen


PORT_SETTINGS = {
    "mlflow": "CREDIT_ORCHESTRATION__MLFLOW_PORT",
    "prefect": "CREDIT_ORCHESTRATION__PREFECT_PORT",
    "evidently": "CREDIT_ORCHESTRATION__EVIDENTLY_PORT",
    "console": "CREDIT_CONSOLE__PORT",
    "service": "CREDIT_SERVING__PORT",
}
