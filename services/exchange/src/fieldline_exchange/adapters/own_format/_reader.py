"""Reading an own-format file: validated first (a file that is not valid yields nothing),
then one streaming pass yielding a record per item, each item released once read (memory
flat whatever the file's size)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from fieldline_exchange.adapters.own_format._refusal import Refused
from fieldline_exchange.adapters.own_format._validate import (
    ITEM_TAGS,
    SAFE,
    items,
    release,
    validate,
)
from fieldline_exchange.adapters.own_format._values import collapse, parse_timestamp
from fieldline_exchange.domain.own_records import ExchangeHeader, OwnRecord


def read(path: str | os.PathLike[str], *, validated: bool = False) -> Iterator[OwnRecord]:
    """The file's records in document order. The file is validated here (raises `Refused`
    before anything is yielded) unless `validated`: only for a file this process has
    validated already and that cannot have changed since (a job's stored file)."""
    file = Path(path)
    if not validated:
        _require_valid(file)
    return _records(file)


def read_header(path: str | os.PathLike[str], *, validated: bool = False) -> ExchangeHeader:
    """The root's attributes: the version the file declares, when and by whom it was made."""
    file = Path(path)
    if not validated:
        _require_valid(file)
    with file.open("rb") as stream:
        for _, root in etree.iterparse(stream, events=("start",), **SAFE):
            return ExchangeHeader(
                version=collapse(root.get("version", "")),
                created=parse_timestamp(root.get("created", "")),
                partner=collapse(root.get("partner", "")),
            )
    raise AssertionError("unreachable: a valid file has a root")  # pragma: no cover


def _require_valid(file: Path) -> None:
    refusal = validate(file)
    if refusal is not None:
        raise Refused(refusal)


def _records(file: Path) -> Iterator[OwnRecord]:
    with file.open("rb") as stream:
        events = etree.iterparse(stream, events=("end",), tag=ITEM_TAGS, **SAFE)
        for section, element in items(events):
            yield section.read(element)
            release(element)
