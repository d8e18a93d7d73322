"""The refusals the device protocol names (docs/sync-protocol.md, *Problem types*): the kit's
`Problem`, raised by use cases and turned into RFC 9457 problem details at the HTTP edge
(entrypoints/problems.py holds each code's status and title)."""

from __future__ import annotations

from fieldline_kit.problem import Problem

__all__ = ["Problem"]
