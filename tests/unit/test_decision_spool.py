"""The decision spool: whole files only, one replayer per file, unreadable files kept."""

from __future__ import annotations

import fcntl
from datetime import UTC, datetime
from pathlib import Path

from serving.decision_spool import DecisionSpool


def test_a_spooled_batch_reads_back_row_for_row(tmp_path: Path) -> None:
    spool = DecisionSpool(tmp_path / "spool")
    at = datetime(2026, 12, 2, 12, tzinfo=UTC)
    first = spool.put([(at, "a-1", None, 0.25, "{}"), (at, "a-2", 7, 0.5, "[]")])
    second = spool.put([(at, "a-3", 9, 0.75, "{}")])

    assert spool.files() == sorted([first, second], key=lambda p: p.stat().st_mtime)
    with spool.claim(first) as rows:
        assert rows == [[str(at), "a-1", None, 0.25, "{}"], [str(at), "a-2", 7, 0.5, "[]"]]
        first.unlink()
    assert spool.files() == [second]
    assert not list((tmp_path / "spool").glob(".*.part"))  # no temporary file is left behind


def test_a_file_another_process_holds_is_skipped(tmp_path: Path) -> None:
    spool = DecisionSpool(tmp_path)
    path = spool.put([("a-1",)])
    with path.open() as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with spool.claim(path) as rows:
            assert rows is None
    with spool.claim(path) as rows:
        assert rows == [["a-1"]]


def test_a_file_replayed_and_deleted_meanwhile_is_skipped(tmp_path: Path) -> None:
    spool = DecisionSpool(tmp_path)
    path = spool.put([("a-1",)])
    path.unlink()
    with spool.claim(path) as rows:
        assert rows is None


def test_an_unreadable_file_is_kept_aside_not_deleted(tmp_path: Path) -> None:
    spool = DecisionSpool(tmp_path)
    path = spool.put([("a-1",)])
    path.write_text('["a-1"]\n["a-2", tru\n')
    with spool.claim(path) as rows:
        assert rows is None
    assert spool.files() == []
    assert path.with_suffix(".unreadable").read_text().startswith('["a-1"]')


def test_an_empty_or_missing_folder_has_no_files(tmp_path: Path) -> None:
    assert DecisionSpool(tmp_path / "absent").files() == []
