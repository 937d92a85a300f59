"""docker-compose.yml and .env.example, checked by parsing: no Docker engine runs here.

Every CREDIT_* name must be a real setting, host ports must not collide, builds must find their
Dockerfile and what it copies, and every dependency must have a health check to wait for.
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

from credit_risk.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
REQUIRED_SERVICES = {"postgres", "mlflow", "prefect-server", "prefect-worker", "serving"}
SETTING_NAME = re.compile(r"\bCREDIT_[A-Z0-9_]+")
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)")
POSTGRES_URL_DATABASE = re.compile(r"postgresql(?:\+\w+)?://[^/\s]+/(\w+)")


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
