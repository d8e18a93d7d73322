"""SQL of devices, activation codes and refresh tokens, on a unit of work's session.

Every decision that two replicas could race for is one conditional UPDATE (a code spent once,
a refresh token spent once), so the database, not a lock in one process, picks the winner.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_gateway.adapters.orm import (
    activation_codes,
    device_events,
    devices,
    employees,
    refresh_tokens,
)
from fieldline_gateway.domain.devices import (
    MAX_DEVICES_PAGE,
    DeviceFilter,
    DeviceStatus,
    RefreshRecord,
)
from fieldline_kit.auth.directory import Standing
from fieldline_kit.auth.directory_table import standing_of, supervised_by
from fieldline_kit.db import utc


class IdentityStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -------------------------------------------------------------- activation codes
    async def add_code(self, **values: Any) -> None:
        await self.session.execute(insert(activation_codes).values(**values))

    async def spend_code(self, digest: str, request_id: str, device_id: str, now: datetime) -> bool:
        """Mark the code used by this attempt; False when it is used, expired or unknown."""
        result = await self.session.execute(
            update(activation_codes)
            .where(
                activation_codes.c.code_digest == digest,
                activation_codes.c.used_at.is_(None),
                activation_codes.c.expires_at > now,
            )
            .values(used_at=now, device_id=device_id, request_id=request_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def code(self, digest: str) -> Mapping[Any, Any] | None:
        query = select(activation_codes).where(activation_codes.c.code_digest == digest)
        return (await self.session.execute(query)).mappings().first()

    # -------------------------------------------------------------- devices
    async def add_device(self, **values: Any) -> None:
        await self.session.execute(insert(devices).values(**values))

    async def device(self, device_id: str) -> Mapping[Any, Any] | None:
        query = select(devices).where(devices.c.device_id == device_id)
        return (await self.session.execute(query)).mappings().first()

    async def active_devices(self, employee_id: str) -> int:
        query = select(func.count()).where(
            devices.c.employee_id == employee_id, devices.c.status == DeviceStatus.ACTIVE
        )
        return int((await self.session.execute(query)).scalar_one())

    async def devices_of(
        self, employee_ids: Iterable[str] | None, wanted: DeviceFilter | None = None
    ) -> list[Mapping[Any, Any]]:
        """The devices of `employee_ids` (None: everyone's) that `wanted` asks for, by
        (employee, device), at most `wanted.limit` of them."""
        wanted = wanted or DeviceFilter(limit=MAX_DEVICES_PAGE)
        c = devices.c
        query = select(devices).order_by(c.employee_id, c.device_id).limit(wanted.limit)
        if employee_ids is not None:
            query = query.where(c.employee_id.in_(list(employee_ids)))
        if wanted.employee_id is not None:
            query = query.where(c.employee_id == wanted.employee_id)
        if wanted.status is not None:
            query = query.where(c.status == wanted.status)
        if wanted.not_synced_since is not None:
            query = query.where(
                or_(c.last_sync_at.is_(None), c.last_sync_at < wanted.not_synced_since)
            )
        if wanted.after is not None:
            query = query.where(tuple_(c.employee_id, c.device_id) > tuple_(*wanted.after))
        return list((await self.session.execute(query)).mappings().all())

    async def revoke_device(self, device_id: str, reason: str, by: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(devices)
            .where(devices.c.device_id == device_id, devices.c.status == DeviceStatus.ACTIVE)
            .values(
                status=DeviceStatus.REVOKED, revoked_reason=reason, revoked_by=by, revoked_at=now
            )
        )
        await self.revoke_tokens(device_id, now)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def revoke_tokens(self, device_id: str, now: datetime) -> None:
        """Every live refresh token of the device (a retried activation's lost pair)."""
        await self.session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.device_id == device_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def count_by_status(self) -> dict[str, int]:
        query = select(devices.c.status, func.count()).group_by(devices.c.status)
        return {str(status): int(n) for status, n in await self.session.execute(query)}

    async def revoked_since(self, since: datetime) -> set[str]:
        query = select(devices.c.device_id).where(devices.c.revoked_at >= since)
        return set(await self.session.scalars(query))

    async def resync_below(self, device_id: str) -> int | None:
        """The device's own sync horizon (None: it has none, or no such device)."""
        query = select(devices.c.resync_below).where(devices.c.device_id == device_id)
        found = await self.session.scalar(query)
        return None if found is None else int(found)

    async def lower_resync_below(self, device_id: str, seq: int) -> None:
        """The device's horizon down to `seq` where it is above (never raised, never set)."""
        await self.session.execute(
            update(devices)
            .where(devices.c.device_id == device_id, devices.c.resync_below > seq)
            .values(resync_below=seq)
        )

    async def touch(self, device_id: str, **values: Any) -> None:
        await self.session.execute(
            update(devices).where(devices.c.device_id == device_id).values(**values)
        )

    async def add_event(
        self, device_id: str, at: datetime, actor: str, action: str, detail: str = ""
    ) -> None:
        await self.session.execute(
            insert(device_events).values(
                device_id=device_id, at=at, actor=actor, action=action, detail=detail
            )
        )

    async def events_of(self, device_id: str) -> list[Mapping[Any, Any]]:
        query = (
            select(device_events)
            .where(device_events.c.device_id == device_id)
            .order_by(device_events.c.id)
        )
        return list((await self.session.execute(query)).mappings().all())

    # -------------------------------------------------------------- refresh tokens
    async def add_refresh(self, **values: Any) -> None:
        await self.session.execute(insert(refresh_tokens).values(**values))

    async def refresh_record(self, digest: str) -> tuple[RefreshRecord, str] | None:
        """The token's record and its family, with whether its successor was used."""
        successor = refresh_tokens.alias("successor")
        query = (
            select(
                refresh_tokens.c.device_id,
                refresh_tokens.c.family_id,
                refresh_tokens.c.expires_at,
                refresh_tokens.c.used_at,
                refresh_tokens.c.revoked_at,
                successor.c.used_at.label("successor_used_at"),
            )
            .select_from(
                refresh_tokens.outerjoin(
                    successor, successor.c.token_digest == refresh_tokens.c.successor_digest
                )
            )
            .where(refresh_tokens.c.token_digest == digest)
        )
        row = (await self.session.execute(query)).mappings().first()
        if row is None:
            return None
        record = RefreshRecord(
            device_id=row["device_id"],
            family_id=row["family_id"],
            expires_at=utc(row["expires_at"]),
            used_at=None if row["used_at"] is None else utc(row["used_at"]),
            successor_used=row["successor_used_at"] is not None,
            revoked=row["revoked_at"] is not None,
        )
        return record, row["family_id"]

    async def spend_refresh(self, digest: str, successor: str, now: datetime) -> bool:
        """Spend an unused token for `successor`; False when another request spent it first."""
        result = await self.session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.token_digest == digest, refresh_tokens.c.used_at.is_(None))
            .values(used_at=now, successor_digest=successor)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def replace_successor(self, digest: str, successor: str, now: datetime) -> bool:
        """A retried refresh: the unused successor revoked, a new one named in its place (only
        while the old successor is still unused)."""
        old = (
            select(refresh_tokens.c.successor_digest)
            .where(refresh_tokens.c.token_digest == digest)
            .scalar_subquery()
        )
        revoked = await self.session.execute(
            update(refresh_tokens)
            .where(
                and_(
                    refresh_tokens.c.token_digest == old,
                    refresh_tokens.c.used_at.is_(None),
                    refresh_tokens.c.revoked_at.is_(None),
                )
            )
            .values(revoked_at=now)
        )
        if not revoked.rowcount:  # type: ignore[attr-defined]
            return False
        await self.session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.token_digest == digest)
            .values(successor_digest=successor)
        )
        return True

    # -------------------------------------------------------------- employees
    async def standing(self, employee_id: str) -> Standing | None:
        query = select(employees).where(employees.c.employee_id == employee_id)
        row = (await self.session.execute(query)).mappings().first()
        return None if row is None else standing_of(row)

    async def team_of(self, supervisor_id: str) -> frozenset[str]:
        return await supervised_by(self.session, employees, supervisor_id)
