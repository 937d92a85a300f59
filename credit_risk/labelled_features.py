"""The feature mart joined to mature labels: what models learn from, and what monitoring and
the model's lineage compare against."""

from __future__ import annotations

import hashlib
import logging

import numpy as np
import pandas as pd

from credit_risk.errors import first_line

__all__ = ["DATE_COLUMN", "TARGET", "data_hash", "load_training_frame"]

log = logging.getLogger(__name__)

TARGET = "is_default"
DATE_COLUMN = "applied_on"

# Only mature loans carry a label the model may learn from: a loan still inside its observation
# window has had no full chance to default, so counting it as good would bias the bad rate down.
TRAINING_QUERY = """
select f.*, l.is_default::int as is_default
from {marts}.application_features as f
inner join {marts}.application_labels as l using (application_id)
where l.is_mature and l.is_default is not null
order by f.applied_on, f.application_id
"""


def load_training_frame(dsn: str, batch: str | None = None) -> pd.DataFrame:
    """Contract features of every application with a mature label (0/1 `is_default`).

    `batch` reads a named batch's marts (<batch>_marts, e.g. the stress book) instead.
    """
    from credit_risk.database import connect
    from credit_risk.schema_names import check_batch_name

    marts = "marts" if batch is None else f"{check_batch_name(batch)}_marts"
    with connect(dsn) as conn, conn.cursor() as cur:
        try:
            cur.execute(TRAINING_QUERY.format(marts=marts))
        except Exception as exc:
            raise ValueError(
                f"cannot read {marts}.application_features / {marts}.application_labels "
                f"({first_line(exc)}); build the features first "
                "(credit_risk.feature_build.build_features)"
            ) from exc
        columns = [d.name for d in cur.description or ()]
        frame = pd.DataFrame(cur.fetchall(), columns=columns)
    if frame.empty:
        raise ValueError(
            "no mature labelled applications in marts.application_labels; "
            "generate more history or wait for loans to mature"
        )
    frame[DATE_COLUMN] = pd.to_datetime(frame[DATE_COLUMN])
    log.info(
        "training frame: %d mature applications, bad rate %.3f", len(frame), frame[TARGET].mean()
    )
    return frame


def data_hash(frame: pd.DataFrame) -> str:
    """A content hash of the frame (values and column names), for lineage."""
    digest = hashlib.sha256()
    digest.update(",".join(map(str, frame.columns)).encode())
    digest.update(np.asarray(pd.util.hash_pandas_object(frame, index=False)).tobytes())
    return digest.hexdigest()[:16]
