"""Network addresses: which hosts and clients are this machine's own."""

from __future__ import annotations

import ipaddress
import socket

__all__ = ["free_ports", "is_loopback"]


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1, ::ffff:127.0.0.1)."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def free_ports(count: int = 1, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct ports nothing listens on now (the OS picks them; all held at once)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind((host, 0))
        return [int(probe.getsockname()[1]) for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()
