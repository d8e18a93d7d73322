"""`python -m fieldline_exchange.entrypoints.import_cli FILE...` (`./fl exchange import`):
send files to a running exchange as a partner and follow each import job to its end with a
progress bar (docs/contexts/exchange.md, *Import jobs*).

The partner's API key (scopes for what the files are, and `jobs:read`) comes from the
environment, `FIELDLINE_EXCHANGE_KEY`, or from a file (`--key-file`): never from the command
line, where it would stay in the shell's history, and it is never printed.

Each job ends with one JSON line: the file, the import id, its state, the records applied,
the counts and how many report lines it has (`GET /v1/imports/{id}/report` lists them). An
archive becomes one job per member. Exit status: 0 when every job is done, 1 when any was
refused or failed, 2 when a file could not be sent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

KEY_VARIABLE = "FIELDLINE_EXCHANGE_KEY"
ENDED = ("done", "refused", "failed")
BAR = 30


class Failed(Exception):
    """An answer of the exchange that ends this file (its problem's detail)."""


class Client:
    def __init__(self, url: str, key: str, *, timeout: float = 600.0) -> None:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise Failed(f"--url: an http:// or https:// address, not {url!r}")
        self.url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {key}"}
        self.timeout = timeout

    def send(self, path: Path) -> list[dict[str, Any]]:
        """The file's import jobs (an archive: one per member)."""
        query = urllib.parse.urlencode({"filename": path.name})
        with path.open("rb") as body:
            answer = self._call(
                "POST",
                f"/v1/imports?{query}",
                body,
                {"Content-Length": str(path.stat().st_size)},
            )
        return list(answer["imports"])

    def job(self, import_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/imports/{import_id}")

    def report_lines(self, import_id: str) -> int:
        return len(self._call("GET", f"/v1/imports/{import_id}/report")["lines"])

    def _call(
        self,
        method: str,
        path: str,
        body: IO[bytes] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        # (the address is http(s): checked when the client was made)
        request = urllib.request.Request(  # noqa: S310
            self.url + path, data=body, method=method, headers={**self._headers, **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer: dict[str, Any] = json.load(response)
                return answer
        except urllib.error.HTTPError as error:
            with error:
                try:
                    problem = json.load(error)
                    detail = f"{problem.get('code', error.code)}: {problem.get('detail', '')}"
                except ValueError:
                    detail = f"HTTP {error.code}"
            raise Failed(detail) from None
        except urllib.error.URLError as error:
            raise Failed(f"the exchange at {self.url} does not answer ({error.reason})") from None


def follow(client: Client, job: dict[str, Any], out: IO[str], every: float) -> dict[str, Any]:
    """Poll the job until it ends, drawing its progress on `out` (one line redrawn on a
    terminal, a line per change otherwise)."""
    tty = out.isatty()
    shown = ""
    while True:
        if job["state"] in ENDED:
            break
        line = _bar(job)
        if line != shown:
            out.write(("\r" + line) if tty else line + "\n")
            out.flush()
            shown = line
        time.sleep(every)
        job = client.job(job["importId"])
    if tty and shown:
        out.write("\r" + _bar(job) + "\n")
    return job


def _bar(job: dict[str, Any]) -> str:
    progress = max(0.0, min(1.0, float(job.get("progress") or 0.0)))
    filled = round(progress * BAR)
    return (
        f"{job['filename']}: [{'#' * filled}{'.' * (BAR - filled)}] {progress:4.0%} "
        f"{job['state']}, {job.get('recordsApplied', 0):,} records applied"
    )


def _key(key_file: str | None) -> str:
    if key_file:
        return Path(key_file).read_text(encoding="utf-8").strip()
    key = os.environ.get(KEY_VARIABLE, "").strip()
    if not key:
        raise Failed(f"no API key: set {KEY_VARIABLE} or give --key-file")
    return key


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="fieldline_exchange.entrypoints.import_cli",
        description="Import files into a running exchange as a partner, with a progress bar.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="CommerceML, own-format or zip")
    parser.add_argument(
        "--url", default="http://127.0.0.1:8100", help="the exchange (default: ./fl up's)"
    )
    parser.add_argument(
        "--key-file", help=f"a file holding the partner's API key (else ${KEY_VARIABLE})"
    )
    parser.add_argument("--every", type=float, default=0.5, help="seconds between polls")
    args = parser.parse_args(argv)
    try:
        client = Client(args.url, _key(args.key_file))
    except (Failed, OSError) as exc:
        print(f"import: {exc}", file=sys.stderr)
        return 2
    status = 0
    for file in args.files:
        try:
            jobs = client.send(Path(file))
        except (Failed, OSError) as exc:
            print(json.dumps({"file": file, "error": str(exc)}, ensure_ascii=False), flush=True)
            status = 2
            continue
        for job in jobs:
            try:
                ended = follow(client, job, sys.stderr, args.every)
                lines = client.report_lines(ended["importId"])
            except Failed as exc:
                print(json.dumps({"file": file, "error": str(exc)}, ensure_ascii=False))
                status = 2
                continue
            if ended["state"] != "done":
                status = max(status, 1)
            summary = {
                "file": file,
                "importId": ended["importId"],
                "state": ended["state"],
                "recordsApplied": ended["recordsApplied"],
                "counts": ended.get("counts") or {},
                "reportLines": lines,
            }
            if ended.get("refusal"):
                summary["refusal"] = ended["refusal"]
            print(json.dumps(summary, ensure_ascii=False), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
