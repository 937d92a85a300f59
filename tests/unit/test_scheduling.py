"""The served champion's files are scheduled together; a renamed file must not drop out."""

from __future__ import annotations

from pathlib import Path

from tests.scheduling import SERVED_CHAMPION, SERVED_CHAMPION_FILES, FilesAndServedChampion

ROOT = Path(__file__).resolve().parents[2]


def test_every_grouped_file_exists_and_asks_for_the_served_champion() -> None:
    for path in SERVED_CHAMPION_FILES:
        source = (ROOT / path).read_text()
        assert "server" in source and "def test_" in source, path


def test_grouped_files_share_one_scope_and_others_keep_their_own() -> None:
    scheduler = FilesAndServedChampion.__new__(FilesAndServedChampion)
    scopes = {scheduler._split_scope(f"{path}::test_x") for path in SERVED_CHAMPION_FILES}
    assert scopes == {SERVED_CHAMPION}
    other = "tests/integration/test_monitoring.py"
    assert scheduler._split_scope(f"{other}::test_a[x]") == other
