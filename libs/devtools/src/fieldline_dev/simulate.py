"""The device simulator: agents' days played against the device gateway over HTTP, as the app
would play them (docs/sync-protocol.md).

For each agent: a supervisor's activation code (the management API, with the local system's
administrator token), activation, the first (full) sync; then per day: the morning delta, the
day's visits — the synced visit plan's outlets in its order, then (when the plan holds fewer
than `visits_per_day`) other active outlets of the route as unplanned visits — each one a check
in, an audit (its photo answers taken as photos and uploaded after the documents), an order (a
van sale for a van seller, from the van's synced stock), a payment against an open invoice, a
check out; each visit is uploaded as one batch as it ends, and the day closes with the
end-of-day delta, repeated for up to `catch_up` seconds until the device's own orders of the
day are in its bundle (they reach the sync store through the services' events).

The device keeps to the protocol's rules: the business day and time zone are the gateway's
(`GET /v1/meta`), the access token is refreshed before it runs out and once on a 401, a
network error, 429 or 5xx is retried with backoff (honouring `Retry-After`), a sync is applied
page by page in one step (a full answer replaces the store, a delta drops removed and reset
scopes first), an expired page token restarts the sync from its cursor, an unknown cursor
drops it, upload results are per document (final ones leave the queue, `deferred` ones stay
at its head and are sent again unchanged, `tokenExpired` refreshes first), a photo is
declared, sent in chunks from the offset the server gives, and resumed after a failure from
`HEAD`'s offset.

`./fl simulate` runs it against a running `./fl up` (add `--load-demo` to load a small demo
company sized for the agents first); the e2e and load tests call `simulate()` (with
`record=True` to keep every document, its final answer and every sync's entries).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import struct
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

ACCESS_MARGIN = timedelta(minutes=2)  # refresh before a request when less is left
MAX_SYNC_PAGES = 1000
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
WORKDAY_START = clock_time(9, 0)  # the first visit of a day, local time
VISIT_SPACING = timedelta(minutes=40)  # between the starts of two visits
LATEST_VISIT = timedelta(minutes=30)  # the last visit starts at least this long before now
CHUNK_MEDIA_TYPE = "application/offset+octet-stream"
OFFSET_HEADER = "Upload-Offset"
# Statuses an upload result may end with (docs/sync-protocol.md, *Uploads*), and the
# simulator's own for a document the queue gave up on before the gateway answered it.
FINAL_STATUSES = frozenset({"accepted", "acceptedWithWarning", "duplicate", "rejected"})
UNSENT = "unsent"


def _now() -> datetime:
    return datetime.now(UTC)


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _new_id() -> str:
    return str(uuid.uuid4())


def _code(reply: httpx.Response) -> str:
    """The problem code of an error answer ("" when it is not a problem document)."""
    try:
        body = reply.json()
    except ValueError:
        return ""
    return str(body.get("code", "")) if isinstance(body, dict) else ""


@dataclass(frozen=True)
class Agent:
    """Who a simulated device belongs to, and the supervisor who issues its code."""

    employee_id: str
    supervisor_id: str
    van_seller: bool = False


@dataclass(frozen=True)
class RetryPolicy:
    """docs/sync-protocol.md, *Retries*: exponential backoff with full jitter from `backoff`
    seconds, doubling, at most `max_backoff`; `attempts` tries of one request (a network error,
    429, 500, 502, 503, 504), `deferred_rounds` sendings of documents answered `deferred`."""

    attempts: int = 6
    backoff: float = 1.0
    max_backoff: float = 300.0
    deferred_rounds: int = 6

    def pause(self, attempt: int, retry_after: str | None, rng: random.Random) -> float:
        if retry_after:
            try:  # plus a little jitter: devices told the same wait do not return together
                return max(0.0, float(retry_after)) + rng.uniform(0, self.backoff)
            except ValueError:
                pass
        return rng.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))


@dataclass
class SyncReport:
    mode: str
    pages: int
    items: int
    removed_scopes: int
    bytes: int
    seconds: float
    reset: bool = False
    # With `record`: every entry of every page, by section, as received.
    entries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class Photo:
    """A photo the device took, to send after its document."""

    photo_id: str
    data: bytes
    content_type: str
    kind: str
    document_id: str
    captured_at: datetime
    location: dict[str, Any] | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Visit:
    """One visit's documents in the order they happened, and the photos taken during it."""

    outlet_id: str
    documents: list[dict[str, Any]]
    photos: list[Photo] = field(default_factory=list)


