"""Partners: created and given keys by administrators; signed in by Basic, an API key or a
1C session cookie (docs/contexts/exchange.md, *Partners and access*)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter

from fieldline_exchange.adapters.partners_store import PartnersStore
from fieldline_exchange.domain.partners import (
    BASIC_SCOPES,
    PartnerCaller,
    hash_password,
    invalid_scopes,
    key_digest,
    new_key,
    new_password,
    parse_key,
    password_matches,
    valid_login,
)
from fieldline_exchange.domain.sign_ins import FailedSignIns
from fieldline_kit.auth.principal import Principal
from fieldline_kit.db import utc
from fieldline_kit.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from fieldline_kit.problem import Problem
from fieldline_kit.roles import ADMIN

ACTIVE = "active"

SIGN_INS_REFUSED = Counter(
    "fieldline_exchange_sign_ins_throttled_total",
    "HTTP Basic sign-ins refused with 429 after too many failures a minute for the login",
)


@dataclass(frozen=True)
class CreatedPartner:
    partner: Mapping[Any, Any]
    password: str  # shown once


@dataclass(frozen=True)
class ExchangeSession:
    """A 1C exchange session (checkauth → cookie): whose, its key, when it began."""

    caller: PartnerCaller
    digest: str
    started: datetime


@dataclass(frozen=True)
class CreatedKey:
    key: Mapping[Any, Any]
    secret: str  # shown once


def _unauthenticated(detail: str = "wrong credentials") -> Problem:
    return Problem(
        "unauthenticated", detail, headers={"WWW-Authenticate": 'Basic realm="exchange"'}
    )


class Partners:
    def __init__(
        self,
        uow: Callable[[], Any],
        read_uow: Callable[[], Any],
        *,
        clock: Callable[[], datetime],
        session_minutes: int = 60,
        failures_per_minute: int = 5,
    ) -> None:
        self._uow = uow
        self._failed = FailedSignIns(failures_per_minute)
        self._read_uow = read_uow
        self._clock = clock
        self._session_lifetime = timedelta(minutes=session_minutes)

    # ------------------------------------------------------------------ administration
    async def create(self, caller: Principal, name: str, login: str) -> CreatedPartner:
        _require_admin(caller)
        name = name.strip()
        if not name or len(name) > 200:
            raise InvalidArgument("name", "1 to 200 characters")
        if not valid_login(login):
            raise InvalidArgument("login", "3 to 64 of letters, digits, '.', '_' and '-'")
        password = new_password()
        row = {
            "partner_id": str(uuid.uuid4()),
            "name": name,
            "login": login,
            "password_hash": hash_password(password),
            "status": ACTIVE,
            "created_at": self._clock(),
            "created_by": caller.subject,
        }
        async with self._uow() as uow:
            store = PartnersStore(uow.session)
            if await store.by_login(login) is not None:
                raise AlreadyExists(f"a partner with login {login!r} exists")
            await store.add_partner(row)
            await uow.commit()
        return CreatedPartner(row, password)

    async def all(self, caller: Principal) -> list[Mapping[Any, Any]]:
        _require_admin(caller)
        async with self._read_uow() as uow:
            return await PartnersStore(uow.session).all_partners()

    async def add_key(
        self, caller: Principal, partner_id: str, scopes: frozenset[str], label: str
    ) -> CreatedKey:
        _require_admin(caller)
        wrong = invalid_scopes(scopes)
        if wrong or not scopes:
            raise InvalidArgument(
                "scopes", f"unknown {', '.join(wrong)}" if wrong else "at least one"
            )
        made = new_key()
        row = {
            "key_id": made.key_id,
            "partner_id": partner_id,
            "digest": made.digest,
            "scopes": " ".join(sorted(scopes)),
            "label": label.strip()[:200],
            "created_at": self._clock(),
            "created_by": caller.subject,
            "revoked_at": None,
        }
        async with self._uow() as uow:
            store = PartnersStore(uow.session)
            if await store.partner(partner_id) is None:
                raise NotFound("partner", partner_id)
            await store.add_key(row)
            await uow.commit()
        return CreatedKey(row, made.secret)

    async def revoke_key(self, caller: Principal, partner_id: str, key_id: str) -> None:
        _require_admin(caller)
        async with self._uow() as uow:
            store = PartnersStore(uow.session)
            key = await store.key(key_id)
            if key is None or key["partner_id"] != partner_id:
                raise NotFound("key", key_id)
            await store.revoke_key(partner_id, key_id, self._clock())
            await uow.commit()

    async def keys(self, caller: Principal, partner_id: str) -> list[Mapping[Any, Any]]:
        _require_admin(caller)
        async with self._read_uow() as uow:
            store = PartnersStore(uow.session)
            if await store.partner(partner_id) is None:
                raise NotFound("partner", partner_id)
            return await store.keys_of(partner_id)

    # ------------------------------------------------------------------ signing in
    async def by_basic(self, login: str, password: str) -> PartnerCaller:
        """The partner of this login and password; 429 (`rate-limited`) once the login failed
        too often this minute, whatever the password."""
        now = self._clock().timestamp()
        wait = self._failed.wait(login, now)
        if wait > 0:
            SIGN_INS_REFUSED.inc()
            raise Problem(
                "rate-limited",
                f"too many failed sign-ins for this login: retry in {wait:.0f} s",
                retry_after=wait,
            )
        async with self._read_uow() as uow:
            partner = await PartnersStore(uow.session).by_login(login)
        if (
            partner is None
            or partner["status"] != ACTIVE
            or not password_matches(password, partner["password_hash"])
        ):
            self._failed.failed(login, now)
            raise _unauthenticated()
        self._failed.succeeded(login)
        return PartnerCaller(partner["partner_id"], partner["name"], BASIC_SCOPES, "basic")

    async def by_key(self, key: str) -> PartnerCaller:
        key_id = parse_key(key)
        if key_id is None:
            raise _unauthenticated("not an API key of this service")
        async with self._read_uow() as uow:
            store = PartnersStore(uow.session)
            row = await store.key(key_id)
            partner = await store.partner(row["partner_id"]) if row is not None else None
        if (
            row is None
            or partner is None
            or row["revoked_at"] is not None
            or partner["status"] != ACTIVE
            or not secrets.compare_digest(row["digest"], key_digest(key))
        ):
            raise _unauthenticated()
        return PartnerCaller(
            partner["partner_id"], partner["name"], frozenset(row["scopes"].split()), "key"
        )

    async def caller(self, partner_id: str) -> PartnerCaller:
        """The partner as its imports act (every scope a partner may hold; a job narrows it
        to what the credentials that sent it could do)."""
        async with self._read_uow() as uow:
            partner = await PartnersStore(uow.session).partner(partner_id)
        if partner is None:
            raise NotFound("partner", partner_id)
        return PartnerCaller(partner["partner_id"], partner["name"], BASIC_SCOPES, "job")

    async def open_session(self, caller: PartnerCaller) -> str:
        """A 1C session (checkauth): the cookie value, kept as its hash."""
        cookie = secrets.token_urlsafe(32)
        now = self._clock()
        async with self._uow() as uow:
            store = PartnersStore(uow.session)
            await store.drop_expired_sessions(now)
            await store.add_session(
                _session_digest(cookie), caller.partner_id, now, now + self._session_lifetime
            )
            await uow.commit()
        return cookie

    async def by_session(self, cookie: str) -> PartnerCaller:
        return (await self.session(cookie)).caller

    async def session(self, cookie: str) -> ExchangeSession:
        """The live 1C session the cookie names, and its partner."""
        digest = _session_digest(cookie)
        async with self._read_uow() as uow:
            store = PartnersStore(uow.session)
            row = await store.session_row(digest, self._clock())
            partner = await store.partner(row["partner_id"]) if row is not None else None
        if row is None or partner is None or partner["status"] != ACTIVE:
            raise _unauthenticated("no such exchange session: checkauth again")
        caller = PartnerCaller(partner["partner_id"], partner["name"], BASIC_SCOPES, "session")
        return ExchangeSession(caller, digest, utc(row["created_at"]))


def session_digest(cookie: str) -> str:
    return _session_digest(cookie)


def _session_digest(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def _require_admin(caller: Principal) -> None:
    if ADMIN not in caller.roles:
        raise PermissionDenied("only administrators manage partners")
