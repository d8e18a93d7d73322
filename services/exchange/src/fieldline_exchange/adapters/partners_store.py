"""Partners, their keys and 1C sessions in the exchange's database."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fieldline_exchange.adapters.orm import exchange_sessions, partner_keys, partners


class PartnersStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_partner(self, row: Mapping[Any, Any]) -> None:
        await self.session.execute(insert(partners).values(**row))

    async def partner(self, partner_id: str) -> Mapping[Any, Any] | None:
        query = select(partners).where(partners.c.partner_id == partner_id)
        return (await self.session.execute(query)).mappings().first()

    async def by_login(self, login: str) -> Mapping[Any, Any] | None:
        query = select(partners).where(partners.c.login == login)
        return (await self.session.execute(query)).mappings().first()

    async def all_partners(self) -> list[Mapping[Any, Any]]:
        query = select(partners).order_by(partners.c.name, partners.c.partner_id)
        return list((await self.session.execute(query)).mappings())

    async def add_key(self, row: Mapping[Any, Any]) -> None:
        await self.session.execute(insert(partner_keys).values(**row))

    async def key(self, key_id: str) -> Mapping[Any, Any] | None:
        query = select(partner_keys).where(partner_keys.c.key_id == key_id)
        return (await self.session.execute(query)).mappings().first()

    async def keys_of(self, partner_id: str) -> list[Mapping[Any, Any]]:
        query = (
            select(partner_keys)
            .where(partner_keys.c.partner_id == partner_id)
            .order_by(partner_keys.c.created_at)
        )
        return list((await self.session.execute(query)).mappings())

    async def revoke_key(self, partner_id: str, key_id: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(partner_keys)
            .where(
                partner_keys.c.key_id == key_id,
                partner_keys.c.partner_id == partner_id,
                partner_keys.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def add_session(
        self, digest: str, partner_id: str, now: datetime, expires_at: datetime
    ) -> None:
        await self.session.execute(
            insert(exchange_sessions).values(
                digest=digest, partner_id=partner_id, created_at=now, expires_at=expires_at
            )
        )

    async def session_partner(self, digest: str, now: datetime) -> str | None:
        query = select(exchange_sessions.c.partner_id).where(
            exchange_sessions.c.digest == digest, exchange_sessions.c.expires_at > now
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def session_row(self, digest: str, now: datetime) -> Mapping[Any, Any] | None:
        query = select(exchange_sessions).where(
            exchange_sessions.c.digest == digest, exchange_sessions.c.expires_at > now
        )
        return (await self.session.execute(query)).mappings().first()

    async def drop_expired_sessions(self, now: datetime) -> int:
        result = await self.session.execute(
            delete(exchange_sessions).where(exchange_sessions.c.expires_at <= now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
