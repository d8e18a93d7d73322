"""A TCP proxy the fault suite puts between the services and PostgreSQL, so it can cut the
services' database connections without touching the machine's own server.

It runs its own event loop on a thread: the services are other processes, and the suite's
blocking calls (starting, stopping, waiting for processes) must not stall their traffic.
`cut()` drops every open connection at once (a reset, as a network failure or a database
restart would) and refuses new ones until `restore()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

BUFFER = 64 * 1024


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.dropped = 0  # connections cut so far
        self.refused = 0  # connections refused while cut
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._is_cut = False

    def start(self) -> None:
        self._thread.start()
        self._run(self._listen())

    def stop(self) -> None:
        self._run(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def cut(self) -> int:
        """Drop every connection and refuse new ones; how many were dropped."""
        return self._run(self._cut())

    def restore(self) -> None:
        self._loop.call_soon_threadsafe(setattr, self, "_is_cut", False)

    @property
    def url_host(self) -> str:
        return f"127.0.0.1:{self.port}"

    # -- on the proxy's loop ----------------------------------------------------------------
    def _run(self, coro):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._cut()

    async def _cut(self) -> int:
        self._is_cut = True
        dropped = len(self._open)
        for writer in list(self._open):
            writer.transport.abort()  # a reset, not a polite close
        self._open.clear()
        self.dropped += dropped
        return dropped

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._is_cut:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._open.update((writer, up_writer))
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                self._open.discard(w)
                w.transport.abort()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await source.read(BUFFER):
            sink.write(data)
            await sink.drain()
    sink.transport.abort()
