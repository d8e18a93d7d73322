"""Idempotent execution of mutating RPCs keyed by the caller's `request_id`.

The response of the first successful call is stored in the same transaction as its effects; a
retry with the same request_id gets those bytes back and changes nothing. A stored answer is
its caller's: the caller (the verified principal: kind, subject, and the user a service acts
for) is part of the fingerprint, so another caller replaying a request_id and body it learnt
is refused as a different request, never answered with someone else's response. Two identical
requests racing each other: one commits, the other hits the idempotency primary key, rolls
back and, on its second attempt, returns the stored response.

One path for every case: a single call is a batch of one (`run_idempotent` over
`run_idempotent_batch`). Use cases that read before their transaction (SubmitOrder reads, asks
settlements, then writes) use the same pieces: `IdempotentCall` for the key, the fingerprint
and the one comparison with a stored answer, and `UnitOfWork.record_responses` to store.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy.exc import IntegrityError

from fieldline_kit.auth.principal import principal_or_none
from fieldline_kit.errors import Conflict, DomainError, InvalidArgument
from fieldline_kit.uow import UnitOfWork

M = TypeVar("M", bound=Message)
T = TypeVar("T")
U = TypeVar("U", bound=UnitOfWork)

REUSED = "was already used for a different request"


# Credentials a request may carry in its body (the user a check is for): a retry may bring a
# freshly minted one, and it asks the same thing, so they are left out of the fingerprint.
CREDENTIAL_FIELDS = ("actor_token",)


def current_caller() -> str:
    """Who the call being served is for idempotency ("" on a server without auth)."""
    p = principal_or_none()
    return "" if p is None else f"{p.kind}|{p.subject}|{p.acting_for or ''}"


def fingerprint(message: Message, caller: str = "") -> str:
    """Stable digest of a request (and of its caller), to tell a retry from another request."""
    fields = message.DESCRIPTOR.fields_by_name
    if any(name in fields and getattr(message, name) for name in CREDENTIAL_FIELDS):
        copy = type(message)()
        copy.CopyFrom(message)
        for name in CREDENTIAL_FIELDS:
            if name in fields:
                copy.ClearField(name)
        message = copy
    digest = hashlib.sha256()
    if caller:
        digest.update(caller.encode() + b"\0")
    digest.update(message.SerializeToString(deterministic=True))
    return digest.hexdigest()


REQUIRED = "is required: a UUID the caller chooses, sent again unchanged with a retry"


def request_key(method: str, request_id: str, *, required: bool = True) -> str:
    """`<method>:<request_id>`; "" for a request without a request_id where it is optional
    (`required=False`: an RPC that is idempotent by itself, documented as such)."""
    if not request_id:
        if required:
            raise InvalidArgument("request_id", REQUIRED)
        return ""
    try:
        uuid.UUID(request_id)
    except ValueError:
        raise InvalidArgument("request_id", f"must be a UUID, got {request_id[:60]!r}") from None
    return f"{method}:{request_id.lower()}"


@dataclass(frozen=True, slots=True)
class IdempotentCall:
    """Who a request is for idempotency: its key ("" without request_id) and fingerprint."""

    key: str
    digest: str

    @classmethod
    def of(
        cls, method: str, request: Message, *, required: bool = True, caller: str | None = None
    ) -> IdempotentCall:
        """The call of `request` by `caller` (default: the call being served's principal;
        build it in the caller's context, not in a worker serving many callers). Raises
        InvalidArgument for a missing (where `required`) or malformed request_id."""
        key = request_key(method, getattr(request, "request_id", ""), required=required)
        if not key:
            return cls("", "")
        return cls(key, fingerprint(request, current_caller() if caller is None else caller))

    def answer(self, stored: tuple[str, bytes] | None) -> bytes | None:
        """The stored response (fingerprint, bytes) found under this key, if it is this request's.

        Reusing a key for a different request is the caller's bug; it is refused rather than
        answered with a response that belongs to another request.
        """
        if stored is None:
            return None
        if stored[0] != self.digest:
            raise InvalidArgument("request_id", REUSED)
        return stored[1]

    def same_request(self, other: IdempotentCall) -> None:
        """Two calls of one batch under one key: the later is a retry of the earlier, or wrong."""
        if other.digest != self.digest:
            raise InvalidArgument("request_id", REUSED)


async def run_idempotent_batch(
    uow_factory: Callable[[], U],
    method: str,
    requests: Sequence[M],
    work: Callable[[U, Sequence[M]], Awaitable[Sequence[Message | DomainError]]],
    *,
    required: bool = True,
) -> list[Message | bytes | DomainError]:
    """Run `work` once for the requests not answered yet, in one transaction; one outcome each.

    Per request, in order of precedence: a missing (unless `required=False`) or malformed
    request_id (InvalidArgument); the answer
    stored under its key (the stored bytes; a different request under that key is refused);
    the same key earlier in the batch (answered as that one, or refused if it differs); else
    what `work` returns for it — a response, stored under its key, or a DomainError. `work`
    gets the requests to judge in order and must leave no effect for a request it fails (it
    judges in memory, then writes what passed). An IntegrityError (a concurrent copy stored
    its answer first) runs the whole batch again once, which then finds that answer.
    """
    outcomes: list[Message | bytes | DomainError | None] = [None] * len(requests)
    calls: dict[int, IdempotentCall] = {}
    for i, request in enumerate(requests):
        try:
            calls[i] = IdempotentCall.of(method, request, required=required)
        except DomainError as exc:
            outcomes[i] = exc

    async def attempt(after_race: bool) -> dict[int, Message | bytes | DomainError]:
        async with uow_factory() as uow:
            done = await _run(uow, requests, calls, work)
            await uow.commit()
        return done

    for i, outcome in (await once_more_on_race(attempt)).items():
        outcomes[i] = outcome
    return [o if o is not None else Conflict("request was not processed; retry") for o in outcomes]


async def once_more_on_race(attempt: Callable[[bool], Awaitable[T]]) -> T:
    """`attempt(False)`; if it lost a race on a unique key (a concurrent copy of a request
    committed its answer, or its row, first), `attempt(True)` once, which should find what
    the winner committed; a second loss is Conflict (ABORTED: the caller retries)."""
    try:
        return await attempt(False)
    except IntegrityError:
        pass
    try:
        return await attempt(True)
    except IntegrityError:
        raise Conflict("a concurrent request changed the same records; retry") from None


async def _run(
    uow: U,
    requests: Sequence[M],
    calls: dict[int, IdempotentCall],
    work: Callable[[U, Sequence[M]], Awaitable[Sequence[Message | DomainError]]],
) -> dict[int, Message | bytes | DomainError]:
    out: dict[int, Message | bytes | DomainError] = {}
    stored = await uow.stored_responses({c.key for c in calls.values() if c.key})
    first: dict[str, int] = {}  # key → the index of its first request to judge
    repeats: dict[int, int] = {}  # index → the index it repeats
    todo: list[int] = []
    for i, call in calls.items():
        try:
            if call.key in first:
                calls[first[call.key]].same_request(call)
                repeats[i] = first[call.key]
                continue
            answer = call.answer(stored.get(call.key)) if call.key else None
        except DomainError as exc:
            out[i] = exc
            continue
        if answer is not None:
            out[i] = answer
            continue
        if call.key:
            first[call.key] = i
        todo.append(i)
    results = await work(uow, [requests[i] for i in todo]) if todo else []
    if len(results) != len(todo):
        raise RuntimeError(f"work answered {len(results)} of {len(todo)} requests")
    records: list[tuple[str, str, bytes]] = []
    for i, result in zip(todo, results, strict=True):
        out[i] = result
        call = calls[i]
        if call.key and not isinstance(result, DomainError):
            records.append((call.key, call.digest, result.SerializeToString()))
    for i, earlier in repeats.items():
        out[i] = out[earlier]
    await uow.record_responses(records)
    return out


async def run_idempotent(
    uow_factory: Callable[[], U],
    method: str,
    request: Message,
    response_type: type[M],
    work: Callable[[U], Awaitable[M]],
    *,
    required: bool = True,
) -> M:
    """One mutating call: `run_idempotent_batch` with one request; its DomainError is raised
    (and nothing it did is committed)."""

    async def one(uow: U, todo: Sequence[Message]) -> list[Message | DomainError]:
        return [await work(uow)]

    (outcome,) = await run_idempotent_batch(uow_factory, method, [request], one, required=required)
    if isinstance(outcome, DomainError):
        raise outcome
    if isinstance(outcome, bytes):
        return response_type.FromString(outcome)
    return outcome  # type: ignore[return-value]
