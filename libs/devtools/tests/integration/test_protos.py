"""`buf breaking` holds proto/ to the released contracts: additions pass, breaks are caught."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fieldline_dev.paths import PROTO_DIR
from fieldline_dev.protos import breaking

ENVELOPE = Path("fieldline/common/v1/event_envelope.proto")


@pytest.fixture
def proto_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "proto"
    shutil.copytree(PROTO_DIR, copy, ignore=shutil.ignore_patterns("*.binpb"))
    return copy


def _edit(proto: Path, old: str, new: str) -> None:
    path = proto / ENVELOPE
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_the_committed_contracts_do_not_break_the_released_ones() -> None:
    assert breaking() == 0


def test_an_added_field_is_not_a_break(proto_copy: Path) -> None:
    _edit(proto_copy, "message EventEnvelope {", "message EventEnvelope {\n  string added = 99;")
    assert breaking(proto_copy) == 0


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("string event_id = 1;", "string event_id = 100;"),  # renumbered
        ("string aggregate_type = 3;", "int64 aggregate_type = 3;"),  # retyped
        ("  string causation_id = 7;\n", ""),  # removed
    ],
    ids=["renumbered", "retyped", "removed"],
)
def test_a_changed_field_is_a_break(proto_copy: Path, old: str, new: str) -> None:
    _edit(proto_copy, old, new)
    assert breaking(proto_copy) != 0
