"""How `make test` hands test files to its pytest-xdist workers.

As `--dist loadfile`, a file runs whole on one worker, so its module fixtures are built once.
The files that only call the served champion go to the same worker together, so that one
`bentoml serve` (a session fixture, ~15 s to start) answers them all.
"""

from __future__ import annotations

from xdist.scheduler import LoadFileScheduling

SERVED_CHAMPION = "served champion"
SERVED_CHAMPION_FILES = frozenset(
    {
        "tests/integration/test_serving_http.py",
        "tests/integration/test_served_decisions.py",
        "tests/integration/test_service_fuzz.py",
        "tests/integration/test_console.py",
        "tests/integration/test_console_browser.py",
    }
)


class FilesAndServedChampion(LoadFileScheduling):
    def _split_scope(self, nodeid: str) -> str:
        path = super()._split_scope(nodeid)
        return SERVED_CHAMPION if path in SERVED_CHAMPION_FILES else path
