"""Which schema names people may choose for raw data or a named batch, and which are the platform's.

`credit-risk data generate --schema S` drops S with cascade before it swaps the new tables in,
and a named batch B is read from the raw schema B and built by dbt into B_staging,
B_intermediate and B_marts (dbt_project/macros/generate_schema_name.sql). Pointed at one of the
platform's own schemas, either would destroy it (governance.promotion_log, the champion history,
for one), so every command and flow that takes such a name checks it here before anything
touches the database.
"""

from __future__ import annotations

import re

__all__ = [
    "DBT_LAYERS",
    "LOADING_SUFFIX",
    "MAX_BATCH_NAME",
    "MAX_SCHEMA_NAME",
    "PLATFORM_SCHEMAS",
    "RAW_SCHEMA",
    "check_batch_name",
    "check_schema_name",
]

RAW_SCHEMA = "raw"
# dbt's layers: the main ones are schemas of these names, a batch's are <batch>_<layer>.
DBT_LAYERS = ("staging", "intermediate", "marts")
# The loader fills <schema>__loading and renames it to <schema> (credit_risk/synthetic/loader.py).
LOADING_SUFFIX = "__loading"
# PostgreSQL identifiers are at most 63 bytes; the loader's side schema must fit too.
MAX_SCHEMA_NAME = 63 - len(LOADING_SUFFIX)
# A batch's longest schema is <batch>_intermediate.
MAX_BATCH_NAME = 63 - len("_intermediate")
EXAMPLE = "raw_2026q1"

PLATFORM_SCHEMAS: dict[str, str] = {
    "governance": "it holds the promotion log, the champion history",
    "serving": "it holds the scoring log, the decision log and the batch scores",
    "monitoring": "it holds the monitoring runs and alerts",
    "staging": "dbt's main staging layer",
    "intermediate": "dbt's main intermediate layer",
    "marts": "dbt's main feature marts, which training and monitoring read",
    "analytics": "dbt's default target schema",
    "byo": "it holds the bring-your-own-data tables",
    "public": "PostgreSQL's default schema",
    "information_schema": "a PostgreSQL system schema",
}

_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")


def _identifier(name: object, what: str, longest: int) -> str:
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name) or len(name) > longest:
        raise ValueError(
            f"{what}: {name!r} is not a schema name (lower-case letters, digits and _, "
            f"starting with a letter, at most {longest} characters); e.g. {EXAMPLE}"
        )
    return name


def _owner(name: str) -> str | None:
    """Why `name` belongs to the platform, or None when it is free to use."""
    if name in PLATFORM_SCHEMAS:
        return PLATFORM_SCHEMAS[name]
    if name.startswith("pg_"):
        return "PostgreSQL reserves names starting with pg_"
    for layer in DBT_LAYERS:
        if name.endswith(f"_{layer}"):
            batch = name.removesuffix(f"_{layer}")
            return f"dbt builds the {layer} layer of batch {batch} there"
    if name.endswith(LOADING_SUFFIX):
        return f"the loader fills it while it replaces {name.removesuffix(LOADING_SUFFIX)}"
    return None


def check_schema_name(name: str, *, what: str) -> str:
    """`name` when raw data may be written into a schema of that name; else a ValueError.

    `what` names the option or parameter (e.g. "--schema"), so the message says which
    argument to change. `raw`, the default, and any other plain name are allowed.
    """
    _identifier(name, what, MAX_SCHEMA_NAME)
    owner = _owner(name)
    if owner is not None:
        raise ValueError(
            f"{what}: {name!r} is one of the platform's own schemas ({owner}); "
            f"choose another name, e.g. {EXAMPLE}"
        )
    return name


def check_batch_name(name: str, *, what: str = "batch") -> str:
    """`name` when it can be a named batch: a raw schema whose features go to <name>_marts.

    The same rule as check_schema_name, shorter (the batch's schemas add a suffix), and not
    `raw`, whose features are the main layers rather than a batch's.
    """
    _identifier(name, what, MAX_BATCH_NAME)
    if name == RAW_SCHEMA:
        raise ValueError(
            f"{what}: 'raw' is one of the platform's own schemas (the main raw data; its "
            "features are the main layers, not a batch's); "
            f"choose another name, e.g. {EXAMPLE}"
        )
    return check_schema_name(name, what=what)
