"""Which Prefect task runner a flow's submitted tasks use, chosen from the settings per run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

if TYPE_CHECKING:
    from credit_risk.settings import RunnerSettings

__all__ = ["ConfiguredTaskRunner", "configured_task_runner", "task_runner_for"]


def task_runner_for(runner: RunnerSettings) -> TaskRunner[Any]:
    """'local': one task at a time in the flow's process; 'dask': a Dask cluster's workers."""
    if runner.task_runner == "local":
        return ThreadPoolTaskRunner(max_workers=1)
    from prefect_dask.task_runners import DaskTaskRunner

    if runner.dask_address:
        return DaskTaskRunner(address=runner.dask_address)
    # Processes, not threads: candidates are CPU-bound Python and would share one GIL. Workers
    # are spawned and inherit this process's environment (MLFLOW_TRACKING_URI and the rest).
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": runner.dask_workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        }
    )


class ConfiguredTaskRunner(ThreadPoolTaskRunner[Any]):
    """Stands in for the configured runner until a flow run starts.

    Prefect copies a flow's runner with duplicate() at the start of every run; this copy is the
    runner the settings name at that moment. A runner built at import time would freeze the
    choice before the environment (or a test) sets it.
    """

    def __init__(self) -> None:
        super().__init__(max_workers=1)

    def duplicate(self) -> Any:
        from credit_risk.settings import Settings

        return task_runner_for(Settings().runner)


def configured_task_runner() -> TaskRunner[Any]:
    """The flow decorator's task_runner: resolved from the settings when each run starts."""
    return ConfiguredTaskRunner()
