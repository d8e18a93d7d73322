"""The published schemas of the own format: the files served at `/v1/schemas/{name}` and
the one a file is validated against (by its root's namespace, one per major, and the minor its
`version` declares)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

NAMESPACE = "urn:fieldline:exchange:1.0"
VERSION = "1.1"  # the newest: what the writer writes unless told otherwise

_SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"


@dataclass(frozen=True)
class PublishedSchema:
    name: str  # the file name, also its name at /v1/schemas/{name}
    namespace: str
    version: str
    media_type: str = "application/xml"

    @property
    def version_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split("."))


# Oldest first. A published file never changes: a new minor is a new file (its namespace the
# major's), a new major a new namespace too (docs/exchange/own-format.md, Versioning).
PUBLISHED: tuple[PublishedSchema, ...] = (
    PublishedSchema(name="fieldline-exchange-1.0.xsd", namespace=NAMESPACE, version="1.0"),
    # TareDocuments, the role teleseller.
    PublishedSchema(name="fieldline-exchange-1.1.xsd", namespace=NAMESPACE, version="1.1"),
)


class UnknownSchema(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no published schema named {name!r}")
        self.name = name


def published_schemas() -> tuple[PublishedSchema, ...]:
    return PUBLISHED


def schema_path(name: str) -> Path:
    """The file of a published schema, by its name; only the listed names resolve (a name is
    never joined to a path as given)."""
    for schema in PUBLISHED:
        if schema.name == name:
            return _SCHEMAS_DIR / schema.name
    raise UnknownSchema(name)


def schema_for(namespace: str | None, version: str | None = None) -> PublishedSchema:
    """The schema of the minor a file declares (`version`), so that a file saying 1.0 holds
    1.0's content only; a version the namespace has no schema of (or none given): the newest of
    the namespace's major, whose validation then names the version as the error. An unknown
    namespace: the newest of all (whose validation names the root)."""
    matching = [s for s in PUBLISHED if s.namespace == namespace] or list(PUBLISHED)
    for schema in matching:
        if schema.version == version:
            return schema
    return max(matching, key=lambda s: s.version_key)


_compiled = threading.local()


def compiled(schema: PublishedSchema) -> etree.XMLSchema:
    """The schema compiled once per thread (lxml's validators are not shared across threads)."""
    cache: dict[str, etree.XMLSchema] = _compiled.__dict__.setdefault("by_name", {})
    found = cache.get(schema.name)
    if found is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        found = etree.XMLSchema(etree.parse(str(schema_path(schema.name)), parser))
        cache[schema.name] = found
    return found
