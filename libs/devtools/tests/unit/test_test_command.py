"""`./fl test`'s PostgreSQL pass runs every test path but those that run the system on SQLite
files by design — named, since pytest collects a path given as an argument (as `testpaths`
are) whatever `--ignore` says: tests/e2e and the dev tools' tests ran in both passes."""

from __future__ import annotations

import tomllib

from fieldline_dev.__main__ import SQLITE_ONLY, postgres_paths
from fieldline_dev.paths import ROOT


def test_the_postgresql_pass_names_every_test_path_but_the_sqlite_only_ones() -> None:
    with (ROOT / "pyproject.toml").open("rb") as f:
        testpaths = tomllib.load(f)["tool"]["pytest"]["ini_options"]["testpaths"]
    assert set(SQLITE_ONLY) <= set(testpaths)  # a renamed path would slip back in
    assert postgres_paths() == [p for p in testpaths if p not in SQLITE_ONLY]
    assert "tests/replicas" in postgres_paths() and "tests/e2e" not in postgres_paths()
