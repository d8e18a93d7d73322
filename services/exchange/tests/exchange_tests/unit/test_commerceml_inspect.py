"""Inspect without applying: the counts of a file (records read, skips with their lines) or its
refusal, one JSON object per file; the command's exit status."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fieldline_exchange.adapters.commerceml import inspect
from fieldline_exchange.domain.records import Counts, Skip
from fieldline_exchange.entrypoints import inspect as command

from .test_commerceml_fixtures import CATALOG, DOCUMENTS, OFFERS, cml, line_of

KEYS = [
    "file",
    "version",
    "kind",
    "groups",
    "properties",
    "products",
    "price_types",
    "warehouses",
    "offers",
    "prices",
    "stock_rows",
    "documents",
    "document_lines",
    "counterparties",
    "skipped",
]


def test_the_counts_of_a_file_in_the_models_keys(tmp_path: Path) -> None:
    body = CATALOG + OFFERS.replace("<Предложения>", "<Предложения>\n<Предложение/>")
    data = cml(body, version="2.07")
    path = tmp_path / "offers.xml"
    path.write_bytes(data)
    result = inspect(path)
    assert list(result) == KEYS
    assert result == {
        "file": str(path),
        "version": "2.07",
        "kind": "offers",
        "groups": 5,
        "properties": 1,
        "products": 2,
        "price_types": 1,
        "warehouses": 2,
        "offers": 3,
        "prices": 3,
        "stock_rows": 5,
        "documents": 0,
        "document_lines": 0,
        "counterparties": 0,
        "skipped": [{"line": line_of(data, "<Предложение/>"), "id": "", "reason": "empty-offer"}],
    }


def test_documents_are_counted_with_their_lines_and_counterparties() -> None:
    result = inspect(io.BytesIO(cml(DOCUMENTS)), name="orders.xml")
    assert (result["file"], result["kind"]) == ("orders.xml", "documents")
    assert (result["documents"], result["document_lines"], result["counterparties"]) == (2, 1, 1)


def test_a_refused_file() -> None:
    result = inspect(io.BytesIO(cml(CATALOG, version="3.0")), name="v3.xml")
    assert result == {
        "file": "v3.xml",
        "refused": {
            "code": "unsupported-version",
            "message": "CommerceML 3.x is not supported: export CommerceML 2.x (2.03–2.10)",
            "line": 2,
        },
    }


def test_counts_add_records_and_skips() -> None:
    counts = Counts(file="f")
    counts.add(Skip(3, "x", "missing-name", "detail stays out of the JSON"))
    assert counts.to_json()["skipped"] == [{"line": 3, "id": "x", "reason": "missing-name"}]


def test_the_command_prints_one_line_per_file_and_exits_1_on_a_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = tmp_path / "import.xml", tmp_path / "broken.xml"
    good.write_bytes(cml(CATALOG))
    bad.write_bytes(cml(CATALOG)[:-40])
    assert command.main([str(good)]) == 0
    assert command.main([str(good), str(bad)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert first == second
    assert (first["file"], first["products"], first["groups"]) == (str(good), 2, 5)
    assert third["file"] == str(bad)
    assert third["refused"]["code"] == "malformed"


def test_the_command_runs_as_a_module_and_reports_an_unreadable_file(tmp_path: Path) -> None:
    good = tmp_path / "import.xml"
    good.write_bytes(cml(CATALOG))
    missing = tmp_path / "missing.xml"
    run = subprocess.run(
        [sys.executable, "-m", "fieldline_exchange.entrypoints.inspect", str(good), str(missing)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert run.returncode == 2, run.stderr
    first, second = (json.loads(line) for line in run.stdout.splitlines())
    assert first["products"] == 2
    assert second == {"file": str(missing), "error": "No such file or directory"}
