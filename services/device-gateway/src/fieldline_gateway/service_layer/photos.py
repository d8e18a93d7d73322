"""Photos: declare, send in chunks (tus-like), finish, read. docs/contexts/device-gateway.md,
*Photos*; docs/sync-protocol.md, *Photos*; the rules in domain/photos.py.

The offset is a database column and each chunk moves it by one conditional UPDATE, so any
replica takes the next chunk and of two copies of a raced chunk exactly one counts. The last
chunk is judged before the offset reaches the size: its UPDATE completes the photo in the same
statement, so no photo ever sits at its size unfinished. Bytes are written to the blob store
before the row that counts them, and never inside a transaction.

Who sees a photo: its employee, the supervisor of that employee's team (the gateway's
employee directory, as clients' events last reported it), an administrator. Anyone else is
answered not-found, as if it did not exist.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fieldline_gateway.adapters.blob_store import BlobStore
from fieldline_gateway.adapters.identity_store import IdentityStore
from fieldline_gateway.adapters.photos_store import PhotosStore
from fieldline_gateway.domain.photos import (
    HEAD_BYTES,
    Declaration,
    Photo,
    PhotoStatus,
    chunk_problem,
    declaration_problem,
    image_problem,
    may_read,
)
from fieldline_gateway.domain.problems import Problem
from fieldline_kit.auth.principal import Kind, Principal
from fieldline_kit.errors import NotFound
from fieldline_kit.logging import get_logger
from fieldline_kit.uow import UnitOfWork

log = get_logger("fieldline.gateway.photos")

OFFSET_HEADER = "Upload-Offset"


class Declared(StrEnum):
    """What a declaration did: a new upload, an existing photo found again, or a new photo
    complete at once because its bytes were already stored."""

    CREATED = "created"
    EXISTING = "existing"
    DEDUPLICATED = "deduplicated"


@dataclass(frozen=True)
class Appended:
    photo: Photo
    completed: bool  # this chunk completed the photo


class Photos:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        read_uow: Callable[[], UnitOfWork],
        blobs: BlobStore,
        *,
        max_bytes: int,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._read_uow = read_uow
        self._blobs = blobs
        self.max_bytes = max_bytes
        self._clock = clock

    # ------------------------------------------------------------------ declare
    async def declare(self, caller: Principal, declaration: Declaration) -> tuple[Photo, Declared]:
        """`POST /v1/photos` by a device of `caller`."""
        refused = declaration_problem(declaration, self.max_bytes)
        if refused is not None:
            code, detail, field = refused
            raise Problem(code, detail, field=field)
        existing = await self._find(declaration.photo_id)
        if existing is not None:
            return await self._again(caller, existing, declaration)
        now = self._clock()
        status, offset, outcome = PhotoStatus.UPLOADING, 0, Declared.CREATED
        if await self._stored_for(caller.subject, declaration.sha256, declaration.size):
            await self._check_stored_image(declaration)
            status, offset, outcome = PhotoStatus.COMPLETE, declaration.size, Declared.DEDUPLICATED
        photo = Photo(
            photo_id=declaration.photo_id,
            employee_id=caller.subject,
            device_id=caller.device_id or "",
            sha256=declaration.sha256,
            size=declaration.size,
            content_type=declaration.content_type,
            kind=declaration.kind,
            document_id=declaration.document_id,
            captured_at=declaration.captured_at,
            location=declaration.location,
            offset=offset,
            status=status,
            created_at=now,
            completed_at=now if status is PhotoStatus.COMPLETE else None,
        )
        async with self._uow() as uow:
            added = await PhotosStore(uow.session).add(photo)
            await uow.commit()
        if not added:  # a concurrent copy of this declaration stored it first
            raced = await self._find(declaration.photo_id)
            if raced is None:
                raise Problem("unavailable", "the photo could not be stored; retry")
            return await self._again(caller, raced, declaration)
        log.info(
            "photo declared",
            photo_id=photo.photo_id,
            employee_id=photo.employee_id,
            outcome=outcome.value,
        )
        return photo, outcome

    async def _again(
        self, caller: Principal, existing: Photo, declaration: Declaration
    ) -> tuple[Photo, Declared]:
        """A photo id declared before: the same bytes → the photo as it stands (complete at
        once if its bytes have meanwhile been stored under another photo); else a conflict."""
        if existing.employee_id != caller.subject:
            raise Problem(
                "photo-conflict", "this photoId is taken: make a new one", field="photoId"
            )
        if not existing.declared_as(declaration):
            raise Problem(
                "photo-conflict",
                f"photo {existing.photo_id} was declared with another sha256 or size",
                field="photoId",
            )
        if existing.complete or not await self._stored_for(
            caller.subject, existing.sha256, existing.size
        ):
            return existing, Declared.EXISTING
        await self._check_stored_image(declaration)
        now = self._clock()
        async with self._uow() as uow:
            done = await PhotosStore(uow.session).complete(
                existing.photo_id, existing.offset, existing.size, now
            )
            await uow.commit()
        if not done:  # a chunk moved it meanwhile: as it now stands
            current = await self._find(existing.photo_id)
            return (current or existing), Declared.EXISTING
        await self._blobs.drop_staged(existing.photo_id)
        completed = dataclasses.replace(
            existing, offset=existing.size, status=PhotoStatus.COMPLETE, completed_at=now
        )
        return completed, Declared.DEDUPLICATED

    async def _stored_for(self, employee_id: str, sha256: str, size: int) -> bool:
        """Whether a declaration may complete without its bytes: the blob is stored AND this
        employee sent those bytes before. Knowing a hash must not be enough to obtain another
        employee's photo; another employee's identical bytes are sent, and stored once."""
        if await self._blobs.size_of(sha256) != size:
            return False
        async with self._read_uow() as uow:
            return await PhotosStore(uow.session).sent_before(employee_id, sha256)

    async def _check_stored_image(self, declaration: Declaration) -> None:
        """The stored bytes with that hash must be the image declared (they passed the image
        check when stored; the declared type must match them too)."""
        head = b""
        async with contextlib.aclosing(self._blobs.read(declaration.sha256)) as pieces:
            async for piece in pieces:
                head += piece
                if len(head) >= HEAD_BYTES:
                    break
        wrong = image_problem(head[:HEAD_BYTES], declaration.content_type)
        if wrong is not None:
            raise Problem("not-an-image", wrong)

    # ------------------------------------------------------------------ send
    async def progress(self, caller: Principal, photo_id: str) -> Photo:
        """`HEAD …/content`: where to resume."""
        return await self._own(caller, photo_id)

    async def append(self, caller: Principal, photo_id: str, offset: int, data: bytes) -> Appended:
        """`PATCH …/content`: a chunk at `offset`; the one reaching the size finishes."""
        photo = await self._own(caller, photo_id)
        if photo.complete:  # a retry of the last chunk whose answer was lost
            return Appended(photo, completed=False)
        refused = chunk_problem(photo, offset, len(data))
        if refused is not None:
            code, detail = refused
            headers = {OFFSET_HEADER: str(photo.offset)} if code == "offset-mismatch" else {}
            raise Problem(code, detail, field=OFFSET_HEADER if headers else None, headers=headers)
        await self._blobs.stage(photo_id, offset, data)
        end = offset + len(data)
        if end < photo.size:
            async with self._uow() as uow:
                moved = await PhotosStore(uow.session).advance(photo_id, offset, end)
                await uow.commit()
            if not moved:
                return await self._lost_race(caller, photo_id, offset)
            return Appended(dataclasses.replace(photo, offset=end), completed=False)
        return await self._finish(caller, photo, offset)

    async def _finish(self, caller: Principal, photo: Photo, at: int) -> Appended:
        assembled = await self._blobs.assemble(photo.photo_id, photo.size, HEAD_BYTES)
        if not assembled.whole or assembled.sha256 != photo.sha256:
            return await self._restart(
                caller,
                photo,
                at,
                "checksum-mismatch",
                f"the {assembled.size} bytes received hash to {assembled.sha256}, not the "
                f"declared {photo.sha256}: send the photo again from offset 0",
            )
        wrong = image_problem(assembled.head, photo.content_type)
        if wrong is not None:
            return await self._restart(caller, photo, at, "not-an-image", wrong)
        if not await self._blobs.promote(assembled):
            return await self._lost_race(caller, photo.photo_id, at)
        now = self._clock()
        async with self._uow() as uow:
            completed = await PhotosStore(uow.session).complete(photo.photo_id, at, photo.size, now)
            await uow.commit()
        if not completed:
            return await self._lost_race(caller, photo.photo_id, at)
        await self._blobs.drop_staged(photo.photo_id)
        log.info("photo complete", photo_id=photo.photo_id, sha256=photo.sha256, size=photo.size)
        done = dataclasses.replace(
            photo, offset=photo.size, status=PhotoStatus.COMPLETE, completed_at=now
        )
        return Appended(done, completed=True)

    async def _restart(
        self, caller: Principal, photo: Photo, at: int, code: str, detail: str
    ) -> Appended:
        """Drop the staged bytes, put the upload back to 0 and refuse with `code`, unless a
        concurrent request moved the upload first (then its state is the answer)."""
        async with self._uow() as uow:
            restarted = await PhotosStore(uow.session).restart(photo.photo_id, at)
            await uow.commit()
        if not restarted:
            return await self._lost_race(caller, photo.photo_id, at)
        await self._blobs.drop_staged(photo.photo_id)
        log.info("photo upload restarted", photo_id=photo.photo_id, code=code)
        raise Problem(code, detail, headers={OFFSET_HEADER: "0"})

    async def _lost_race(self, caller: Principal, photo_id: str, at: int) -> Appended:
        """Another request moved the upload while this one worked: a complete photo is the
        answer; otherwise where the upload now is."""
        now = await self._own(caller, photo_id)
        if now.complete:  # whatever a raced request staged meanwhile is of no more use
            await self._blobs.drop_staged(photo_id)
            return Appended(now, completed=False)
        raise Problem(
            "offset-mismatch",
            f"the upload is at offset {now.offset}, not {at}",
            field=OFFSET_HEADER,
            headers={OFFSET_HEADER: str(now.offset)},
        )

    # ------------------------------------------------------------------ read
    async def get(self, caller: Principal, photo_id: str) -> Photo:
        """The photo, if the caller may see it."""
        async with self._read_uow() as uow:
            photo = await PhotosStore(uow.session).get(photo_id)
            if photo is None:
                raise NotFound("photo", photo_id)
            supervisor = None
            is_employee = caller.kind == Kind.EMPLOYEE
            if is_employee and caller.subject != photo.employee_id:
                standing = await IdentityStore(uow.session).standing(photo.employee_id)
                supervisor = None if standing is None else standing.supervisor_id
        if not may_read(is_employee, caller.subject, caller.roles, photo.employee_id, supervisor):
            raise NotFound("photo", photo_id)
        return photo

    async def content(self, caller: Principal, photo_id: str) -> tuple[Photo, AsyncIterator[bytes]]:
        """The photo and its bytes, once complete."""
        photo = await self.get(caller, photo_id)
        if not photo.complete:
            raise Problem(
                "failed-precondition",
                f"photo {photo_id} is still uploading ({photo.offset} of {photo.size} bytes)",
            )
        if await self._blobs.size_of(photo.sha256) != photo.size:
            log.error("a complete photo's blob is missing", photo_id=photo_id, sha256=photo.sha256)
            raise NotFound("photo", photo_id)
        return photo, self._blobs.read(photo.sha256)

    # ------------------------------------------------------------------ helpers
    async def _find(self, photo_id: str) -> Photo | None:
        async with self._read_uow() as uow:
            return await PhotosStore(uow.session).get(photo_id)

    async def _own(self, caller: Principal, photo_id: str) -> Photo:
        """A photo of the calling employee's (its uploads are theirs alone)."""
        photo = await self._find(photo_id)
        if photo is None or caller.kind != Kind.EMPLOYEE or photo.employee_id != caller.subject:
            raise NotFound("photo", photo_id)
        return photo


__all__ = ["OFFSET_HEADER", "Appended", "Declared", "Photos"]
