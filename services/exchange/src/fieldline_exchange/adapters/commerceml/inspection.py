"""Inspect without applying (docs/contexts/exchange.md): read a whole file and say what it
holds — the counts an import would apply and the skips — or why it is refused."""

from __future__ import annotations

import os

from fieldline_exchange.adapters.commerceml.reader import Source, read
from fieldline_exchange.domain.records import Counts, Refusal


def inspect(source: Source, *, name: str | None = None) -> dict[str, object]:
    """One inspect line: the counts and skips of `source`, or `{"file", "refused"}`."""
    file = name if name is not None else _name(source)
    counts = Counts(file=file)
    reading = read(source)
    try:
        for item in reading:
            counts.add(item)
    except Refusal as refusal:
        return {"file": file, "refused": refusal.to_json()}
    header = reading.header
    assert header is not None  # a pass that ends without refusing has seen the root
    counts.version, counts.kind = header.version, header.kind
    return counts.to_json()


def _name(source: Source) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return str(getattr(source, "name", "<stream>"))
