"""Devices and their tokens: activation codes, activation, refresh with rotation and reuse
detection, revocation, what supervisors see. docs/contexts/device-gateway.md, *Identity*.

Every decision two replicas could race for is one conditional UPDATE in the store; nothing
here holds a lock of its own. No network call is made inside a transaction: the employee is
read from clients before it opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fieldline_gateway.adapters import metrics
from fieldline_gateway.adapters.employees import Employee, Employees
from fieldline_gateway.adapters.identity_store import IdentityStore
from fieldline_gateway.adapters.peers import Metadata
from fieldline_gateway.domain.devices import (
    MANAGERS,
    DeviceFilter,
    DeviceStatus,
    RefreshVerdict,
    RevokedReason,
    code_digest,
    digest,
    judge_refresh,
    may_hold_device,
    new_activation_code,
    new_refresh_token,
)
from fieldline_gateway.domain.problems import Problem
from fieldline_kit.auth.directory import Standing
from fieldline_kit.auth.issuer import TokenIssuer
from fieldline_kit.auth.principal import Kind, Principal
from fieldline_kit.errors import NotFound, PermissionDenied
from fieldline_kit.logging import get_logger
from fieldline_kit.roles import ADMIN, SUPERVISOR
from fieldline_kit.uow import UnitOfWork

log = get_logger("fieldline.gateway.identity")

# A revocation older than this leaves no live access token (they last 15 minutes).
REVOKED_MEMORY = timedelta(minutes=16)
REVOKED_REFRESH_SECONDS = 1.0
# `last_seen_at` is written at most this often per device.
SEEN_EVERY = timedelta(minutes=1)
# Devices whose owner is remembered (a replica serves thousands of devices, not millions).
MAX_OWNERS = 200_000
# The devices gauge is read from the database this often.
COUNT_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class DeviceInfo:
    platform: str
    os_version: str
    model: str
    app_version: str
    installation_id: str


@dataclass(frozen=True)
class Tokens:
    device_id: str
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    employee: Employee | None = None


@dataclass(frozen=True)
class IssuedCode:
    code: str
    employee_id: str
    expires_at: datetime


@dataclass(frozen=True)
class IdentityPolicy:
    code_lifetime: timedelta
    refresh_lifetime: timedelta
    refresh_retry: timedelta
    max_devices: int


class _Refused(Exception):
    """A refusal decided inside a transaction that must still commit (a reuse revokes)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class Identity:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        read_uow: Callable[[], UnitOfWork],
        issuer: TokenIssuer,
        employees: Employees,
        as_service: Callable[[], Metadata],
        policy: IdentityPolicy,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._read_uow = read_uow
        self._issuer = issuer
        self._employees = employees
        self._as_service = as_service
        self._policy = policy
        self._clock = clock
        # Devices revoked within REVOKED_MEMORY, read every second (`watch_revocations`).
        self.revoked: set[str] = set()
        # A device was activated or revoked here: the gauge is read again at once.
        self._recount = False
        # device → its employee (never changes once the device exists)
        self._owners: dict[str, str] = {}
        # device → (app version last written, last_seen_at last written)
        self._seen: dict[str, tuple[str, datetime]] = {}

    # ------------------------------------------------------------------ codes
    async def issue_code(
        self, caller: Principal, caller_metadata: Metadata, employee_id: str
    ) -> IssuedCode:
        """A one-time code for `employee_id`, issued by its supervisor or an admin."""
        if not caller.has_any(MANAGERS):
            raise PermissionDenied("only a supervisor or an administrator issues activation codes")
        employee = await self._employees.get(employee_id, caller_metadata)
        others = ADMIN not in caller.roles and employee.id != caller.subject
        if others and employee.supervisor_id != caller.subject:
            raise NotFound("employee", employee_id)
        if not employee.active:
            raise Problem("employee-inactive", f"employee {employee_id!r} is not active")
        if not may_hold_device(employee.roles):
            raise Problem(
                "invalid-request",
                f"employee {employee_id!r} holds no field role: a device serves agents, van "
                "sellers, merchandisers, telesellers and supervisors",
                field="employeeId",
            )
        code = new_activation_code()
        now = self._clock()
        expires = now + self._policy.code_lifetime
        async with self._uow() as uow:
            await IdentityStore(uow.session).add_code(
                code_digest=code_digest(code),
                employee_id=employee.id,
                issued_by=caller.subject,
                issued_at=now,
                expires_at=expires,
            )
            await uow.commit()
        log.info("activation code issued", employee_id=employee.id, by=caller.subject)
        return IssuedCode(code=code, employee_id=employee.id, expires_at=expires)

    # ------------------------------------------------------------------ activation
    async def activate(self, request_id: str, code: str, device: DeviceInfo) -> Tokens:
        invalid = Problem(
            "activation-code-invalid", "the activation code is unknown, used or expired"
        )
        hashed = code_digest(code)
        if hashed is None:
            raise invalid
        async with self._read_uow() as uow:
            row = await IdentityStore(uow.session).code(hashed)
        if row is None:
            raise invalid
        employee = await self._employees.get(row["employee_id"], self._as_service())
        if not employee.active:
            raise Problem("employee-inactive", "the employee is no longer active")
        now = self._clock()
        async with self._uow() as uow:
            store = IdentityStore(uow.session)
            row = await store.code(hashed)
            if row is None:
                raise invalid
            if row["used_at"] is not None:
                # The same attempt again (its answer was lost): that device, a fresh pair.
                if row["request_id"] != request_id or row["device_id"] is None:
                    raise invalid
                device_id = row["device_id"]
                existing = await store.device(device_id)
                if existing is None or existing["status"] != DeviceStatus.ACTIVE:
                    raise invalid
                await store.revoke_tokens(device_id, now)
            else:
                if await store.active_devices(employee.id) >= self._policy.max_devices:
                    raise Problem(
                        "device-limit-reached",
                        f"the employee already has {self._policy.max_devices} active devices: "
                        "a supervisor must revoke one first",
                    )
                device_id = str(uuid.uuid4())
                if not await store.spend_code(hashed, request_id, device_id, now):
                    raise invalid
                await store.add_device(
                    device_id=device_id,
                    employee_id=employee.id,
                    status=DeviceStatus.ACTIVE,
                    platform=device.platform,
                    os_version=device.os_version,
                    model=device.model,
                    installation_id=device.installation_id,
                    app_version=device.app_version,
                    activated_at=now,
                    activation_request_id=request_id,
                    activation_code=hashed,
                    last_seen_at=now,
                )
                await store.add_event(device_id, now, employee.id, "activated", device.model)
            refresh, refresh_expires = await self._new_refresh(store, device_id, None, now)
            await uow.commit()
        self._recount = True
        log.info("device activated", device_id=device_id, employee_id=employee.id)
        return self._tokens(
            device_id, employee.id, employee.roles, refresh, refresh_expires, employee=employee
        )

    # ------------------------------------------------------------------ refresh
    async def refresh(self, device_id: str, refresh_token: str) -> Tokens:
        now = self._clock()
        hashed = digest(refresh_token)
        try:
            async with self._uow() as uow:
                store = IdentityStore(uow.session)
                device = await store.device(device_id)
                if device is None:
                    raise Problem("refresh-token-invalid", _REFRESH_INVALID)
                standing = await self._standing(store, device["employee_id"])
                if standing is not None and not standing.active:
                    raise Problem("employee-inactive", "the employee is no longer active")
                roles = standing.roles if standing is not None else frozenset()
                new, expires = await self._rotate(store, device, hashed, now)
                await uow.commit()
        except _Refused as refused:
            raise refused.problem from None
        return self._tokens(device_id, device["employee_id"], roles, new, expires)

    async def _rotate(
        self, store: IdentityStore, device: Mapping[Any, Any], hashed: str, now: datetime
    ) -> tuple[str, datetime]:
        device_id = device["device_id"]
        for _attempt in range(2):  # a lost race re-judged once: the winner's token is now spent
            found = await store.refresh_record(hashed)
            record = found[0] if found is not None else None
            verdict = judge_refresh(
                record,
                device_id,
                device["status"] == DeviceStatus.ACTIVE,
                now,
                self._policy.refresh_retry,
            )
            if verdict is RefreshVerdict.INVALID or record is None:
                raise Problem("refresh-token-invalid", _REFRESH_INVALID)
            if verdict is RefreshVerdict.REUSE:
                await store.revoke_device(device_id, RevokedReason.REFRESH_REUSE, "gateway", now)
                await store.add_event(device_id, now, "gateway", "refresh-reuse")
                await store.session.commit()
                self.revoked.add(device_id)
                log.warning("refresh token reused: device revoked", device_id=device_id)
                raise _Refused(
                    Problem(
                        "refresh-token-reused",
                        "a spent refresh token came back: the device is revoked",
                    )
                )
            token = new_refresh_token()
            if verdict is RefreshVerdict.ROTATE:
                if await store.spend_refresh(hashed, digest(token), now):
                    return await self._store_refresh(store, token, device_id, record.family_id, now)
                continue
            if await store.replace_successor(hashed, digest(token), now):
                return await self._store_refresh(store, token, device_id, record.family_id, now)
        raise Problem("refresh-token-invalid", _REFRESH_INVALID)

    async def _store_refresh(
        self, store: IdentityStore, token: str, device_id: str, family: str, now: datetime
    ) -> tuple[str, datetime]:
        expires = now + self._policy.refresh_lifetime
        await store.add_refresh(
            token_digest=digest(token),
            family_id=family,
            device_id=device_id,
            issued_at=now,
            expires_at=expires,
        )
        return token, expires

    async def _new_refresh(
        self, store: IdentityStore, device_id: str, family: str | None, now: datetime
    ) -> tuple[str, datetime]:
        return await self._store_refresh(
            store, new_refresh_token(), device_id, family or str(uuid.uuid4()), now
        )

    async def _standing(self, store: IdentityStore, employee_id: str) -> Standing | None:
        """As clients' events last reported the employee; asked of clients once when no event
        has arrived yet."""
        standing = await store.standing(employee_id)
        if standing is not None:
            return standing
        try:
            employee = await self._employees.get(employee_id, self._as_service())
        except NotFound:
            return Standing(active=False, roles=frozenset())
        return Standing(active=employee.active, roles=employee.roles)

    def _tokens(
        self,
        device_id: str,
        employee_id: str,
        roles: frozenset[str],
        refresh: str,
        refresh_expires: datetime,
        employee: Employee | None = None,
    ) -> Tokens:
        now = self._clock()
        access = self._issuer.mint(employee_id, Kind.EMPLOYEE, roles, device=device_id)
        return Tokens(
            device_id=device_id,
            access_token=access,
            access_expires_at=now + self._issuer.lifetime,
            refresh_token=refresh,
            refresh_expires_at=refresh_expires,
            employee=employee,
        )

    # ------------------------------------------------------------------ management
    async def revoke(self, caller: Principal, device_id: str) -> Mapping[Any, Any]:
        now = self._clock()
        async with self._uow() as uow:
            store = IdentityStore(uow.session)
            device = await self._managed(store, caller, device_id)
            if await store.revoke_device(
                device_id, RevokedReason.BY_SUPERVISOR, caller.subject, now
            ):
                await store.add_event(device_id, now, caller.subject, "revoked")
            await uow.commit()
        self.revoked.add(device_id)
        self._recount = True
        log.info("device revoked", device_id=device_id, by=caller.subject)
        return device

    async def device(
        self, caller: Principal, device_id: str
    ) -> tuple[Mapping[str, Any], list[Mapping[Any, Any]]]:
        async with self._read_uow() as uow:
            store = IdentityStore(uow.session)
            device = await self._managed(store, caller, device_id)
            return device, await store.events_of(device_id)

    async def devices(
        self, caller: Principal, wanted: DeviceFilter | None = None
    ) -> list[Mapping[Any, Any]]:
        """The caller's own and its team's devices (an administrator's: all) that `wanted`
        asks for; a page of them, by (employee, device)."""
        _require_manager(caller)
        async with self._read_uow() as uow:
            store = IdentityStore(uow.session)
            if ADMIN in caller.roles:
                return await store.devices_of(None, wanted)
            team = await store.team_of(caller.subject)
            return await store.devices_of({*team, caller.subject}, wanted)

    async def _managed(
        self, store: IdentityStore, caller: Principal, device_id: str
    ) -> Mapping[Any, Any]:
        """The device, if the caller manages it (its employee's supervisor, or an admin)."""
        _require_manager(caller)
        device = await store.device(device_id)
        if device is None:
            raise NotFound("device", device_id)
        if ADMIN in caller.roles or device["employee_id"] == caller.subject:
            return device
        standing = await store.standing(device["employee_id"])
        if standing is None or standing.supervisor_id != caller.subject:
            raise NotFound("device", device_id)
        return device

    # ------------------------------------------------------------------ per request
    def check_device(self, principal: Principal) -> None:
        """A device token's device must not be revoked (each replica knows within a second)."""
        if principal.device_id is not None and principal.device_id in self.revoked:
            raise Problem("device-revoked", "the device was revoked: activate it again")

    async def check_owner(self, principal: Principal) -> None:
        """A device token names a device of its own employee: a `dev` claim that is not one of
        the gateway's devices, or is another employee's, is refused (a token another trusted
        issuer signed cannot pass for a device). The owner never changes: remembered."""
        device_id = principal.device_id
        if device_id is None:
            return
        owner = self._owners.get(device_id)
        if owner is None:
            async with self._read_uow() as uow:
                row = await IdentityStore(uow.session).device(device_id)
            if row is None:
                raise Problem("unauthenticated", "the token names no device of this gateway")
            owner = self._owners[device_id] = str(row["employee_id"])
            while len(self._owners) > MAX_OWNERS:
                self._owners.pop(next(iter(self._owners)))
        if owner != principal.subject:
            raise Problem("unauthenticated", "the token's device is not its employee's")

    async def seen(self, device_id: str, app_version: str | None, **values: Any) -> None:
        """Record a device's request: its app version when it changed, `last_seen_at` at most
        once a minute, and `values` (last sync, last upload) always."""
        now = self._clock()
        known = self._seen.get(device_id)
        changed = app_version is not None and (known is None or known[0] != app_version)
        due = known is None or now - known[1] >= SEEN_EVERY
        if not (changed or due or values):
            return
        update: dict[str, Any] = dict(values)
        if changed:
            update["app_version"] = app_version
        if due:
            update["last_seen_at"] = now
        async with self._uow() as uow:
            await IdentityStore(uow.session).touch(device_id, **update)
            await uow.commit()
        self._seen[device_id] = (
            app_version or (known[0] if known else ""),
            now if due else known[1] if known else now,
        )

    async def resynced(self, device_id: str, high: int) -> None:
        """A full answer at `high` began for the device: its own horizon (`resync_below`)
        comes down to `high`, so the cursor that answer ends with is served deltas again."""
        async with self._uow() as uow:
            await IdentityStore(uow.session).lower_resync_below(device_id, high)
            await uow.commit()

    async def watch_revocations(self, stop: asyncio.Event) -> None:
        """Keep `revoked` current: the devices revoked within REVOKED_MEMORY, every second
        (and the devices gauge, every minute)."""
        counted_at: datetime | None = None
        while not stop.is_set():
            try:
                async with self._read_uow() as uow:
                    store = IdentityStore(uow.session)
                    now = self._clock()
                    self.revoked = await store.revoked_since(now - REVOKED_MEMORY)
                    due = counted_at is None or now - counted_at >= COUNT_EVERY
                    if due or self._recount:
                        self._recount = False
                        counts = await store.count_by_status()
                        for status in DeviceStatus:
                            metrics.DEVICES.labels(status.value).set(counts.get(status.value, 0))
                        counted_at = now
            except Exception as exc:  # the database out of reach: keep what is known
                log.warning("revoked devices not refreshed", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), REVOKED_REFRESH_SECONDS)


_REFRESH_INVALID = "the refresh token is unknown, expired, of another device, or revoked"


def _require_manager(caller: Principal) -> None:
    if caller.kind != Kind.EMPLOYEE and ADMIN not in caller.roles:
        raise PermissionDenied("only supervisors and administrators manage devices")
    if not caller.has_any({SUPERVISOR, ADMIN}):
        raise PermissionDenied("only supervisors and administrators manage devices")
