"""SQL of photos, on a unit of work's session.

What two replicas could race for is decided by the database: a photo id declared once (an
insert that ignores a duplicate), and each move of an upload's offset a conditional UPDATE
from the offset the chunk was judged at, so exactly one copy of a raced chunk counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_gateway.adapters.photos_tables import photos
from fieldline_gateway.domain.photos import Location, Photo, PhotoStatus
from fieldline_kit.db import utc, utc_or_none
from fieldline_kit.repository import dialect_insert


class PhotosStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, photo_id: str) -> Photo | None:
        query = select(photos).where(photos.c.photo_id == photo_id)
        row = (await self.session.execute(query)).mappings().first()
        return None if row is None else _photo(row)

    async def sent_before(self, employee_id: str, sha256: str) -> bool:
        """Whether the employee has a complete photo of these bytes (sent them before)."""
        query = (
            select(photos.c.photo_id)
            .where(
                photos.c.employee_id == employee_id,
                photos.c.sha256 == sha256,
                photos.c.status == "complete",
            )
            .limit(1)
        )
        return (await self.session.execute(query)).first() is not None

    async def add(self, photo: Photo) -> bool:
        """Store a new photo; False when its id is already declared (nothing written)."""
        result = await self.session.execute(
            dialect_insert(self.session, photos)
            .values(**_row(photo))
            .on_conflict_do_nothing(index_elements=["photo_id"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def advance(self, photo_id: str, at: int, to: int) -> bool:
        """The upload moved from offset `at` to `to`; False when it was not at `at`."""
        return await self._move(photo_id, at, offset=to)

    async def complete(self, photo_id: str, at: int, size: int, now: datetime) -> bool:
        """The last chunk (judged at offset `at`) completed the photo."""
        return await self._move(
            photo_id, at, offset=size, status=PhotoStatus.COMPLETE, completed_at=now
        )

    async def restart(self, photo_id: str, at: int) -> bool:
        """The staged bytes were dropped: the upload starts again at 0."""
        return await self._move(photo_id, at, offset=0)

    async def _move(self, photo_id: str, at: int, **values: Any) -> bool:
        result = await self.session.execute(
            update(photos)
            .where(
                photos.c.photo_id == photo_id,
                photos.c.offset == at,
                photos.c.status == PhotoStatus.UPLOADING,
            )
            .values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _row(photo: Photo) -> dict[str, Any]:
    captured = photo.captured_at
    shift = captured.utcoffset()
    location = photo.location
    return {
        "photo_id": photo.photo_id,
        "employee_id": photo.employee_id,
        "device_id": photo.device_id,
        "sha256": photo.sha256,
        "size": photo.size,
        "content_type": photo.content_type,
        "kind": photo.kind,
        "document_id": photo.document_id,
        "captured_at": captured.astimezone(UTC),
        "captured_utc_offset_s": 0 if shift is None else int(shift.total_seconds()),
        "latitude": None if location is None else location.lat,
        "longitude": None if location is None else location.lon,
        "accuracy_m": None if location is None else location.accuracy_m,
        "offset": photo.offset,
        "status": photo.status,
        "created_at": photo.created_at,
        "completed_at": photo.completed_at,
    }


def _photo(row: Mapping[Any, Any]) -> Photo:
    shift = timedelta(seconds=row["captured_utc_offset_s"])
    captured = utc(row["captured_at"]).astimezone(UTC if not shift else timezone(shift))
    location = None
    if row["latitude"] is not None and row["longitude"] is not None:
        location = Location(row["latitude"], row["longitude"], row["accuracy_m"])
    return Photo(
        photo_id=row["photo_id"],
        employee_id=row["employee_id"],
        device_id=row["device_id"],
        sha256=row["sha256"],
        size=row["size"],
        content_type=row["content_type"],
        kind=row["kind"],
        document_id=row["document_id"],
        captured_at=captured,
        location=location,
        offset=row["offset"],
        status=PhotoStatus(row["status"]),
        created_at=utc(row["created_at"]),
        completed_at=utc_or_none(row["completed_at"]),
    )