@dataclass
class DeviceReport:
    agent: Agent
    device_id: str = ""
    syncs: list[SyncReport] = field(default_factory=list)
    # (kind, status) → documents, by each document's final answer (UNSENT: given up on)
    results: Counter[tuple[str, str]] = field(default_factory=Counter)
    # `deferred` answers received on the way (each sent again); with `record`, the answers
    deferrals: int = 0
    deferred: list[dict[str, Any]] = field(default_factory=list)
    # requests sent again (a network error, 429, 5xx, an expired token): why
    retried: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    visits: int = 0
    batches: int = 0
    # photo status after sending → photos
    photos: Counter[str] = field(default_factory=Counter)
    # With `record`: every document sent with its final answer, in order, and the device's
    # store after the last sync ((section, key) → data).
    exchanges: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    store: dict[tuple[str, str], Any] = field(default_factory=dict)
    # The syncs that closed each day (the end-of-day delta, and its repeats while catching up).
    end_of_day: list[SyncReport] = field(default_factory=list)
    # Seconds from the first end-of-day sync until the day's own orders were in the bundle
    # (None: they were not within `catch_up`; `missing_orders` names them).
    catch_up_seconds: float | None = None
    missing_orders: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(n for (_kind, s), n in self.results.items() if s == status)


@dataclass
class Report:
    devices: list[DeviceReport]
    seconds: float

    def results(self) -> Counter[tuple[str, str]]:
        total: Counter[tuple[str, str]] = Counter()
        for d in self.devices:
            total.update(d.results)
        return total

    def lines(self) -> list[str]:
        totals = self.results()
        syncs = [s for d in self.devices for s in d.syncs]
        out = [
            f"{len(self.devices)} devices, {sum(d.visits for d in self.devices)} visits, "
            f"{sum(d.batches for d in self.devices)} upload batches in {self.seconds:.1f} s",
            "documents (kind: status × n):",
        ]
        for kind in sorted({k for k, _ in totals}):
            parts = ", ".join(f"{s} × {n}" for (k, s), n in sorted(totals.items()) if k == kind)
            out.append(f"  {kind:<14} {parts}")
        deferrals = sum(d.deferrals for d in self.devices)
        if deferrals:
            out.append(f"deferred answers sent again: {deferrals}")
        retried = Counter(r.split(": ", 1)[-1][:60] for d in self.devices for r in d.retried)
        if retried:
            out.append(
                "requests sent again: " + ", ".join(f"{r} × {n}" for r, n in retried.items())
            )
        photos: Counter[str] = Counter()
        for d in self.devices:
            photos.update(d.photos)
        if photos:
            out.append("photos: " + ", ".join(f"{s} × {n}" for s, n in sorted(photos.items())))
        for mode in ("full", "delta"):
            mine = [s for s in syncs if s.mode == mode]
            if mine:
                seconds = sorted(s.seconds for s in mine)
                out.append(
                    f"syncs {mode:<5} {len(mine):>4}: items {sum(s.items for s in mine):>7}, "
                    f"bytes {sum(s.bytes for s in mine):>10}, "
                    f"p50 {seconds[len(seconds) // 2] * 1000:.0f} ms"
                )
        caught = sorted(d.catch_up_seconds for d in self.devices if d.catch_up_seconds is not None)
        if caught:
            out.append(
                f"own orders in the end-of-day bundle after: p50 {caught[len(caught) // 2]:.1f} s, "
                f"max {caught[-1]:.1f} s"
            )
        problems = [p for d in self.devices for p in d.problems]
        problems += [
            f"{d.agent.employee_id[:8]}: orders not in the bundle: {', '.join(d.missing_orders)}"
            for d in self.devices
            if d.missing_orders
        ]
        if problems:
            out.append(f"problems ({len(problems)}):")
            out.extend(f"  {p}" for p in problems[:20])
        return out


async def exchange(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    policy: RetryPolicy,
    rng: random.Random,
    retried: list[str] | None = None,
    headers: Callable[[], dict[str, str]] = dict,
    before: Callable[[], Awaitable[None]] | None = None,
    retry_transport: bool = True,
    **kwargs: Any,
) -> httpx.Response:
    """One request as the protocol's *Retries* say: after a network error, 429, 500, 502,
    503 or 504 again after a pause (its `Retry-After` when given), up to `policy.attempts`
    tries; why each retry happened is added to `retried`. The last answer; DeviceError when
    none came. `headers()` and `before()` (a token refresh) run before every try."""
    failure = ""
    for attempt in range(policy.attempts):
        if before is not None:
            await before()
        retry_after: str | None = None
        try:
            reply = await http.request(method, path, headers=headers(), **kwargs)
        except httpx.TransportError as exc:
            if not retry_transport:
                raise
            failure = f"{type(exc).__name__}: {exc}"
        else:
            status = reply.status_code
            if not (status == 429 or status in TRANSIENT_STATUSES):
                return reply
            if attempt + 1 == policy.attempts:
                return reply
            failure = f"{status} {_code(reply)}: {_detail(reply)}"
            retry_after = reply.headers.get("Retry-After")
        if retried is not None:
            retried.append(f"{method} {path}: {failure}")
        await asyncio.sleep(policy.pause(attempt, retry_after, rng))
    raise DeviceError(f"{method} {path}: no answer after {policy.attempts} tries ({failure})")


def _detail(reply: httpx.Response) -> str:
    try:
        body = reply.json()
    except ValueError:
        return reply.text[:200]
    return str(body.get("detail", ""))[:200] if isinstance(body, dict) else ""


class DeviceError(Exception):
    """The gateway refused something the simulator cannot go on without."""


