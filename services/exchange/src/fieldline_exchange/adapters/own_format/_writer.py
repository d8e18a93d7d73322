"""Writing an own-format file with lxml's incremental writer (`etree.xmlfile`), UTF-8, one
record at a time: memory flat whatever the number of records. Consecutive records of a kind
share a section (a kind may come back later: a new section of it). Every value is checked
before it is written, and the ids the schema keeps unique are checked across the file, so
what is written is valid; a ValueError names the record and field otherwise (the output is
then incomplete: write to a temporary file and move it into place)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Hashable, Iterable
from datetime import datetime
from typing import Any, BinaryIO

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from fieldline_exchange.adapters.own_format._catalog import NAMESPACE, PUBLISHED, VERSION
from fieldline_exchange.adapters.own_format._sections import BY_KIND, Out, Section, minor_needed
from fieldline_exchange.adapters.own_format._values import format_timestamp, format_token, q
from fieldline_exchange.domain.own_records import OwnRecord

ROOT = "FieldlineExchange"


def write(
    records: Iterable[OwnRecord],
    out: str | os.PathLike[str] | BinaryIO,
    *,
    partner: str,
    created: datetime,
    version: str = VERSION,
) -> int:
    """Writes the records to `out` (a path or a binary stream) as one file of `version` (a
    published minor: the newest unless told; an older one for a partner that reads only that,
    whose records must then be carried by it); returns how many were written. A file holds at
    least one record."""
    minors = {s.version for s in PUBLISHED if s.namespace == NAMESPACE}
    if version not in minors:
        raise ValueError(f"version: one of {', '.join(sorted(minors))}, got {version!r}")
    attributes = {
        "version": version,
        "created": format_timestamp("created", created),
        "partner": format_token("partner", partner),
    }
    remaining = iter(records)
    first = next(remaining, None)
    if first is None:
        raise ValueError("records: a file holds at least one section; nothing to write")
    seen: dict[type, set[Hashable]] = {}
    count = 0
    target = os.fspath(out) if isinstance(out, (str, os.PathLike)) else out
    with etree.xmlfile(target, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(q(ROOT), attributes, nsmap={None: NAMESPACE}):
            for kind, group in itertools.groupby(itertools.chain([first], remaining), key=type):
                section = BY_KIND.get(kind)
                if section is None:
                    raise ValueError(f"records[{count}]: not a record of the format: {kind!r}")
                keys = seen.setdefault(kind, set())
                xf.write("\n  ")
                with xf.element(q(section.tag)):
                    for record in group:
                        at = f"{section.item}[{count}]"
                        _check_minor(record, at, version)
                        _write_item(xf, section, record, at, keys)
                        count += 1
                    xf.write("\n  ")
            xf.write("\n")
    return count


def _check_minor(record: OwnRecord, at: str, version: str) -> None:
    needed = minor_needed(record)
    if _key(needed) > _key(version):
        raise ValueError(f"{at}: needs version {needed} of the format, the file is {version}")


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _write_item(xf: Any, section: Section, record: OwnRecord, at: str, keys: set[Hashable]) -> None:
    key = section.key(record)
    if key in keys:
        raise ValueError(f"{at}: {key!r} is already in this file (unique per {section.item})")
    keys.add(key)
    with Out(xf, 2).nested(section.item) as fields:
        section.write(fields, record, at)
