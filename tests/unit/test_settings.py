"""Settings: environment overrides, validation, and .env.example documenting every variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from credit_risk.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _variables(model: type[BaseModel], prefix: str = "CREDIT_") -> set[str]:
    names = set()
    for field_name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= {f"{prefix}{field_name.upper()}__{n}" for n in _leaf_names(annotation)}
        else:
            names.add(f"{prefix}{field_name.upper()}")
    return names


def _leaf_names(model: type[BaseModel]) -> set[str]:
    return {name.upper() for name in model.model_fields}


def test_env_example_documents_every_variable() -> None:
    text = (ROOT / ".env.example").read_text()
    missing = sorted(v for v in _variables(Settings) if f"{v}=" not in text)
    assert not missing, f".env.example does not document: {missing}"


def test_nested_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDIT_DATABASE__DSN", "postgresql://u:p@db:5432/x")
    monkeypatch.setenv("CREDIT_SERVING__PORT", "3100")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database.dsn == "postgresql://u:p@db:5432/x"
    assert settings.serving.port == 3100


def test_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDIT_SERVING__PORT", "99999")
    with pytest.raises(ValidationError, match=r"serving\.port"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_creating_settings_touches_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Settings(_env_file=None)  # type: ignore[call-arg]
    assert list(tmp_path.iterdir()) == []
