"""Shared fixtures: one embedded PostgreSQL per test session, a throwaway database per user."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from credit_risk.database import EmbeddedPostgres, connect, ensure_database, with_database


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Admin DSN of an embedded PostgreSQL that lives for the test session."""
    external = os.environ.get("CREDIT_TEST_DSN")
    if external:
        yield external
        return
    root = Path(tmp_path_factory.mktemp("pg"))
    server = EmbeddedPostgres(root / "pgdata")
    admin = server.start()
    try:
        yield admin
    finally:
        server.stop()


def make_database(admin_dsn: str, prefix: str) -> str:
    """Create a uniquely named database and return its DSN."""
    dsn = with_database(admin_dsn, f"{prefix}_{uuid.uuid4().hex[:8]}")
    ensure_database(dsn)
    return dsn


def drop_database(admin_dsn: str, dsn: str) -> None:
    from credit_risk.database import parse_dsn

    name = parse_dsn(dsn).dbname
    with connect(with_database(admin_dsn, "postgres"), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def pg_dsn(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for one test."""
    dsn = make_database(pg_server, "test")
    yield dsn
    drop_database(pg_server, dsn)