class Device:
    """One device of one agent: its tokens, its cursor and its local copy of the bundle."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        agent: Agent,
        app_version: str = "2.4.1",
        *,
        retry: RetryPolicy | None = None,
        record: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        self.http = http
        self.agent = agent
        self.app_version = app_version
        self.retry = retry or RetryPolicy()
        self.record = record
        self.rng = rng or random.Random()
        self.device_id = ""
        self.access = ""
        self.access_expires = _now()
        self.refresh_token = ""
        self.cursor: str | None = None
        # (section, key) → (scope, data)
        self.items: dict[tuple[str, str], tuple[str, Any]] = {}
        # The gateway's facts (GET /v1/meta), and the business day of the last sync.
        self.timezone = ZoneInfo("Europe/Moscow")
        self.business_date: date | None = None
        self.upload_limit = 100
        # `deferred` answers received (each document sent again): their number, and with
        # `record` the answers themselves.
        self.deferrals = 0
        self.deferred: list[dict[str, Any]] = []
        # Requests sent again (after a network error, 429, 5xx or a 401): why, each time.
        self.retried: list[str] = []

    # ------------------------------------------------------------------------ requests
    def _headers(self, auth: bool) -> dict[str, str]:
        headers = {"Fieldline-Protocol": "1.0", "Fieldline-App-Version": self.app_version}
        if auth:
            headers["Authorization"] = f"Bearer {self.access}"
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        auth: bool = True,
        retry: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request as the protocol's *Retries* say (`exchange`), and again once after a
        refresh on a 401 `token-expired`/`unauthenticated`. With `retry=False` a network
        error is the caller's (a photo chunk resumes from HEAD)."""

        def current() -> dict[str, str]:
            return {**self._headers(auth), **(headers or {})}

        for refreshed in (False, True):
            reply = await exchange(
                self.http,
                method,
                path,
                policy=self.retry,
                rng=self.rng,
                retried=self.retried,
                headers=current,
                before=self.fresh if auth else None,
                retry_transport=retry,
                **kwargs,
            )
            expired = reply.status_code == 401 and _code(reply) in (
                "token-expired",
                "unauthenticated",
            )
            if expired and auth and not refreshed and self.refresh_token:
                self.retried.append(f"{method} {path}: 401 {_code(reply)}")
                await self.refresh()
                continue
            return reply
        raise AssertionError("unreachable")  # pragma: no cover

    async def meta(self) -> dict[str, Any]:
        """`GET /v1/meta`: the business day, the time zone and the upload limit."""
        reply = await self.request("GET", "/v1/meta", auth=False)
        if reply.status_code != 200:
            raise DeviceError(f"meta: {reply.status_code} {reply.text[:300]}")
        body: dict[str, Any] = reply.json()
        self.timezone = ZoneInfo(body["timezone"])
        self.business_date = date.fromisoformat(body["businessDate"])
        self.upload_limit = int(body["limits"]["uploadDocuments"])
        return body

    # ------------------------------------------------------------------------ identity
    def _take_tokens(self, body: dict[str, Any]) -> None:
        self.device_id = body["deviceId"]
        self.access = body["accessToken"]
        self.access_expires = datetime.fromisoformat(body["accessTokenExpiresAt"])
        self.refresh_token = body["refreshToken"]

    async def activate(self, code: str) -> None:
        request = {
            "requestId": _new_id(),  # the same on every retry of this activation
            "activationCode": code,
            "device": {
                "platform": "android",
                "osVersion": "14",
                "model": "Fieldline Simulator",
                "appVersion": self.app_version,
                "installationId": _new_id(),
            },
        }
        reply = await self.request("POST", "/v1/device/activate", auth=False, json=request)
        if reply.status_code != 201:
            raise DeviceError(f"activation: {reply.status_code} {reply.text[:300]}")
        self._take_tokens(reply.json())

    async def refresh(self) -> None:
        """A new token pair (the same refresh token again on a retry: within the window the
        gateway answers it with a new pair)."""
        reply = await self.request(
            "POST",
            "/v1/device/token",
            auth=False,
            json={"deviceId": self.device_id, "refreshToken": self.refresh_token},
        )
        if reply.status_code != 200:
            raise DeviceError(f"refresh: {reply.status_code} {reply.text[:300]}")
        self._take_tokens(reply.json())

    async def fresh(self) -> None:
        """Refresh the access token when it has less than ACCESS_MARGIN left."""
        if self.access_expires - _now() <= ACCESS_MARGIN:
            await self.refresh()

    # ------------------------------------------------------------------------ sync
    async def sync(self) -> SyncReport:
        """One sync, every page, applied as the app applies it (docs/sync-protocol.md)."""
        started = time.perf_counter()
        for _attempt in range(3):
            pages: list[dict[str, Any]] = []
            size = 0
            token: str | None = None
            again = False
            for _ in range(MAX_SYNC_PAGES):
                params = {k: v for k, v in (("cursor", self.cursor), ("pageToken", token)) if v}
                reply = await self.request("GET", "/v1/sync", params=params)
                code = _code(reply) if reply.status_code != 200 else ""
                if code == "page-token-expired":  # again from the same cursor, no page token
                    again = True
                    break
                if code == "invalid-cursor":  # not one the server made: a full sync
                    self.cursor = None
                    again = True
                    break
                if reply.status_code != 200:
                    raise DeviceError(f"sync: {reply.status_code} {reply.text[:300]}")
                size += len(reply.content)
                page = reply.json()
                pages.append(page)
                token = page.get("nextPageToken")
                if not token:
                    break
            else:
                raise DeviceError(f"sync: more than {MAX_SYNC_PAGES} pages")
            if not again:
                break
        else:
            raise DeviceError("sync: restarted three times")
        return self._apply(pages, size, time.perf_counter() - started)

    def _apply(self, pages: list[dict[str, Any]], size: int, seconds: float) -> SyncReport:
        """All pages in one step: a full answer replaces the store; a delta drops the items
        of removed and reset scopes, then applies every entry in page order."""
        first = pages[0]
        scopes = first.get("scopes") or {}
        removed, reset = scopes.get("removed", []), scopes.get("reset", [])
        if first["mode"] == "full":
            self.items.clear()
        else:
            dropped = set(removed) | set(reset)
            self.items = {k: v for k, v in self.items.items() if v[0] not in dropped}
        items = 0
        entries: dict[str, list[dict[str, Any]]] = {}
        for page in pages:
            for section, listed in page["sections"].items():
                if self.record:
                    entries.setdefault(section, []).extend(listed)
                for entry in listed:
                    items += 1
                    if entry.get("deleted"):
                        self.items.pop((section, entry["key"]), None)
                    else:
                        self.items[(section, entry["key"])] = (entry["scope"], entry["data"])
        self.cursor = pages[-1]["nextCursor"]
        if first.get("businessDate"):
            self.business_date = date.fromisoformat(first["businessDate"])
        return SyncReport(
            mode=first["mode"],
            pages=len(pages),
            items=items,
            removed_scopes=len(removed),
            bytes=size,
            seconds=seconds,
            reset=bool(first.get("reset")),
            entries=entries,
        )

    def section(self, name: str) -> list[Any]:
        return [data for (section, _key), (_scope, data) in self.items.items() if section == name]

    # ------------------------------------------------------------------------ uploads
    async def send(self, documents: list[dict[str, Any]], batch_id: str = "") -> dict[str, Any]:
        """One batch, as sent (no queue): the gateway's answer."""
        batch = {"batchId": batch_id or _new_id(), "sentAt": _time(_now()), "documents": documents}
        reply = await self.request("POST", "/v1/uploads", json=batch)
        if reply.status_code != 200:
            raise DeviceError(f"upload: {reply.status_code} {reply.text[:300]}")
        answer: dict[str, Any] = reply.json()
        if answer.get("tokenExpired"):
            self.access_expires = _now()  # refreshed before the documents go again
        return answer

    async def upload(self, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The documents as the app's queue sends them: in order, at most the gateway's limit
        per batch; a final answer takes a document off the queue, a `deferred` one keeps it at
        the head, sent again unchanged after a pause (at once after a token refresh), up to
        `deferred_rounds` times. Each document's last answer, in order (status UNSENT for one
        the queue gave up on before the gateway answered it)."""
        answers: dict[str, dict[str, Any]] = {}
        queue = list(documents)
        rounds = 0
        while queue:
            batch = queue[: self.upload_limit]
            answer = await self.send(batch)
            kept = []
            for document, result in zip(batch, answer["results"], strict=True):
                answers[document["documentId"]] = result
                if result["status"] not in FINAL_STATUSES:
                    self.deferrals += 1
                    if self.record:
                        self.deferred.append(result)
                    kept.append(document)
            queue = kept + queue[len(batch) :]
            if not kept:
                continue
            if not answer.get("tokenExpired"):
                rounds += 1
                if rounds >= self.retry.deferred_rounds:
                    break
                await asyncio.sleep(self.retry.pause(rounds - 1, None, self.rng))
        return [
            answers.get(
                d["documentId"],
                {"documentId": d["documentId"], "kind": d["kind"], "status": UNSENT},
            )
            for d in documents
        ]

    # ------------------------------------------------------------------------ photos
    async def upload_photo(self, photo: Photo) -> str:
        """Declare the photo, then send its bytes in chunks from the server's offset; after a
        network failure `HEAD` tells where to resume. The photo's final status."""
        declaration: dict[str, Any] = {
            "photoId": photo.photo_id,
            "sha256": photo.sha256,
            "size": len(photo.data),
            "contentType": photo.content_type,
            "kind": photo.kind,
            "documentId": photo.document_id,
            "capturedAt": _time(photo.captured_at),
        }
        if photo.location is not None:
            declaration["location"] = photo.location
        reply = await self.request("POST", "/v1/photos", json=declaration)
        if reply.status_code not in (200, 201):
            raise DeviceError(f"photo {photo.photo_id}: {reply.status_code} {reply.text[:300]}")
        body = reply.json()
        if body["status"] == "complete":
            return "complete"
        offset, chunk = int(body["offset"]), int(body["chunkMaxBytes"])
        path = f"/v1/photos/{photo.photo_id}/content"
        for attempt in range(self.retry.attempts * 4):
            try:
                reply = await self.request(
                    "PATCH",
                    path,
                    retry=False,
                    content=photo.data[offset : offset + chunk],
                    headers={"Content-Type": CHUNK_MEDIA_TYPE, OFFSET_HEADER: str(offset)},
                )
            except httpx.TransportError:
                await asyncio.sleep(self.retry.pause(attempt, None, self.rng))
                head = await self.request("HEAD", path)
                if head.status_code != 200:
                    raise DeviceError(f"photo {photo.photo_id}: HEAD {head.status_code}") from None
                offset = int(head.headers[OFFSET_HEADER])
                continue
            if reply.status_code == 200:
                return str(reply.json()["status"])
            if reply.status_code == 204 or _code(reply) == "offset-mismatch":
                offset = int(reply.headers[OFFSET_HEADER])
                continue
            raise DeviceError(f"photo {photo.photo_id}: {reply.status_code} {reply.text[:300]}")
        raise DeviceError(f"photo {photo.photo_id}: not complete after {attempt + 1} chunks")


