"""`python -m fieldline_exchange.entrypoints.inspect FILE...` (`./fl exchange inspect`): parse
CommerceML files without applying anything and print one JSON object per file, one per line
(docs/contexts/exchange.md, *Inspect without applying*).

Exit status: 0 when every file was read, 1 when any was refused (its line says why), 2 when a
file could not be opened at all (`{"file": …, "error": …}`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from fieldline_exchange.adapters.commerceml import inspect


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="fieldline_exchange.entrypoints.inspect",
        description="Read CommerceML 2.x files without applying them: counts, skips, refusals.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="CommerceML files")
    args = parser.parse_args(argv)
    status = 0
    for file in args.files:
        try:
            result = inspect(file)
        except OSError as exc:
            result = {"file": file, "error": exc.strerror or str(exc)}
            status = 2
        else:
            if "refused" in result:
                status = max(status, 1)
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
