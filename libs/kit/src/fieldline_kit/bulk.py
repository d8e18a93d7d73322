"""A service's bulk load: its own public messages, streamed from a file or a pipe, applied in bulk.

Demo and benchmark data of hundreds of thousands of objects would take far too long one RPC
at a time, and no other package may write into a service's database. So a service that needs
it owns a bulk path: `python -m fieldline_<service> bulk-load --database-url URL [--migrate]
FILE` (`bulk_command`), which reads public contract messages — the requests its gRPC API takes,
or the events it consumes — and applies them through its own domain and repositories in large
batches.

The file (`-`: stdin) is a sequence of `google.protobuf.Any` messages, each after its size as
a varint (`write_messages`, `message_blocks`, `read_messages`). The command prints the row
counts it reports as JSON on stdout; its progress and a refusal's reason go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from google.protobuf import any_pb2
from google.protobuf.internal.decoder import _DecodeVarint  # type: ignore[attr-defined]
from google.protobuf.internal.encoder import _VarintBytes  # type: ignore[attr-defined]
from google.protobuf.message import Message

from fieldline_kit.errors import DomainError
from fieldline_kit.migrations import upgrade
from fieldline_kit.service import tune_gc


class BulkLoadError(Exception):
    """The load stopped: the database was not empty, a message was refused, or the file is
    not a file of messages."""


Progress = Callable[[str], None]


# `load(database_url, messages, chunk_size=…, progress=…)`: apply the messages to the (empty)
# database; the rows per table after.
Load = Callable[..., Coroutine[Any, Any, dict[str, int]]]


# ------------------------------------------------------------------------------- the file
def _record(message: Message) -> bytes:
    packed = any_pb2.Any()
    packed.Pack(message)
    data = packed.SerializeToString()
    return _VarintBytes(len(data)) + data


def write_messages(out: IO[bytes], messages: Iterable[Message]) -> int:
    """Write `messages` as length-delimited `Any` messages; how many were written."""
    n = 0
    for message in messages:
        out.write(_record(message))
        n += 1
    return n


def message_blocks(messages: Iterable[Message], size: int = 1 << 20) -> Iterator[bytes]:
    """`messages` in the file's format, in blocks of about `size` bytes (for a pipe)."""
    block = io.BytesIO()
    for message in messages:
        block.write(_record(message))
        if block.tell() >= size:
            yield block.getvalue()
            block = io.BytesIO()
    if block.tell():
        yield block.getvalue()


def read_messages(
    stream: IO[bytes], types: Mapping[str, type[Message]], chunk: int = 1 << 20
) -> Iterator[Message]:
    """The messages of a file in this format, read `chunk` bytes at a time; `types`: the
    message types the load takes, by full name (any other is refused)."""
    buffer, pos = b"", 0
    while True:
        if len(buffer) - pos < 10:  # a varint takes at most 10 bytes
            buffer, pos = buffer[pos:] + stream.read(chunk), 0
            if not buffer:
                return
        try:
            size, start = _DecodeVarint(buffer, pos)
        except IndexError:
            raise BulkLoadError("the file ends inside a message") from None
        end = start + size
        while end > len(buffer):
            more = stream.read(max(chunk, end - len(buffer)))
            if not more:
                raise BulkLoadError("the file ends inside a message")
            buffer, start, end, pos = buffer[pos:] + more, start - pos, end - pos, 0
        packed = any_pb2.Any.FromString(buffer[start:end])
        cls = types.get(packed.TypeName())
        if cls is None:
            raise BulkLoadError(
                f"a bulk load does not take {packed.TypeName() or 'untyped'} messages"
            )
        yield cls.FromString(packed.value)
        pos = end


# ------------------------------------------------------------------------------- the load
async def apply_each(
    messages: Iterable[Message],
    apply: Callable[[Message], Awaitable[None]],
    progress: Progress | None = None,
) -> int:
    """`apply` each message in turn; one refused (a DomainError) stops the load, named by its
    place in the file and its type. How many messages there were."""
    n = 0
    for n, message in enumerate(messages, start=1):
        try:
            await apply(message)
        except DomainError as exc:
            raise BulkLoadError(f"message {n} ({type(message).__name__}): {exc}") from exc
        if progress is not None and n % 100_000 == 0:
            progress(f"{n:,} messages")
    return n


# ---------------------------------------------------------------------------- the command
def bulk_command(
    service: str,
    load: Load,
    types: Iterable[type[Message]],
    *,
    migrations: Path,
) -> Callable[[list[str]], int]:
    """`python -m fieldline_<service> bulk-load …` (a `ServiceSpec` command): read the file,
    `load` it, print the counts. Its help is the first paragraph of `load`'s module docstring."""
    by_name = {cls.DESCRIPTOR.full_name: cls for cls in types}
    description = (sys.modules[load.__module__].__doc__ or "").split("\n\n")[0]

    def main(argv: list[str]) -> int:
        parser = argparse.ArgumentParser(
            prog=f"python -m fieldline_{service} bulk-load", description=description
        )
        parser.add_argument("--database-url", required=True, help="postgresql://… or sqlite:///…")
        parser.add_argument("--migrate", action="store_true", help="run the migrations first")
        parser.add_argument(
            "--chunk-size", type=int, default=5000, help="objects per write (an executemany)"
        )
        parser.add_argument("file", help="length-delimited Any messages; - for stdin")
        args = parser.parse_args(argv)

        def say(message: str) -> None:
            print(f"  … {message}", file=sys.stderr, flush=True)

        if args.migrate:
            upgrade(args.database_url, migrations)
        tune_gc()  # as `serve` does: a load makes millions of short-lived objects
        started = time.perf_counter()
        with contextlib.ExitStack() as stack:
            stream = sys.stdin.buffer
            if args.file != "-":
                stream = stack.enter_context(open(args.file, "rb"))
            run = load(
                args.database_url,
                read_messages(stream, by_name),
                chunk_size=args.chunk_size,
                progress=say,
            )
            try:
                counts = asyncio.run(run)
            except BulkLoadError as exc:
                print(f"bulk-load: {exc}", file=sys.stderr)
                return 1
        say(f"loaded in {time.perf_counter() - started:.1f} s (no outbox events)")
        print(json.dumps(counts))
        return 0

    return main