# ------------------------------------------------------------------------- the day's documents
def _location(outlet: dict[str, Any]) -> dict[str, Any] | None:
    where = outlet.get("card", {}).get("location")
    if not where:
        return None
    return {"lat": where["lat"], "lon": where["lon"], "accuracyM": 10}


def priced_products(device: Device, client_id: str) -> list[str]:
    """Products the client has a price for, as the bundle says (the server prices the order)."""
    terms = {t["clientId"]: t["priceTypeId"] for t in device.section("clientTerms")}
    lists = {
        p["id"] for p in device.section("priceLists") if p["priceTypeId"] == terms.get(client_id)
    }
    priced = sorted({p["productId"] for p in device.section("prices") if p["priceListId"] in lists})
    if priced:
        return priced
    return sorted(p["id"] for p in device.section("products") if p.get("active", True))


def png(rng: random.Random, side: int = 8) -> bytes:
    """A small PNG of random pixels: what the simulated camera takes (each one different)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    rows = b"".join(
        b"\x00" + bytes(rng.randrange(256) for _ in range(side * 3)) for _ in range(side)
    )
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def visit_documents(
    device: Device, day: date, outlet: dict[str, Any], at: datetime, rng: random.Random
) -> Visit:
    """One visit's documents, in the order they happen, and the photos taken."""
    visit_id, client_id, outlet_id = _new_id(), outlet["clientId"], outlet["id"]
    where = _location(outlet)
    visit = Visit(outlet_id, [])
    docs = visit.documents

    def doc(kind: str, minutes: int, **fields: Any) -> dict[str, Any]:
        created = _time(at + timedelta(minutes=minutes))
        document = {"kind": kind, "documentId": _new_id(), "createdAt": created, **fields}
        docs.append(document)
        return document

    check_in: dict[str, Any] = {"visitId": visit_id, "outletId": outlet_id, "date": day.isoformat()}
    check_in["time"] = _time(at)
    if where:
        check_in["location"] = where
    doc("visitCheckIn", 0, **check_in)
    questionnaires = sorted(device.section("questionnaires"), key=lambda q: q["id"])
    if questionnaires:
        q = rng.choice(questionnaires)
        audit = doc(
            "audit",
            5,
            auditId=_new_id(),
            visitId=visit_id,
            questionnaireId=q["id"],
            outletId=outlet_id,
            answers=[],
            mustStock=[
                {"sku": sku, "present": rng.random() < 0.8, "facings": rng.randint(0, 6)}
                for sku in q.get("mustStockSkus", [])
            ],
            competitorPrices=[],
        )
        for question in q.get("questions", []):
            if question.get("type") == "photo":
                photo = Photo(
                    photo_id=_new_id(),
                    data=png(rng),
                    content_type="image/png",
                    kind="audit",
                    document_id=audit["documentId"],
                    captured_at=at + timedelta(minutes=4),
                    location=where,
                )
                visit.photos.append(photo)
                audit["answers"].append({"questionId": question["id"], "photoId": photo.photo_id})
            else:
                answer = _answer(question, rng)
                if answer is not None:
                    audit["answers"].append(answer)
        if visit.photos:
            audit["photoIds"] = [p.photo_id for p in visit.photos]
    products = priced_products(device, client_id)
    lines = [
        {"productId": p, "quantity": str(rng.randint(1, 12))}
        for p in rng.sample(products, min(3, len(products)))
    ]
    vans = device.section("vans")
    sold = False
    if lines and device.agent.van_seller and vans:
        van_id = vans[0]["id"]
        stock = next((s for s in device.section("vanStock") if s["vanId"] == van_id), None)
        available = [
            line for line in (stock or {}).get("lines", []) if Decimal(line["quantity"]) >= 1
        ][:3]
        if available:
            doc(
                "vanSale",
                15,
                saleId=_new_id(),
                visitId=visit_id,
                vanId=van_id,
                clientId=client_id,
                outletId=outlet_id,
                date=day.isoformat(),
                lines=[{"productId": line["productId"], "quantity": "1"} for line in available],
            )
            for line in available:  # the van's local stock, until the next sync says
                line["quantity"] = str(Decimal(line["quantity"]) - 1)
            sold = True
    elif lines:
        doc(
            "order",
            15,
            orderId=_new_id(),
            visitId=visit_id,
            clientId=client_id,
            outletId=outlet_id,
            orderDate=day.isoformat(),
            deliveryDate=(day + timedelta(days=1)).isoformat(),
            lines=lines,
        )
        sold = True
    invoices = sorted(
        (i for i in device.section("invoices") if i["clientId"] == client_id),
        key=lambda i: (i.get("dueDate") or "", i["id"]),
    )
    if invoices and Decimal(invoices[0]["openAmount"]["amount"]) > 0:
        invoice = invoices[0]
        paid = min(Decimal(invoice["openAmount"]["amount"]), Decimal(rng.randint(100, 2000)))
        amount = {"amount": f"{paid:.2f}", "currency": invoice["openAmount"]["currency"]}
        doc(
            "payment",
            20,
            paymentId=_new_id(),
            visitId=visit_id,
            clientId=client_id,
            outletId=outlet_id,
            date=day.isoformat(),
            amount=amount,
            receiptNumber=f"SIM-{rng.randint(100000, 999999)}",
            allocations=[{"invoiceId": invoice["id"], "amount": amount}],
        )
    check_out: dict[str, Any] = {"visitId": visit_id, "time": _time(at + timedelta(minutes=25))}
    check_out["outcome"] = "orderTaken" if sold else "auditOnly"
    if where:
        check_out["location"] = where
    doc("visitCheckOut", 25, **check_out)
    return visit


