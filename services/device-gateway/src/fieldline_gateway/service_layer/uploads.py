"""Uploads: a batch of documents, each one call to the service that owns it with the device's
own token, each answered once (docs/contexts/device-gateway.md, *Uploads*).

Per document, in the order sent:

1. decode strictly for its kind, and check its device times (`future-dated`);
2. its receipt: answered before with the same content → `duplicate` with that answer; other
   content → `document-id-reused`; claimed by another request for less than a minute →
   `deferred` (`busy`), longer → taken over (its holder died);
3. claim it (the receipt as in progress), and judge its prerequisites: what the earlier
   documents (of this batch, or of the receipts) that created the entities it names became;
4. call the service (no transaction is open meanwhile), then store the final answer in the
   receipt, or drop the claim when the document is deferred.

The gateway's own refusals (a document that does not decode, one dated in the future, one
whose prerequisite was rejected) are final and kept like the services' ones, so a retried
batch is answered `duplicate` throughout. UNAUTHENTICATED from a service, or the batch's time
budget spent, defers the rest of the batch.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import msgspec

from fieldline_gateway.adapters.metrics import UPLOADS
from fieldline_gateway.adapters.receipts import IN_PROGRESS, Claim, Receipt, Receipts
from fieldline_gateway.domain.documents import (
    BatchLedger,
    DocumentProblem,
    DocumentResult,
    Outcome,
    Received,
    Sighting,
    Status,
    UploadResult,
    creates,
    creates_loosely,
    duplicate_of,
    future_dated,
    invoice_on_its_way,
    judge_prerequisites,
    needs,
    prerequisite_problem,
    problem,
    receive,
    usable_id,
)
from fieldline_gateway.domain.problems import Problem
from fieldline_kit.logging import get_logger
from fieldline_kit.uow import UnitOfWork

log = get_logger("fieldline.gateway.uploads")

_RESULT = msgspec.json.Decoder(DocumentResult)


@dataclass(frozen=True)
class Uploader:
    """Who sends the batch: the employee (the token's subject), its device, and the access
    token every call is made with."""

    employee_id: str
    device_id: str
    token: str


@dataclass(frozen=True)
class UploadPolicy:
    # GATEWAY_BATCH_SECONDS: documents not started within it are deferred.
    batch_seconds: float = 30.0
    # GATEWAY_MAX_CLOCK_SKEW_MINUTES: how far after the server's time a device time may be.
    max_clock_skew: timedelta = timedelta(minutes=60)
    # GATEWAY_UPLOAD_MAX_DOCUMENTS: more is `batch-too-large`.
    max_documents: int = 200
    # GATEWAY_UPLOAD_CLAIM_STALE_SECONDS: a claim older than this is its dead holder's: taken
    # over (a document takes milliseconds; a minute by default leaves a live holder be).
    claim_stale: timedelta = timedelta(seconds=60)


class Dispatch(Protocol):
    """Sends a decoded document as the device (adapters.dispatch.Dispatcher)."""

    def __call__(self, received: Received, token: str) -> Awaitable[Outcome]: ...


@dataclass
class _Batch:
    uploader: Uploader
    batch_id: str
    sent_at: datetime
    deadline: float
    ledger: BatchLedger = field(default_factory=BatchLedger)
    # Why every document from here on is deferred (token expired, time spent).
    stopped: DocumentProblem | None = None
    token_expired: bool = False


class Uploads:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        dispatch: Dispatch,
        policy: UploadPolicy,
        *,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow = uow
        self._dispatch = dispatch
        self._policy = policy
        self._clock = clock
        self._monotonic = monotonic

    async def upload(
        self,
        uploader: Uploader,
        batch_id: str,
        sent_at: datetime,
        documents: Sequence[bytes | msgspec.Raw],
    ) -> UploadResult:
        """Every document of the batch, in order: one result each (the body of the 200)."""
        if len(documents) > self._policy.max_documents:
            raise Problem(
                "batch-too-large",
                f"{len(documents)} documents: at most {self._policy.max_documents} per batch",
                field="documents",
            )
        batch = _Batch(
            uploader=uploader,
            batch_id=batch_id,
            sent_at=sent_at if sent_at.tzinfo is not None else sent_at.replace(tzinfo=UTC),
            deadline=self._monotonic() + self._policy.batch_seconds,
        )
        results = []
        for index, raw in enumerate(documents):
            received = receive(index, raw)
            entity = (
                creates(received.document)
                if received.document is not None
                else creates_loosely(raw, received.kind)
            )
            result = await self._one(batch, received, entity)
            status = Status(result.original_status or result.status)
            batch.ledger.record(entity, status, received.document_id)
            UPLOADS.labels(received.kind or "unknown", result.status).inc()
            results.append(result)
        log.info(
            "upload batch answered",
            batch_id=batch_id,
            employee_id=uploader.employee_id,
            documents=len(results),
            token_expired=batch.token_expired,
        )
        return UploadResult(batch_id=batch_id, results=results, token_expired=batch.token_expired)

    async def _one(self, batch: _Batch, received: Received, entity: str | None) -> DocumentResult:
        if batch.stopped is None and self._monotonic() >= batch.deadline:
            batch.stopped = problem(
                "batch-time-exceeded",
                f"the batch's {self._policy.batch_seconds:g} s were spent before this document",
            )
        if batch.stopped is not None:
            return Outcome.deferred(batch.stopped).result(received.document_id, received.kind)

        now = self._clock()
        refused = received.problem or future_dated(
            received, batch.sent_at, now, self._policy.max_clock_skew
        )
        keep = usable_id(received.document_id)
        employee = batch.uploader.employee_id
        claim = Claim(
            employee_id=employee,
            document_id=received.document_id,
            kind=received.kind,
            digest=received.digest,
            creates=entity,
            photo_ids=received.document.photo_ids if received.document is not None else (),
            device_id=batch.uploader.device_id,
            batch_id=batch.batch_id,
            created_at=received.document.created_at if received.document is not None else None,
            sent_at=batch.sent_at,
            received_at=now,
            claim_id=str(uuid.uuid4()),
        )

        async with self._uow() as uow:
            receipts = Receipts(uow.session)
            existing = await receipts.get(employee, received.document_id) if keep else None
            if existing is not None:
                answered = self._answered(existing, received, now)
                if answered is not None:
                    return answered
                taken = await receipts.take_over(
                    employee,
                    received.document_id,
                    held_by=existing.claim_id,
                    claim_id=claim.claim_id,
                    now=now,
                    batch_id=batch.batch_id,
                    device_id=batch.uploader.device_id,
                )
                if not taken:
                    return self._busy(received)
                log.warning(
                    "stale upload claim taken over",
                    document_id=received.document_id,
                    held_since=existing.claimed_at.isoformat(),
                )
            elif keep and not await receipts.claim(claim):
                return self._busy(received)  # claimed by another request meanwhile
            if refused is not None:
                result = Outcome.rejected(refused).result(received.document_id, received.kind)
                if keep:
                    await self._finish(receipts, claim, result)
                    await uow.commit()
                return result

            assert received.document is not None  # decoded: no refusal
            wanted = needs(received.document)
            sightings: dict[str, list[Sighting]] = {}
            for made, status, document_id in await receipts.creators(employee, wanted):
                seen = Status.DEFERRED if status == IN_PROGRESS else Status(status)
                sightings.setdefault(made, []).append(Sighting(seen, document_id))
            for made, seen_here in batch.ledger.seen.items():
                if made in wanted:
                    sightings.setdefault(made, []).extend(seen_here)
            verdict = judge_prerequisites(wanted, sightings)
            if not verdict.send:
                outcome = (
                    Outcome.rejected(prerequisite_problem(verdict))
                    if verdict.status is Status.REJECTED
                    else Outcome.deferred(prerequisite_problem(verdict))
                )
                result = outcome.result(received.document_id, received.kind)
                if outcome.status.final:
                    await self._finish(receipts, claim, result)
                    await uow.commit()
                return result  # deferred: the claim is rolled back with the transaction
            await uow.commit()

        try:
            outcome = await self._dispatch(received, batch.uploader.token)
        except BaseException:
            await asyncio.shield(self._release(claim))
            raise
        outcome = invoice_on_its_way(received.document, outcome, sightings)
        result = outcome.result(received.document_id, received.kind)
        async with self._uow() as uow:
            receipts = Receipts(uow.session)
            if outcome.status.final:
                await self._finish(receipts, claim, result)
            else:
                await receipts.release(employee, received.document_id, claim.claim_id)
            await uow.commit()
        if outcome.token_expired:
            batch.token_expired = True
            batch.stopped = outcome.problem
        return result

    def _answered(
        self, existing: Receipt, received: Received, now: datetime
    ) -> DocumentResult | None:
        """What a document with a receipt is answered; None when the receipt is a stale
        claim to take over."""
        if existing.digest != received.digest:
            where = f"{received.where}.documentId"
            return Outcome.rejected(
                problem(
                    "document-id-reused",
                    f"{where}: {received.document_id} was sent before with other content; "
                    "a changed document needs a new documentId",
                    field=where,
                )
            ).result(received.document_id, received.kind)
        if not existing.in_progress:
            if existing.answer is None:  # pragma: no cover - a final receipt keeps its answer
                raise RuntimeError(f"receipt of {existing.document_id} holds no answer")
            return duplicate_of(_RESULT.decode(existing.answer))
        if existing.claimed_at > now - self._policy.claim_stale:
            return self._busy(received)
        return None

    @staticmethod
    def _busy(received: Received) -> DocumentResult:
        return Outcome.deferred(
            problem("busy", f"document {received.document_id} is being handled by another request")
        ).result(received.document_id, received.kind)

    @staticmethod
    async def _finish(receipts: Receipts, claim: Claim, result: DocumentResult) -> None:
        done = await receipts.finish(
            claim.employee_id,
            claim.document_id,
            claim.claim_id,
            result.status,
            msgspec.json.encode(result),
        )
        if not done:  # taken over meanwhile: the new holder's call gets the same answer
            log.warning("upload claim lost before its answer was kept", document=claim.document_id)

    async def _release(self, claim: Claim) -> None:
        try:
            async with self._uow() as uow:
                await Receipts(uow.session).release(
                    claim.employee_id, claim.document_id, claim.claim_id
                )
                await uow.commit()
        except Exception:  # the claim goes stale and is taken over by the retry
            log.exception("upload claim not released", document_id=claim.document_id)
