"""What to generate: size, seed, scenario and window, validated before anything is touched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np

Scenario = Literal["baseline", "recession"]
SCENARIOS: tuple[Scenario, ...] = ("baseline", "recession")


@dataclass(frozen=True)
class GeneratorConfig:
    applications: int
    seed: int = 42
    scenario: Scenario = "baseline"
    bad_rate: float = 0.15
    start_on: date = date(2023, 7, 1)
    months: int = 36
    customers_per_application: float = 0.7

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.applications, int) or self.applications < 1:
            problems.append(
                f"applications must be a positive whole number, got {self.applications!r}"
            )
        if not isinstance(self.seed, int) or self.seed < 0:
            problems.append(f"seed must be a whole number >= 0, got {self.seed!r}")
        if self.scenario not in SCENARIOS:
            problems.append(
                f"scenario must be one of {', '.join(SCENARIOS)}, got {self.scenario!r}"
            )
        if not 0.01 <= self.bad_rate <= 0.6:
            problems.append(f"bad_rate must be between 0.01 and 0.6, got {self.bad_rate!r}")
        if self.months < 24:
            problems.append(
                f"months must be at least 24 so data can be split by time, got {self.months}"
            )
        if not 0.05 <= self.customers_per_application <= 1:
            problems.append(
                "customers_per_application must be between 0.05 and 1, "
                f"got {self.customers_per_application!r}"
            )
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def snapshot_on(self) -> date:
        """The extract date: everything after it is unknown to the data."""
        end = np.datetime64(self.start_on, "M") + self.months
        return (end.astype("datetime64[D]") - 1).astype(date)  # type: ignore[no-any-return]

    @property
    def customers(self) -> int:
        return max(1, round(self.applications * self.customers_per_application))
