"""Generated books, built once per test run and copied for each module that needs one.

Loading a book and running `dbt build` on it costs 15-20 s; a copy made with
`CREATE DATABASE ... TEMPLATE` costs well under a second. Modules that only read a book, or
change their own copy, ask for one of the two books below instead of generating their own. The
first test process that asks for a book builds it; the run's other processes use its template.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from credit_risk.database import connect, ensure_database, parse_dsn, with_database
from credit_risk.feature_build import FeatureBuildResult
from tests.shared import locked, once


@dataclass(frozen=True)
class Book:
    applications: int
    seed: int


# The serving, monitoring, validation, dbt and leakage tests share one book; training and
# the behavioural tests, which need more defaults to learn from, share a larger one.
STANDARD = Book(applications=3_000, seed=11)
TRAINING = Book(applications=4_000, seed=5)


@dataclass
class BookTemplates:
    """Template databases on the run's PostgreSQL, built on first use (nobody connects to them
    after)."""

    admin_dsn: str
    work: Path
    builds: dict[Book, tuple[str, FeatureBuildResult]] = field(default_factory=dict)
    frames: dict[Book, pd.DataFrame] = field(default_factory=dict)

    def copy(self, book: Book, prefix: str) -> str:
        """DSN of a new database holding the book's raw tables and dbt marts."""
        template, _ = self.build(book)
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        # PostgreSQL refuses a copy while another session holds the template.
        with (
            locked(f"template-{book.applications}-{book.seed}"),
            connect(with_database(self.admin_dsn, "postgres"), autocommit=True) as conn,
        ):
            conn.execute(f'create database "{name}" template "{parse_dsn(template).dbname}"')
        return with_database(self.admin_dsn, name)

    def build(self, book: Book) -> tuple[str, FeatureBuildResult]:
        """The template's DSN and its `dbt build` result (read it, never connect to it)."""
        if book not in self.builds:
            self.builds[book] = once(
                f"book-{book.applications}-{book.seed}", lambda: self._make(book)
            )
        return self.builds[book]

    def _make(self, book: Book) -> tuple[str, FeatureBuildResult]:
        from credit_risk.feature_build import build_features
        from credit_risk.synthetic.config import GeneratorConfig
        from credit_risk.synthetic.loader import load_raw

        name = f"book_{book.applications}_{book.seed}_{uuid.uuid4().hex[:8]}"
        dsn = with_database(self.admin_dsn, name)
        ensure_database(dsn)
        load_raw(dsn, GeneratorConfig(applications=book.applications, seed=book.seed))
        target = self.work / f"dbt-target-{book.applications}-{book.seed}"
        return dsn, build_features(dsn, target_path=target)

    def training_frame(self, book: Book) -> pd.DataFrame:
        """The book's mature labelled features (a copy: callers may change theirs)."""
        if book not in self.frames:
            from credit_risk.labelled_features import load_training_frame

            dsn = self.copy(book, "frame")
            try:
                self.frames[book] = load_training_frame(dsn)
            finally:
                self.drop(dsn)
        return self.frames[book].copy()

    def drop(self, dsn: str) -> None:
        with connect(with_database(self.admin_dsn, "postgres"), autocommit=True) as conn:
            conn.execute(f'drop database if exists "{parse_dsn(dsn).dbname}" with (force)')
