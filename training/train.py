"""Train every candidate in turn under one parent run and pick the best: the sequential path.

Flows run the same steps as separate tasks (`plan_training`, `train_candidate` per candidate,
`finish_training`); this is the convenience for scripts, benchmarks and tests.
"""

from __future__ import annotations

from typing import Unpack

import pandas as pd

from training.candidate_run import CandidateOutcome, train_candidate
from training.choose_best import TrainingResult, abandon_training, finish_training
from training.plan import TrainingOptions, plan_training

__all__ = ["train_candidates"]


def train_candidates(
    frame: pd.DataFrame, *, experiment: str, **options: Unpack[TrainingOptions]
) -> TrainingResult:
    """Train, calibrate, evaluate and log each candidate in turn under one parent run.

    The options and their defaults are those of `plan_training`.
    """
    plan = plan_training(frame, experiment=experiment, **options)
    outcomes: list[CandidateOutcome] = []
    failed: dict[str, str] = {}
    try:
        for name in plan.candidates:
            try:
                outcomes.append(train_candidate(plan, name))
            except Exception as exc:  # one broken candidate must not sink the others
                failed[name] = f"{type(exc).__name__}: {exc}"
    except BaseException as exc:  # interrupted: the parent run must not stay "running"
        abandon_training(plan, f"interrupted: {type(exc).__name__}: {exc}")
        raise
    return finish_training(plan, outcomes, failed)
