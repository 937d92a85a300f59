"""PostgreSQL access: the embedded server by default, or the configured DSN everywhere."""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from credit_risk.errors import first_line

if TYPE_CHECKING:
    import psycopg
    from pydantic import SecretStr

    from credit_risk.settings import Settings

log = logging.getLogger(__name__)

MLFLOW_DATABASE = "mlflow"

# Applied once when the embedded cluster is created. wal_level=minimal lets COPY into a table
# created in the same transaction skip the WAL, which is how the generator loads atomically and fast.
EMBEDDED_SERVER_CONFIG = {
    "shared_buffers": "512MB",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "synchronous_commit": "off",
    "max_connections": "200",
}


class DatabaseError(RuntimeError):
    """A database problem explained for people."""


@dataclass(frozen=True)
class ConnectionParts:
    """The pieces of a DSN that dbt and Great Expectations want separately."""

    host: str
    port: int
    user: str
    password: str
    dbname: str

    @property
    def is_socket(self) -> bool:
        return self.host.startswith("/")


def parse_dsn(dsn: str) -> ConnectionParts:
    """Split a libpq URI (TCP or Unix socket form) into its parts."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except Exception as exc:
        raise DatabaseError(f"database DSN is not a valid PostgreSQL URI: {exc}") from exc
    return ConnectionParts(
        host=str(parts.get("host") or "localhost"),
        port=int(parts.get("port") or 5432),
        user=str(parts.get("user") or "postgres"),
        password=str(parts.get("password") or ""),
        dbname=str(parts.get("dbname") or "postgres"),
    )


def build_dsn(parts: ConnectionParts) -> str:
    """Assemble a libpq URI; a socket directory goes into the host query parameter."""
    auth = quote(parts.user, safe="")
    if parts.password:
        auth += ":" + quote(parts.password, safe="")
    if parts.is_socket:
        return f"postgresql://{auth}@/{parts.dbname}?host={parts.host}&port={parts.port}"
    return f"postgresql://{auth}@{parts.host}:{parts.port}/{parts.dbname}"


def with_database(dsn: str, dbname: str) -> str:
    """The same server and credentials, another database."""
    p = parse_dsn(dsn)
    return build_dsn(ConnectionParts(p.host, p.port, p.user, p.password, dbname))


def redacted(dsn: str) -> str:
    """The DSN to show people: server, user and database, the password replaced by ***."""
    p = parse_dsn(dsn)
    shown = build_dsn(ConnectionParts(p.host, p.port, p.user, "", p.dbname))
    if not p.password:
        return shown
    user = "postgresql://" + quote(p.user, safe="")
    return shown.replace(user + "@", user + ":***@", 1)


def redacted_url(url: str) -> str:
    """Any URL to show people (an MLflow store, say), its password replaced by ***."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def flow_dsn(dsn: SecretStr | str | None) -> str | None:
    """A flow's `dsn` parameter as text.

    Flows take the DSN as a SecretStr so that Prefect stores and shows it masked; callers pass
    SecretStr(dsn) (a plain string still works, but is stored as given).
    """
    if dsn is None or isinstance(dsn, str):
        return dsn
    return dsn.get_secret_value()


def sqlalchemy_url(dsn: str, driver: str = "psycopg") -> str:
    """A SQLAlchemy URL for the DSN (socket directories stay in the query string)."""
    return "postgresql+" + driver + "://" + build_dsn(parse_dsn(dsn)).removeprefix("postgresql://")


def connect(dsn: str, **kwargs: Any) -> psycopg.Connection[Any]:
    """Open a psycopg connection with an actionable error if the server is unreachable."""
    import psycopg

    try:
        return psycopg.connect(dsn, **kwargs)
    except psycopg.OperationalError as exc:
        where = parse_dsn(dsn)
        raise DatabaseError(
            f"cannot connect to PostgreSQL at {where.host}:{where.port}/{where.dbname}: "
            f"{first_line(exc)}. Start it with 'credit-risk db start' "
            "or check CREDIT_DATABASE__DSN."
        ) from exc


def ensure_database(dsn: str) -> None:
    """Create the DSN's database if it does not exist yet."""
    parts = parse_dsn(dsn)
    admin = with_database(dsn, "postgres")
    with connect(admin, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (parts.dbname,))
        if exists.fetchone() is None:
            conn.execute(f'create database "{parts.dbname}"')
            log.info("created database %s", parts.dbname)


class EmbeddedPostgres:
    """A project-local PostgreSQL cluster under the state folder, kept running between commands."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata

    @property
    def is_initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def pid(self) -> int | None:
        """The postmaster PID when the server is running."""
        _prepare_pgserver_import()
        from pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        if info is None or not info.is_running():
            return None
        return info.pid

    def start(self) -> str:
        """Start (or reattach to) the server and return its admin DSN."""
        _prepare_pgserver_import()
        from pgserver.postgres_server import PostgresServer, get_server

        first_time = not self.is_initialised
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        if self.pid() is None:
            # pgserver caches handles per process; a stopped server's handle must not be reused.
            PostgresServer._instances.pop(self.pgdata.resolve(), None)
        server = get_server(self.pgdata, cleanup_mode=None)
        if first_time:
            self._configure()
        uri = server.get_uri()
        log.info("embedded PostgreSQL ready at %s", self.pgdata)
        return str(uri)

    def _configure(self) -> None:
        """Tune the new cluster for bulk loads, then restart it so the settings apply."""
        from pgserver.postgres_server import PostgresServer

        conf = self.pgdata / "postgresql.auto.conf"
        lines = [f"{key} = '{value}'" for key, value in EMBEDDED_SERVER_CONFIG.items()]
        with conf.open("a") as handle:
            handle.write("\n".join(lines) + "\n")
        self.stop()
        PostgresServer._instances.pop(self.pgdata.resolve(), None)
        PostgresServer(self.pgdata.resolve(), cleanup_mode=None)

    def stop(self) -> bool:
        """Stop the server; False when it was not running."""
        if self.pid() is None:  # imports pgserver the way it must be imported
            return False
        from pgserver import pg_ctl  # type: ignore[attr-defined]  # made at import time

        user = "pgserver" if os.geteuid() == 0 else None
        try:
            pg_ctl(["-w", "stop", "-m", "fast"], pgdata=self.pgdata, user=user, timeout=60)
        except subprocess.CalledProcessError as exc:
            raise DatabaseError(f"could not stop PostgreSQL; see {self.pgdata / 'log'}") from exc
        return True


def _prepare_pgserver_import() -> None:
    """pgserver reads XDG_RUNTIME_DIR at import and logs every pg_ctl call at INFO."""
    if "XDG_RUNTIME_DIR" not in os.environ:
        runtime = Path(f"/tmp/credit-risk-runtime-{os.getuid()}")
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    logging.getLogger("pgserver").setLevel(logging.WARNING)


def resolve_dsn(settings: Settings) -> str:
    """The data database DSN: the configured one, or the embedded server's (started if needed)."""
    if settings.database.dsn:
        return settings.database.dsn
    admin = EmbeddedPostgres(settings.pgdata_dir).start()
    dsn = with_database(admin, settings.database.name)
    ensure_database(dsn)
    return dsn


def resolve_mlflow_uri(settings: Settings, data_dsn: str) -> str:
    """MLflow's backend store: configured, or its own database beside the data."""
    if settings.mlflow.tracking_uri:
        return settings.mlflow.tracking_uri
    dsn = with_database(data_dsn, MLFLOW_DATABASE)
    ensure_database(dsn)
    return sqlalchemy_url(dsn, driver="psycopg2")
