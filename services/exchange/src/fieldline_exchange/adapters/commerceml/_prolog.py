"""The bytes before the root element, read before any parsing: the encoding the XML
declaration names, and no DOCTYPE of any kind.

Refusing every `<!DOCTYPE` here is what stops XXE, external DTDs and billion laughs: the parser
never sees a document type declaration (it is also told not to load DTDs, resolve entities or
use the network). Only encodings in which ASCII bytes stand for themselves are accepted
(UTF-8, windows-1251), so the scan of raw bytes cannot be fooled by, say, UTF-16.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fieldline_exchange.domain.records import BAD_ENCODING, DTD_FORBIDDEN, MALFORMED, Refusal

PROLOG_BYTES = 64 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
# Declared name (lower case) → Python codec. Nothing else is accepted.
ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "windows-1251": "cp1251",
    "cp1251": "cp1251",
    "win-1251": "cp1251",
    "us-ascii": "ascii",
    "ascii": "ascii",
}
_WIDE_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00", b"\xfe\xff", b"\xff\xfe")
_DECLARATION = re.compile(rb"<\?xml[ \t\r\n][^>]*?\?>")
_ENCODING = re.compile(rb"""encoding[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)')""")


@dataclass(frozen=True, slots=True)
class Prolog:
    declared_encoding: str  # as written ("" when the declaration names none)
    codec: str  # the Python codec for it
    bom: bool


def _line_at(head: bytes, pos: int) -> int:
    return head.count(b"\n", 0, pos) + 1


def check_prolog(head: bytes) -> Prolog:
    """Check the first PROLOG_BYTES of a file; raise Refusal when it must not be parsed."""
    if head.startswith(_WIDE_BOMS) or head[:2] in (b"<\x00", b"\x00<"):
        raise Refusal(BAD_ENCODING, "UTF-16 and UTF-32 are not accepted: UTF-8 or windows-1251", 1)
    bom = head.startswith(UTF8_BOM)
    pos = len(UTF8_BOM) if bom else 0
    declared, codec = "", "utf-8"
    if decl := _DECLARATION.match(head, pos):
        if enc := _ENCODING.search(decl.group(0)):
            declared = (enc.group(1) or enc.group(2) or b"").decode("ascii", "replace")
            codec = ENCODINGS.get(declared.strip().lower(), "")
            if not codec:
                raise Refusal(
                    BAD_ENCODING,
                    f"encoding {declared!r} is not accepted: UTF-8 or windows-1251",
                    _line_at(head, pos),
                )
            if bom and codec != "utf-8":
                raise Refusal(
                    BAD_ENCODING,
                    f"a UTF-8 byte order mark in a file declared {declared!r}",
                    _line_at(head, pos),
                )
        pos = decl.end()
    # Whitespace, comments and processing instructions may precede the root; a DOCTYPE may not.
    while True:
        while pos < len(head) and head[pos] in b" \t\r\n":
            pos += 1
        if pos >= len(head):
            if len(head) >= PROLOG_BYTES:
                raise Refusal(MALFORMED, "no root element in the first 64 KiB", _line_at(head, pos))
            return Prolog(declared, codec, bom)  # empty or truncated: the parser says which
        if head.startswith(b"<!--", pos):
            end = head.find(b"-->", pos + 4)
            skip = 3
        elif head.startswith(b"<?", pos):
            end = head.find(b"?>", pos + 2)
            skip = 2
        elif head[pos : pos + 9].upper() == b"<!DOCTYPE":
            raise Refusal(
                DTD_FORBIDDEN,
                "a DOCTYPE is not accepted (no DTDs, no entities)",
                _line_at(head, pos),
            )
        else:
            return Prolog(declared, codec, bom)  # the root (or something the parser refuses)
        if end < 0:
            if len(head) >= PROLOG_BYTES:
                raise Refusal(MALFORMED, "no root element in the first 64 KiB", _line_at(head, pos))
            return Prolog(declared, codec, bom)  # an unterminated comment: the parser says so
        pos = end + skip
