"""docker-compose.yml and .env.example, checked by parsing: no Docker engine runs here.

Every CREDIT_* name must be a real setting, host ports must not collide, builds must find their
Dockerfile and what it copies, and every dependency must have a health check to wait for. No
secret has a default, and none reaches a command line (where `ps` and `docker top` show it).
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from cli.local_stack.services import MLFLOW_BACKEND_STORE_URI
from credit_risk.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
REQUIRED_SERVICES = {"postgres", "mlflow", "prefect-server", "prefect-worker", "serving"}
SETTING_NAME = re.compile(r"\bCREDIT_[A-Z0-9_]+")
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)")
# The server part may hold a ${NAME:?message} interpolation, spaces in its message and all.
POSTGRES_URL_DATABASE = re.compile(r"postgresql(?:\+\w+)?://(?:\$\{[^}]*\}|[^/\s$])+/(\w+)")
SECRET_NAME = re.compile(r"PASSWORD|KEY|SECRET|TOKEN")
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME:+alt}, ...; $$ escapes a $.
BRACED = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([^}]*))?\}")
BARE = re.compile(r"(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)")
# NAME: value or NAME=value, in an environment mapping or list.
ASSIGNMENT = re.compile(r"""^\s*(?:-\s*)?["']?(?P<key>[A-Z0-9_]+)["']?\s*[:=]\s*(?P<value>.*)$""")
# scheme://user:password@ (the password part may be an interpolation).
URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^\s/@:]+:(\$\{[^}]*\}|[^\s/@]+)@", re.I)


def setting_names(model: type[BaseModel], prefix: str = "CREDIT_") -> set[str]:
    """Every environment variable the settings read, nested sections walked recursively."""
    names: set[str] = set()
    for field_name, info in model.model_fields.items():
        name = prefix + field_name.upper()
        sections = [a for a in _types_in(info.annotation) if _is_model(a)]
        if sections:
            for section in sections:
                names |= setting_names(section, name + "__")
        else:
            names.add(name)
    return names


def _types_in(annotation: Any) -> list[Any]:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return [t for arg in typing.get_args(annotation) for t in _types_in(arg)]
    return [annotation]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


VALID_NAMES = setting_names(Settings)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict) and loaded.get("services"), "docker-compose.yml has no services"
    return loaded


def _services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _host_ports(service: dict[str, Any]) -> list[str]:
    """Published host ports (with their address), from the short and the long port syntax."""
    published = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            if "published" in port:
                published.append(f"{port.get('host_ip', '0.0.0.0')}:{port['published']}")
            continue
        parts = str(port).split("/")[0].split(":")
        if len(parts) == 3:
            published.append(f"{parts[0]}:{parts[1]}")
        elif len(parts) == 2:
            published.append(f"0.0.0.0:{parts[0]}")
    return published


def _dependencies(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return {name: {} for name in depends}
    return {str(k): dict(v or {}) for k, v in depends.items()}


def defaulted_secrets(text: str) -> list[str]:
    """Interpolations of a secret-named variable (PASSWORD, KEY, ...) that do not require it:
    a default (`:-`, `-`), an alternative (`:+`, `+`), or none at all (unset becomes "")."""
    found = []
    for match in BRACED.finditer(text):
        name, operator = match.group(1), match.group(2)
        if SECRET_NAME.search(name) and operator != ":?":
            found.append(match.group(0))
    found += [m.group(0) for m in BARE.finditer(text) if SECRET_NAME.search(m.group(1))]
    return found


def inline_passwords(text: str) -> list[str]:
    """Passwords written into connection URLs, or given to a secret-named variable, as literals
    rather than a required ${NAME:?...} interpolation."""
    required = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]*\}")
    found = [m.group(0) for m in URL_PASSWORD.finditer(text) if not required.fullmatch(m.group(1))]
    for line in text.splitlines():
        setting = ASSIGNMENT.match(line)
        if setting and SECRET_NAME.search(setting["key"]):
            value = setting["value"].strip().strip("\"'")
            if value and not required.fullmatch(value):
                found.append(line.strip())
    return found


def _argv_texts(service: dict[str, Any]) -> list[str]:
    """What becomes a process's argv: command, entrypoint and the health check's test."""
    texts = []
    for part in (service.get("command"), service.get("entrypoint")):
        if part is not None:
            texts.append(part if isinstance(part, str) else " ".join(map(str, part)))
    test = (service.get("healthcheck") or {}).get("test")
    if test is not None:
        texts.append(test if isinstance(test, str) else " ".join(map(str, test)))
    return texts


