"""The SQLite write-ahead log is checkpointed by the kit's thread, not by the commits."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, insert, text

from fieldline_kit.db import create_engine, dispose, session_factory
from fieldline_kit.sqlite_checkpoints import (
    BACKSTOP_PAGES,
    WalCheckpointer,
    checkpoint_in_background,
)
from fieldline_kit.testing.helpers import eventually

metadata = MetaData()
blobs = Table(
    "blobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

# Six transactions of ~1 MB: ~1,500 pages of 4 KB, past SQLite's default autocheckpoint (1,000).
TRANSACTIONS, ROWS, SIZE = 6, 16, 64 * 1024


async def write_a_lot(path: Path, *, background: float | None) -> int:
    """Frames in the WAL after the writes (before the engine closes: the last connection to
    close checkpoints and removes the log)."""
    engine = create_engine(f"sqlite:///{path}")
    checkpointer = (
        checkpoint_in_background(engine, interval=background) if background is not None else None
    )
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        sessions = session_factory(engine)
        for _ in range(TRANSACTIONS):
            async with sessions() as session, session.begin():
                await session.execute(insert(blobs), [{"data": b"x" * SIZE}] * ROWS)
        if checkpointer is not None:
            async with engine.connect() as conn:
                backstop = (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar()
            assert backstop == BACKSTOP_PAGES
        return frames_in_log(path)
    finally:
        await dispose(engine)


def frames_in_log(path: Path) -> int:
    """Frames in the WAL now (a PASSIVE checkpoint reports them; it copies, never resets)."""
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        conn.close()


async def test_commits_do_not_checkpoint_when_the_thread_does(tmp_path: Path) -> None:
    # Without the kit's thread, a commit past 1,000 pages checkpoints, and the next one starts
    # the log over: it holds what the last transactions wrote, fewer than 1,000 frames.
    assert await write_a_lot(tmp_path / "plain.sqlite3", background=None) < 1000
    # With it (here asleep for the whole test), the commits left the whole log in place.
    assert await write_a_lot(tmp_path / "kit.sqlite3", background=3600) > 1000


async def test_the_thread_copies_the_log_and_stops_with_the_engine(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    checkpointer = checkpoint_in_background(engine, interval=0.02)
    assert checkpointer is not None and checkpointer.running
    assert checkpoint_in_background(engine) is checkpointer  # one per engine
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    async with session_factory(engine)() as session, session.begin():
        await session.execute(insert(blobs), [{"data": b"x" * SIZE}] * ROWS)

    # Every frame of the transaction (~260 pages) copied into the database file, by the thread.
    def copied() -> bool:
        last = checkpointer.last
        return last is not None and last[1] > 200 and last[2] == last[1]

    await eventually(copied, every=0.02)
    await dispose(engine)
    assert not checkpointer.running


async def test_the_thread_never_creates_the_database(tmp_path: Path) -> None:
    path = tmp_path / "not-yet.sqlite3"
    checkpointer = WalCheckpointer(str(path), interval=0.01)
    checkpointer.start()
    try:
        await asyncio.sleep(0.1)
        assert checkpointer.running and checkpointer.rounds == 0
        assert not path.exists()
    finally:
        checkpointer.stop()
    assert not checkpointer.running


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
async def test_in_memory_databases_get_no_thread(url: str) -> None:
    engine = create_engine(url)
    try:
        assert checkpoint_in_background(engine) is None
    finally:
        await dispose(engine)
