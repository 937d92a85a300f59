"""The command line: --help everywhere, and no heavy imports just to show it."""

from __future__ import annotations

import subprocess
import sys

import typer.main
from typer.testing import CliRunner

from cli.main import app

HEAVY_MODULES = ("mlflow", "great_expectations", "prefect", "dbt", "evidently", "bentoml", "shap")


def _command_paths(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, command in getattr(group, "commands", {}).items():
        paths += _command_paths(command, (*prefix, name))
    return paths


def test_every_command_has_help() -> None:
    root = typer.main.get_command(app)
    paths = _command_paths(root)
    assert len(paths) > 8
    runner = CliRunner()
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.output, path
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        assert command.help or command.short_help, f"command {name} has no help text"


def test_help_imports_no_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from cli.main import app\n"
        "CliRunner().invoke(app, ['--help'])\n"
        f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