def _answer(question: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    kind = question.get("type")
    base = {"questionId": question["id"]}
    if kind == "number":
        return {**base, "number": str(rng.randint(0, 20))}
    if kind == "money":
        return {**base, "money": {"amount": f"{rng.randint(30, 200)}.00", "currency": "RUB"}}
    if kind == "yesNo":
        return {**base, "yesNo": rng.random() < 0.7}
    if kind == "choice" and question.get("options"):
        return {**base, "choice": rng.choice(question["options"])}
    return None  # a type this simulator does not know: left out


def planned_outlets(device: Device, day: date, limit: int) -> list[dict[str, Any]]:
    """The day's visits: the synced plan's active outlets in its order, then — when the plan
    holds fewer than `limit` — other active outlets of the route (unplanned visits, by their
    place on the route); at most `limit`."""
    outlets = {o["id"]: o for o in device.section("outlets") if o.get("status") == "active"}
    plans = {p["date"]: p for p in device.section("visitPlans")}
    plan = plans.get(day.isoformat())
    ids: list[str] = []
    if plan is not None:
        ids = [v["outletId"] for v in sorted(plan["visits"], key=lambda v: v.get("sequence", 0))]
    places = {a["outletId"]: a.get("sequence", 0) for a in device.section("routeOutlets")}
    ids += sorted(set(outlets) - set(ids), key=lambda i: (places.get(i, 1 << 30), i))
    chosen: list[dict[str, Any]] = []
    for outlet_id in ids:
        if outlet_id in outlets and outlets[outlet_id] not in chosen:
            chosen.append(outlets[outlet_id])
    return chosen[:limit]


def visit_times(day: date, zone: ZoneInfo, count: int, now: datetime) -> list[datetime]:
    """When the day's visits start: from WORKDAY_START local time, VISIT_SPACING apart, and
    never later than the last one LATEST_VISIT before `now` (so today's documents are never
    dated ahead of the batch that sends them), each at least 30 minutes after the one before
    (a visit lasts 25)."""
    start = datetime.combine(day, WORKDAY_START, zone)
    return [min(start + n * VISIT_SPACING, now - LATEST_VISIT * (count - n)) for n in range(count)]


# ------------------------------------------------------------------------------- the run
def _own_orders(sent: Iterable[tuple[dict[str, Any], dict[str, Any]]]) -> set[str]:
    """The order and van-sale ids the device placed (accepted, with a warning or not)."""
    placed = set()
    for document, result in sent:
        status = result.get("originalStatus") or result["status"]
        if status in ("accepted", "acceptedWithWarning"):
            if document["kind"] == "order":
                placed.add(document["orderId"])
            elif document["kind"] == "vanSale":
                placed.add(document["saleId"])
    return placed


async def play(
    http: httpx.AsyncClient,
    agent: Agent,
    code: str,
    days: Sequence[date],
    *,
    visits_per_day: int,
    seed: int,
    on_visit: Callable[[], None] = lambda: None,
    record: bool = False,
    retry: RetryPolicy | None = None,
    catch_up: float = 30.0,
) -> DeviceReport:
    """One agent's device through `days`: activate, sync, visit, upload, sync."""
    report = DeviceReport(agent)
    rng = random.Random(f"{seed}/{agent.employee_id}")
    device = Device(http, agent, retry=retry, record=record, rng=random.Random(rng.random()))
    try:
        await device.meta()
        await device.activate(code)
        report.device_id = device.device_id
        report.syncs.append(await device.sync())
        for day in days:
            report.syncs.append(await device.sync())
            if day == device.business_date:
                # A store still being filled (a company loaded moments ago) has no plan for
                # the day yet, or no van: the app syncs again before the first visit.
                waited = time.monotonic()
                while lacking := _not_ready(device, day):
                    if time.monotonic() - waited > catch_up:
                        report.problems.append(f"{agent.employee_id[:8]}: no {lacking} for {day}")
                        break
                    await asyncio.sleep(1.0)
                    report.syncs.append(await device.sync())
            outlets = planned_outlets(device, day, visits_per_day)
            sent: list[tuple[dict[str, Any], dict[str, Any]]] = []
            for outlet, at in zip(
                outlets, visit_times(day, device.timezone, len(outlets), _now()), strict=True
            ):
                visit = visit_documents(device, day, outlet, at, rng)
                results = await device.upload(visit.documents)
                report.batches += 1
                report.visits += 1
                for document, result in zip(visit.documents, results, strict=True):
                    status = result.get("originalStatus") or result["status"]
                    report.results[(document["kind"], status)] += 1
                    if status in ("rejected", "deferred", UNSENT):
                        problem = result.get("problem") or {}
                        report.problems.append(
                            f"{agent.employee_id[:8]} {document['kind']}: {status} "
                            f"{problem.get('code', '')} {problem.get('detail', '')[:160]}"
                        )
                sent.extend(zip(visit.documents, results, strict=True))
                for photo in visit.photos:  # after their documents, as the protocol asks
                    report.photos[await device.upload_photo(photo)] += 1
                on_visit()
            if record:
                report.exchanges.extend(sent)
            await _end_of_day(device, report, _own_orders(sent), catch_up)
        if record:
            report.store = {key: data for key, (_scope, data) in device.items.items()}
    except (DeviceError, httpx.HTTPError) as exc:
        report.problems.append(f"{agent.employee_id[:8]}: {exc}")
    report.deferrals = device.deferrals
    report.deferred = device.deferred
    report.retried = device.retried
    return report


def _not_ready(device: Device, day: date) -> str:
    """What the day's work needs that the device's bundle lacks ("" when nothing): the day's
    visit plan, and a van seller's van with its stock."""
    if not any(p["date"] == day.isoformat() for p in device.section("visitPlans")):
        return "visit plan"
    if device.agent.van_seller and not (device.section("vans") and device.section("vanStock")):
        return "van"
    return ""


async def _end_of_day(
    device: Device, report: DeviceReport, placed: set[str], catch_up: float
) -> None:
    """The end-of-day delta, again (a second apart) until the day's own orders are in the
    bundle or `catch_up` seconds have passed (they reach the store through events)."""
    started = time.monotonic()
    while True:
        synced = await device.sync()
        report.syncs.append(synced)
        report.end_of_day.append(synced)
        missing = placed - {o["id"] for o in device.section("orders")}
        if not missing:
            report.catch_up_seconds = time.monotonic() - started
            report.missing_orders = []
            return
        if time.monotonic() - started > catch_up:
            report.catch_up_seconds = None
            report.missing_orders = sorted(missing)
            return
        await asyncio.sleep(1.0)


async def issue_code(
    http: httpx.AsyncClient,
    token: str,
    agent: Agent,
    *,
    retry: RetryPolicy | None = None,
    retried: list[str] | None = None,
) -> str:
    """A supervisor's (here an administrator's) activation code for the agent, with the
    protocol's retries; why any retry happened is added to `retried`."""
    reply = await exchange(
        http,
        "POST",
        "/v1/activation-codes",
        policy=retry or RetryPolicy(),
        rng=random.Random(),
        retried=retried,
        headers=lambda: {"Authorization": f"Bearer {token}"},
        json={"employeeId": agent.employee_id},
    )
    if reply.status_code != 201:
        raise DeviceError(f"activation code: {reply.status_code} {reply.text[:300]}")
    body = reply.json()
    # docs/sync-protocol.md names it `code`; the gateway answers `activationCode` today.
    return str(body["code"] if "code" in body else body["activationCode"])


async def business_date(http: httpx.AsyncClient) -> date:
    """The gateway's business day now (GET /v1/meta)."""
    reply = await http.get("/v1/meta")
    if reply.status_code != 200:
        raise DeviceError(f"meta: {reply.status_code} {reply.text[:300]}")
    return date.fromisoformat(reply.json()["businessDate"])


async def simulate(
    gateway: str,
    agents: Iterable[Agent],
    management_token: Callable[[], str],
    *,
    days: int = 1,
    concurrency: int = 4,
    visits_per_day: int = 10,
    seed: int = 1,
    today: date | None = None,
    on_visit: Callable[[], None] = lambda: None,
    record: bool = False,
    retry: RetryPolicy | None = None,
    catch_up: float = 30.0,
) -> Report:
    """Play `days` days (the last one `today`, by default the gateway's business day) for
    each agent, `concurrency` devices at once."""
    started = time.perf_counter()
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency * 2)
    async with httpx.AsyncClient(base_url=gateway, timeout=60, limits=limits) as http:
        last = today or await business_date(http)
        dates = [last - timedelta(days=days - 1 - i) for i in range(days)]

        async def one(agent: Agent) -> DeviceReport:
            async with gate:
                retried: list[str] = []
                try:
                    code = await issue_code(
                        http, management_token(), agent, retry=retry, retried=retried
                    )
                except (DeviceError, httpx.HTTPError) as exc:
                    return DeviceReport(
                        agent, retried=retried, problems=[f"{agent.employee_id[:8]}: {exc}"]
                    )
                report = await play(
                    http,
                    agent,
                    code,
                    dates,
                    visits_per_day=visits_per_day,
                    seed=seed,
                    on_visit=on_visit,
                    record=record,
                    retry=retry,
                    catch_up=catch_up,
                )
                report.retried[:0] = retried
                return report

        reports = await asyncio.gather(*(one(a) for a in agents))
    return Report(list(reports), time.perf_counter() - started)


