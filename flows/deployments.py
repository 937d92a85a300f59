"""The deployments: which flow, which schedule, which default parameters.

Flows are referenced by import path, so a flow module that is not there yet is skipped with a log
line instead of breaking the others. The monthly retrain is `run_pipeline` with generate=False:
it re-validates the raw data, rebuilds the features and trains on whatever labels have matured
since, and the promotion gate decides. `retrain_on_drift` retrains only when drift is found; it is
deployed for manual runs and has its own (off by default) schedule.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast, get_type_hints

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.deployments.runner import RunnerDeployment

    from credit_risk.settings import Settings

log = logging.getLogger(__name__)

SCHEDULE_OFF = "off"
TAGS = ["credit-risk"]


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment of one flow, before Prefect is imported."""

    name: str
    flow_path: str  # "module:function"
    description: str
    cron: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def module(self) -> str:
        return self.flow_path.partition(":")[0]

    @property
    def function(self) -> str:
        return self.flow_path.partition(":")[2]

    @property
    def schedule_text(self) -> str:
        return self.cron or "manual only"


def _cron(value: str) -> str | None:
    return None if value == SCHEDULE_OFF else value


def deployment_specs(settings: Settings) -> list[DeploymentSpec]:
    """Every deployment the project serves, with schedules and defaults from the settings."""
    o = settings.orchestration
    return [
        DeploymentSpec(
            name="pipeline",
            flow_path="flows.pipeline:run_pipeline",
            description="Generate data, build and validate features, train and promote.",
            parameters={"applications": settings.data.applications, "seed": settings.data.seed},
        ),
        DeploymentSpec(
            name="monthly-retrain",
            flow_path="flows.pipeline:run_pipeline",
            description="Retrain on the current raw data (no generation); the gate decides.",
            cron=_cron(o.retrain_cron),
            parameters={"generate": False},
        ),
        DeploymentSpec(
            name="train",
            flow_path="flows.train:train_model",
            description="Train candidates on the current feature mart and run the gate.",
        ),
        DeploymentSpec(
            name="daily-score",
            flow_path="flows.scoring:score_batch",
            description="Score every pending application with the champion.",
            cron=_cron(o.score_batch_cron),
        ),
        DeploymentSpec(
            name="daily-drift-check",
            flow_path="flows.drift:check_drift",
            description="Compare recent applications and scores with the champion's reference.",
            cron=_cron(o.drift_check_cron),
        ),
        DeploymentSpec(
            name="retrain-on-drift",
            flow_path="flows.drift:retrain_on_drift",
            description="Check drift and retrain when it is found.",
            cron=_cron(o.retrain_on_drift_cron),
        ),
    ]


def find_spec(specs: list[DeploymentSpec], name: str) -> DeploymentSpec:
    """A spec by deployment name, or by 'flow-name/deployment-name'."""
    wanted = name.rpartition("/")[2]
    for spec in specs:
        if spec.name == wanted:
            return spec
    known = ", ".join(s.name for s in specs)
    raise ValueError(f"deployment {name!r} is not defined; known deployments: {known}")


def load_flow(spec: DeploymentSpec) -> Flow[..., Any] | None:
    """The flow object, or None (logged) when its module has not been written yet."""
    try:
        module = importlib.import_module(spec.module)
    except ModuleNotFoundError as exc:
        if exc.name != spec.module:
            raise  # the module exists but something it imports is missing: a real error
        log.warning("deployment %s skipped: module %s does not exist yet", spec.name, spec.module)
        return None
    flow = getattr(module, spec.function, None)
    if flow is None:
        log.warning(
            "deployment %s skipped: %s has no flow named %s", spec.name, spec.module, spec.function
        )
        return None
    return flow  # type: ignore[no-any-return]


def full_name(spec: DeploymentSpec, flow: Flow[..., Any]) -> str:
    """Prefect's deployment name: '<flow name>/<deployment name>'."""
    return f"{flow.name}/{spec.name}"


def required_parameters(flow: Flow[..., Any]) -> list[str]:
    """Parameters of the flow without a default value."""
    signature = inspect.signature(flow.fn)
    return [n for n, p in signature.parameters.items() if p.default is inspect.Parameter.empty]


def check_parameters(spec: DeploymentSpec, flow: Flow[..., Any]) -> bool:
    """True when every required parameter has a value; a flow resolves its DSN from settings.

    Deployment parameters are stored on the Prefect server and shown in its UI, so connection
    details are never among them: each run builds its own settings.
    """
    missing = [n for n in required_parameters(flow) if n not in spec.parameters]
    if missing:
        log.warning(
            "deployment %s skipped: required parameters without a value: %s",
            spec.name,
            ", ".join(missing),
        )
    return not missing


def build_deployments(settings: Settings) -> list[RunnerDeployment]:
    """Prefect runner deployments for every spec whose flow exists."""
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    deployments: list[RunnerDeployment] = []
    for spec in deployment_specs(settings):
        flow = load_flow(spec)
        if flow is None:
            continue
        if not check_parameters(spec, flow):
            continue
        schedule = Cron(spec.cron, timezone=settings.orchestration.timezone) if spec.cron else None
        deployment = cast(
            "RunnerDeployment",
            flow.to_deployment(
                name=spec.name,
                schedule=schedule,
                parameters=dict(spec.parameters),
                description=spec.description,
                tags=TAGS,
                # A module path imports flows as a package from the project root, the same
                # way the CLI does, whatever folder the serving process started in.
                entrypoint_type=EntrypointType.MODULE_PATH,
            ),
        )
        deployments.append(deployment)
    return deployments


def parse_parameter(text: str) -> tuple[str, Any]:
    """'name=value' from the command line; the value is JSON when it parses, else a string."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ValueError(f"parameter {text!r} must look like name=value")
    try:
        return name, json.loads(raw)
    except json.JSONDecodeError:
        return name, raw


def validate_parameters(flow: Flow[..., Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Check names and types against the flow's signature; errors name the parameter.

    A `batch` (a schema name) is also checked against the platform's own schemas, so a bad
    name is refused before a run is created.
    """
    from pydantic import TypeAdapter, ValidationError

    from credit_risk.schema_names import check_batch_name

    signature = inspect.signature(flow.fn)
    hints = get_type_hints(flow.fn)
    validated = {}
    for name, value in parameters.items():
        if name not in signature.parameters:
            known = ", ".join(signature.parameters)
            raise ValueError(
                f"parameter {name!r} is not a parameter of {flow.name}; it takes: {known}"
            )
        try:
            adapter = TypeAdapter(hints.get(name, Any))
            validated[name] = adapter.dump_python(adapter.validate_python(value), mode="json")
        except ValidationError as exc:
            problem = "; ".join(e["msg"] for e in exc.errors())
            raise ValueError(f"parameter {name!r}: {problem} (got {value!r})") from exc
        if name == "batch" and validated[name] is not None:
            check_batch_name(validated[name], what="parameter 'batch'")
    return validated
