"""Validating a file strictly against its schema before anything is read from it.

1. The prolog is read as bytes before any parsing: a DOCTYPE of any kind refuses the file
   (`dtd-forbidden`: no DTD, no entity, hence no XXE and no entity expansion), and so does an
   encoding other than UTF-8 (`bad-encoding`) or an empty file (`malformed`).
2. A streaming pass without the schema: not well-formed (`malformed`, the parser's line and
   message; bytes that are not UTF-8: `bad-encoding`), and the format's one rule beyond XSD
   1.0: a client's own tare balances (no Outlet) are unique by client and container
   (xs:unique leaves out nodes with an absent field). This pass cannot be folded into the
   next: with a schema attached, libxml2 lets a truncated file end without an error.
3. A streaming pass with the schema attached decides validity.
4. libxml2 gives a streaming validation's errors no line, so a file the schema refused is
   validated once more as a tree to locate them (`schema-invalid`, the first errors with
   their lines); beyond `LOCATE_LIMIT` the messages come without lines. Only refused files
   pay for this.

Every pass streams (each item released once seen: memory flat per item whatever the file's
size; the schema's uniqueness tables hold every id, about a third of a KB each; the tree of
step 4 aside) and parses with `SAFE`: no entity resolved, no DTD loaded, no network,
libxml2's limits kept (`huge_tree=False`).
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from fieldline_exchange.adapters.own_format._catalog import (
    PublishedSchema,
    compiled,
    schema_for,
)
from fieldline_exchange.adapters.own_format._refusal import LineError, Refusal, RefusalCode
from fieldline_exchange.adapters.own_format._sections import BY_ITEM, SECTIONS, Fields, Section
from fieldline_exchange.adapters.own_format._values import q
from fieldline_exchange.domain.own_records import TareBalance

MAX_ERRORS = 5  # in a refusal
KEEP_ERRORS = 100  # looked at to find the first ones
PROLOG_LIMIT = 64 * 1024
LOCATE_LIMIT = 32 * 1024 * 1024

# The parser's options, everywhere a file of a partner is parsed.
SAFE: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
}
ITEM_TAGS = sorted({q(s.item) for s in SECTIONS})
_SCHEMA_DOMAINS = {"SCHEMASV", "SCHEMASP"}
_XML_DECL = re.compile(rb"<\?xml[ \t\r\n].*?\?>", re.DOTALL)
_ENCODING = re.compile(rb"""encoding[ \t\r\n]*=[ \t\r\n]*["']([A-Za-z0-9._-]+)["']""")


def validate(path: str | os.PathLike[str]) -> Refusal | None:
    """None for a valid file; otherwise why it is refused, with the first errors' lines."""
    file = Path(path)
    try:
        _check_prolog(file)
        published = schema_for(*_root_namespace(file))
        return _validate(file, published)
    except _Refusing as refusing:
        return refusing.refusal


class _Refusing(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def _validate(file: Path, published: PublishedSchema) -> Refusal | None:
    found = _check_well_formed(file)
    schema = compiled(published)
    failed = False
    streamed: list[Any] = []
    with file.open("rb") as stream:
        # Errors are read from this parse's own log: an exception's `error_log` is the
        # thread's, and holds earlier files' errors too.
        events = etree.iterparse(stream, events=("end",), tag=ITEM_TAGS, schema=schema, **SAFE)
        try:
            for _, element in items(events):
                release(element)
        except etree.XMLSyntaxError:
            failed = True
            streamed = list(events.error_log)
    if failed:
        located = _locate(file, schema, published) or _errors(streamed, published, lines=False)
        found.extend(located or [LineError(None, "not valid against the schema")])
    if not found:
        return None
    found.sort(key=lambda e: (e.line is None, e.line or 0))
    more = len(found) - 1
    plus = "+" if len(found) >= KEEP_ERRORS else ""
    return Refusal(
        code="schema-invalid",
        message=f"not valid against {published.name}: {found[0]}"
        + (f" (and {more}{plus} more)" if more else ""),
        line=found[0].line,
        errors=tuple(found[:MAX_ERRORS]),
    )


def _check_well_formed(file: Path) -> list[LineError]:
    """The first pass, without the schema (with it attached, libxml2 lets a truncated file
    end quietly): refuses a file that is not well-formed; returns the errors of the format's
    rule beyond the schema."""
    found: list[LineError] = []
    client_tare: set[tuple[str, str]] = set()
    with file.open("rb") as stream:
        events = etree.iterparse(stream, events=("end",), tag=ITEM_TAGS, **SAFE)
        try:
            for section, element in items(events):
                if section.kind is TareBalance:
                    _check_client_tare(element, client_tare, found)
                release(element)
        except etree.XMLSyntaxError as error:
            raise _Refusing(_malformed(events.error_log, error)) from None
    return found


def items(events: Iterable[tuple[str, etree._Element]]) -> Iterator[tuple[Section, etree._Element]]:
    """The items among iterparse's elements (an allocation's <Invoice> and an assignment's
    <Employee> are fields named like items), each with its section."""
    for _, element in events:
        parent = element.getparent()
        section = None if parent is None else BY_ITEM.get((parent.tag, element.tag))
        if section is not None:
            yield section, element


def release(element: etree._Element) -> None:
    """Frees an item once handled, and the items before it: memory stays flat."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _check_prolog(file: Path) -> None:
    """What comes before the root, read as bytes: a DOCTYPE or another encoding refuses."""
    with file.open("rb") as stream:
        head = stream.read(PROLOG_LIMIT)
    if not head.strip():
        raise _Refusing(Refusal("malformed", "the file is empty", 1, (LineError(1, "empty"),)))
    pos = 0
    if head.startswith(codecs.BOM_UTF8):
        pos = len(codecs.BOM_UTF8)
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"\x00")) or head[1:2] == b"\0":
        raise _Refusing(
            Refusal("bad-encoding", "own-format files are UTF-8 (this one is UTF-16 or -32)", 1)
        )
    declaration = _XML_DECL.match(head, pos)
    if declaration:
        encoding = _ENCODING.search(declaration.group())
        if encoding and encoding.group(1).lower() not in (b"utf-8", b"utf8"):
            name = encoding.group(1).decode("ascii")
            raise _Refusing(
                Refusal("bad-encoding", f"own-format files are UTF-8, this one says {name}", 1)
            )
        pos = declaration.end()
    while True:
        while pos < len(head) and head[pos] in b" \t\r\n":
            pos += 1
        for opening, closing in ((b"<!--", b"-->"), (b"<?", b"?>")):
            if head.startswith(opening, pos):
                end = head.find(closing, pos + len(opening))
                if end < 0:
                    _long_prolog(head)
                    return
                pos = end + len(closing)
                break
        else:
            if head[pos : pos + 9].upper() == b"<!DOCTYPE":
                line = head.count(b"\n", 0, pos) + 1
                message = "a DOCTYPE is not allowed in an own-format file (no DTD, no entities)"
                raise _Refusing(
                    Refusal("dtd-forbidden", message, line, (LineError(line, message),))
                )
            return


def _root_namespace(file: Path) -> tuple[str | None, str | None]:
    """The root's namespace and the `version` it declares (the schema to validate against)."""
    with file.open("rb") as stream:
        events = etree.iterparse(stream, events=("start",), **SAFE)
        try:
            for _, element in events:
                namespace: str | None = etree.QName(element).namespace
                version = element.get("version")
                return namespace, None if version is None else version.strip(" \t\r\n")
        except etree.XMLSyntaxError as error:
            raise _Refusing(_malformed(events.error_log, error)) from None
    return None, None


def _long_prolog(head: bytes) -> None:
    if len(head) >= PROLOG_LIMIT:
        message = f"no root element in the first {PROLOG_LIMIT} bytes"
        raise _Refusing(Refusal("malformed", message, None))
    # Shorter: an unterminated comment; the parser says so.


def _check_client_tare(
    element: etree._Element, seen: set[tuple[str, str]], found: list[LineError]
) -> None:
    fields = Fields(element)
    if fields.has("Outlet") or not (fields.has("Client") and fields.has("Container")):
        return  # an outlet's: the schema's; an incomplete one: the schema says so
    key = (fields.token("Client"), fields.token("Container"))
    if key in seen:
        found.append(
            LineError(
                element.sourceline,
                f"Element 'TareBalance': Duplicate key-sequence ['{key[0]}', '{key[1]}'] of a "
                "client's own balance (no Outlet) in unique identity-constraint "
                "'unique-tare-balance'.",
            )
        )
    seen.add(key)


def _locate(file: Path, schema: etree.XMLSchema, published: PublishedSchema) -> list[LineError]:
    """The schema's errors with their lines, from validating the (well-formed) file again as
    a tree; none for a file over `LOCATE_LIMIT`, whose errors then come without lines."""
    if file.stat().st_size > LOCATE_LIMIT:
        return []
    parser = etree.XMLParser(**SAFE)
    with file.open("rb") as stream:
        try:
            tree = etree.parse(stream, parser)
        except (etree.XMLSyntaxError, OSError) as error:  # changed since the first pass
            raise _Refusing(_malformed(parser.error_log, None)) from error
    if schema.validate(tree):
        return []
    return _errors(schema.error_log, published, lines=True)


def _errors(log: Iterable[Any], published: PublishedSchema, *, lines: bool) -> list[LineError]:
    """The schema's errors, each once, the first `KEEP_ERRORS` of them (sorted by line later:
    libxml2 reports a duplicate id when its scope ends)."""
    found: dict[LineError, None] = {}
    for entry in log:
        if entry.domain_name not in _SCHEMA_DOMAINS:
            continue
        line = (entry.line or None) if lines else None
        found[LineError(line, entry.message.replace(f"{{{published.namespace}}}", ""))] = None
        if len(found) >= KEEP_ERRORS:
            break
    return list(found)


def _malformed(log: Iterable[Any], error: etree.XMLSyntaxError | None) -> Refusal:
    """From the parse's own log (its first parser error), else from the exception. Bytes
    that are not UTF-8 are `bad-encoding`."""
    for entry in log:
        if entry.domain_name not in _SCHEMA_DOMAINS:
            line = entry.line or None
            code: RefusalCode = (
                "bad-encoding" if entry.type_name == "ERR_INVALID_ENCODING" else "malformed"
            )
            return Refusal(code, entry.message, line, (LineError(line, entry.message),))
    line = (error.lineno if error is not None else None) or None
    message = (error.msg if error is not None else None) or "not well-formed XML"
    return Refusal("malformed", message, line, (LineError(line, message),))