# ------------------------------------------------------------------------------- ./fl simulate
def demo_agents(count: int, seed: int = 1, sizes: Any = None) -> list[Agent]:
    """The first `count` agents and van sellers of the demo company (`./fl up --demo`), each
    with its supervisor: whom the simulated devices belong to."""
    from fieldline.clients.v1 import resources_pb2 as pb
    from fieldline_dev.demo import DEMO_SIZES, generate

    company = generate(sizes or DEMO_SIZES, seed)
    field = [
        e
        for e in company.employees
        if (pb.ROLE_AGENT in e.roles or pb.ROLE_VAN_SELLER in e.roles) and e.supervisor_id
    ]
    if count > len(field):
        raise ValueError(f"the demo company has {len(field)} agents; asked for {count}")
    return [
        Agent(e.id, e.supervisor_id, van_seller=pb.ROLE_VAN_SELLER in e.roles)
        for e in field[:count]
    ]


def run_cli(args: Any) -> int:
    """`./fl simulate`: devices of the demo company's agents against a running `./fl up`."""
    from pathlib import Path

    from rich.progress import Progress

    from fieldline_dev.tokens import employee_token

    data_dir = Path(args.data_dir)
    if args.load_demo:
        from fieldline_dev.demo import Sizes
        from fieldline_dev.demo_sales import load_demo
        from fieldline_dev.tokens import local_issuer

        sizes = Sizes(
            agents=max(args.agents + 1, 2), outlets=(args.agents + 1) * 20, bench_outlets=20
        )
        issuer = local_issuer(data_dir)
        targets = {"clients": args.clients, "orders": args.orders, "settlements": args.settlements}
        print(f"loading a demo company of {sizes.agents} agents …", flush=True)
        asyncio.run(
            load_demo(
                targets,
                args.seed,
                sizes=sizes,
                token=issuer.source("simulator", "employee", ["ADMIN"]),
            )
        )
        agents = demo_agents(args.agents, args.seed, sizes)
    else:
        agents = demo_agents(args.agents, args.seed)

    def management() -> str:
        return employee_token(data_dir, "simulator", ["ADMIN"])

    total = len(agents) * args.days * args.visits_per_day
    with Progress() as progress:
        task = progress.add_task("visits", total=total)
        report = asyncio.run(
            simulate(
                args.gateway,
                agents,
                management,
                days=args.days,
                concurrency=args.concurrency,
                visits_per_day=args.visits_per_day,
                seed=args.seed,
                on_visit=lambda: progress.advance(task),
            )
        )
    for line in report.lines():
        print(line)
    failed = sum(1 for d in report.devices if not d.device_id)
    return 1 if failed else 0


def add_arguments(parser: Any, run_dir: str) -> None:
    parser.add_argument("--gateway", default="http://127.0.0.1:8000", help="the gateway's URL")
    parser.add_argument("--data-dir", default=run_dir, help="the data directory of ./fl up")
    parser.add_argument("--agents", type=int, default=5, help="devices (one per agent)")
    parser.add_argument("--days", type=int, default=1, help="days per device, the last today")
    parser.add_argument("--concurrency", type=int, default=4, help="devices at once")
    parser.add_argument("--visits-per-day", type=int, default=10, help="visits a day per device")
    parser.add_argument("--seed", type=int, default=1, help="the demo company's seed")
    parser.add_argument(
        "--load-demo",
        action="store_true",
        help="first load a small demo company sized for --agents (use another --seed than "
        "./fl up --demo's)",
    )
    parser.add_argument("--clients", default="127.0.0.1:50051", help="with --load-demo")
    parser.add_argument("--orders", default="127.0.0.1:50052", help="with --load-demo")
    parser.add_argument("--settlements", default="127.0.0.1:50053", help="with --load-demo")