def secrets_on_command_lines(compose: dict[str, Any]) -> list[str]:
    """Each service whose command line carries a URL with a password or a secret variable."""
    found = []
    for name, service in _services(compose).items():
        for text in _argv_texts(service):
            secrets = [m.group(0) for m in URL_PASSWORD.finditer(text)]
            secrets += [
                m.group(0)
                for pattern in (BRACED, BARE)
                for m in pattern.finditer(text)
                if SECRET_NAME.search(m.group(1))
            ]
            found += [f"{name}: {secret}" for secret in secrets]
    return found


def _copy_sources(dockerfile: Path) -> list[str]:
    """Source paths of every COPY/ADD that reads the build context (not another stage)."""
    sources = []
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if not words or words[0].upper() not in ("COPY", "ADD"):
            continue
        args = words[1:]
        if any(a.startswith("--from=") for a in args):
            continue
        paths = [a for a in args if not a.startswith("--")]
        sources.extend(paths[:-1])
    return sources


def test_the_stack_has_every_service(compose: dict[str, Any]) -> None:
    services = _services(compose)
    missing = REQUIRED_SERVICES - set(services)
    assert not missing, f"docker-compose.yml lacks services {sorted(missing)}"
    assert services["prefect-worker"]["command"] == "credit-risk flows serve"


def test_every_credit_variable_is_a_real_setting(compose: dict[str, Any]) -> None:
    unknown = {
        f"{name}: {key}"
        for name, service in _services(compose).items()
        for key in _environment(service)
        if key.startswith("CREDIT_") and key not in VALID_NAMES
    }
    interpolated = set(INTERPOLATION.findall(COMPOSE.read_text()))
    unknown |= {
        f"${{{v}}}" for v in interpolated if v.startswith("CREDIT_") and v not in VALID_NAMES
    }
    assert not unknown, f"not settings (see credit_risk/settings.py): {sorted(unknown)}"


def test_env_example_names_only_real_settings() -> None:
    named = set(SETTING_NAME.findall(ENV_EXAMPLE.read_text()))
    assigned = set(re.findall(r"^#?\s*(CREDIT_[A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.M))
    assert assigned, ".env.example assigns no CREDIT_ variable"
    unknown = sorted((named | assigned) - VALID_NAMES)
    assert not unknown, f".env.example names variables no setting reads: {unknown}"


def test_setting_names_walk_nested_sections() -> None:
    assert {"CREDIT_DATABASE__DSN", "CREDIT_RUNNER__TASK_RUNNER"} <= VALID_NAMES
    assert "CREDIT_DATABASE" not in VALID_NAMES and "CREDIT_RUNNER" not in VALID_NAMES


def test_host_ports_do_not_collide(compose: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    for name, service in _services(compose).items():
        replicas = int((service.get("deploy") or {}).get("replicas", 1))
        ports = _host_ports(service)
        assert not (ports and replicas > 1), f"{name}: {replicas} replicas cannot share {ports}"
        for port in ports:
            number = port.rsplit(":", 1)[1]
            clash = [seen[p] for p in seen if p.rsplit(":", 1)[1] == number]
            assert not clash, f"host port {number} is published by both {clash[0]} and {name}"
            seen[port] = name


def test_builds_find_their_dockerfile_and_everything_it_copies(compose: dict[str, Any]) -> None:
    for name, service in _services(compose).items():
        build = service.get("build")
        if build is None:
            image = str(service.get("image", ""))
            assert re.fullmatch(r"[\w./-]+:[\w.-]+", image), f"{name}: image {image!r} lacks a tag"
            continue
        if isinstance(build, str):
            build = {"context": build}
        context = (ROOT / build.get("context", ".")).resolve()
        assert context.is_dir(), f"{name}: build context {context} does not exist"
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"
        sources = _copy_sources(dockerfile)
        assert sources, f"{dockerfile} copies nothing from the context"
        absent = [s for s in sources if not list(context.glob(s.rstrip("/")))]
        assert not absent, f"{dockerfile}: COPY sources missing from {context}: {absent}"


def test_dependencies_wait_for_health_checks(compose: dict[str, Any]) -> None:
    services = _services(compose)
    for name, service in services.items():
        for dependency, options in _dependencies(service).items():
            assert dependency in services, f"{name} depends on undefined service {dependency!r}"
            assert services[dependency].get("healthcheck"), (
                f"{name} depends on {dependency}, which has no healthcheck to wait for"
            )
            assert options.get("condition") == "service_healthy", (
                f"{name} should wait for {dependency} with condition: service_healthy"
            )


def test_volumes_are_declared_and_bind_mounts_exist(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in _services(compose).items():
        for volume in service.get("volumes") or []:
            source = volume.get("source") if isinstance(volume, dict) else volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: bind mount {source} does not exist"
            else:
                assert source in declared, f"{name}: volume {source!r} is not declared"


def test_every_database_the_stack_uses_is_created(compose: dict[str, Any]) -> None:
    postgres = _environment(_services(compose)["postgres"])
    init = (ROOT / "infra" / "postgres" / "init.sql").read_text().lower()
    created = {postgres["POSTGRES_DB"]} | set(re.findall(r"create database (\w+)", init))
    used = set(POSTGRES_URL_DATABASE.findall(COMPOSE.read_text()))
    assert used, "no service connects to PostgreSQL"
    assert used <= created, f"databases used but never created: {sorted(used - created)}"


def test_no_secret_has_a_default() -> None:
    text = COMPOSE.read_text()
    assert "POSTGRES_PASSWORD" in text and "CREDIT_SERVING__API_KEY" in text
    defaulted = defaulted_secrets(text)
    assert not defaulted, (
        f"secrets must be required (${{NAME:?message}}), never defaulted or optional: {defaulted}"
    )
    inline = inline_passwords(text)
    assert not inline, f"passwords written into docker-compose.yml: {inline}"


def test_no_password_is_on_a_command_line(compose: dict[str, Any]) -> None:
    found = secrets_on_command_lines(compose)
    assert not found, (
        f"command lines show in `ps`; pass these through the environment instead: {found}"
    )


def test_mlflow_reads_its_store_with_the_password_from_the_environment(
    compose: dict[str, Any],
) -> None:
    mlflow = _services(compose)["mlflow"]
    assert "mlflow server" in str(mlflow["command"])
    assert "--backend-store-uri" not in str(mlflow["command"])
    store = _environment(mlflow).get(MLFLOW_BACKEND_STORE_URI, "")
    assert re.fullmatch(
        r"postgresql://credit:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432/mlflow", store
    )


def test_the_secret_checks_catch_defaults_inline_passwords_and_command_lines() -> None:
    """The checks above on the shapes they exist to refuse (they would pass on anything else)."""
    assert defaulted_secrets("P: ${POSTGRES_PASSWORD:-credit}") == ["${POSTGRES_PASSWORD:-credit}"]
    assert defaulted_secrets("K: ${CREDIT_SERVING__API_KEY-x} $AWS_SECRET_ACCESS_KEY") == [
        "${CREDIT_SERVING__API_KEY-x}",
        "$AWS_SECRET_ACCESS_KEY",
    ]
    assert defaulted_secrets("U: ${POSTGRES_PASSWORD}") == ["${POSTGRES_PASSWORD}"]
    assert defaulted_secrets("P: ${POSTGRES_PASSWORD:?set it} ${CREDIT_RUNNER__X:-a} $$KEY") == []
    assert inline_passwords("DSN: postgresql://credit:credit@postgres:5432/x") == [
        "postgresql://credit:credit@"
    ]
    assert inline_passwords("      POSTGRES_PASSWORD: credit") == ["POSTGRES_PASSWORD: credit"]
    assert inline_passwords("  - MINIO_SECRET_KEY=minio123") == ["- MINIO_SECRET_KEY=minio123"]
    assert (
        inline_passwords("DSN: postgresql://credit:${P:?set P}@db/x\nPOSTGRES_PASSWORD: ${P:?x}")
        == []
    )
    bad = {
        "services": {
            "a": {"command": "mlflow server --backend-store-uri postgresql://u:${P:?p}@db/m"},
            "b": {"command": ["tool", "--token", "${CREDIT_SERVING__API_KEY:?k}"]},
            "c": {
                "command": "tool",
                "healthcheck": {"test": ["CMD", "psql", "postgresql://u:pw@db/x"]},
            },
            "d": {"command": "prefect server start", "entrypoint": ["sh", "-c"]},
        }
    }
    assert secrets_on_command_lines(bad) == [
        "a: postgresql://u:${P:?p}@",
        "b: ${CREDIT_SERVING__API_KEY:?k}",
        "c: postgresql://u:pw@",
    ]
