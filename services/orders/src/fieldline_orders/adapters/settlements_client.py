"""The debt-policy check: settlements' CheckCredit over gRPC, with a deadline and a fallback.

* Every call carries the deadline `ORDERS_CREDIT_CHECK_TIMEOUT_SECONDS`.
* UNAVAILABLE or DEADLINE_EXCEEDED (settlements down, unreachable or too slow) → the fallback
  `ORDERS_CREDIT_CHECK_FALLBACK`: `block` (default, fail closed) → BLOCK with the reason
  "settlements unavailable"; `allow` → WARN with that reason. Either way `fallback = True`.
* Any other error is not a decision: INVALID_ARGUMENT is raised as InvalidArgument (the
  request was wrong), anything else as Unavailable, so the caller's RPC fails and nothing is
  written.
* The channel reconnects about every second while settlements is down and pings an idle
  connection (`CHANNEL_OPTIONS`); calls never wait for it to be ready (gRPC's
  wait_for_ready=False), so while it is down they fail at once into the fallback.
* Calls are spread over every address the target resolves to (gRPC's round_robin policy: a
  headless Service's pods, or `ipv4:a:p,b:p`), skipping the ones that are down or report
  NOT_SERVING (client-side health checking: a replica starting or draining gets no new call);
  with one address it behaves as gRPC's default (pick_first) does, but for the health check
  (docs/operations/scaling.md).
* TLS: `credentials` (the kit's `tls.channel_credentials`: ORDERS_TLS_CA_FILE, or the
  system's roots when orders serves TLS itself), else plaintext. A TLS handshake that fails
  (settlements' certificate not trusted, or not naming the target's host; or plaintext to a
  TLS-only port) is UNAVAILABLE, i.e. the fallback, as any outage.
* Tokens (settlements checks them; docs/contexts/orders.md, *Identity*): a single check
  (`check`, a van sale) and a release go as the user the request names — its bearer token
  (`CreditRequest.actor_token`) as the call's `authorization`, i.e. the caller's token
  forwarded; without a user, as orders itself. A `CheckCreditBatch` (SubmitOrder's batches,
  the credit re-check) goes as orders itself (`service_token`: svc:orders, role SERVICE, the
  only role settlements admits to it), each check carrying its own user's token in
  `actor_token` (settlements takes who may override from there; none for the re-check). The
  body's `actor_id`/`actor_roles` are no longer sent. Tokens are never logged.
* Each call has a fresh request_id (the checks of a CheckCreditBatch none, so settlements
  stores no response for them): CheckCredit is idempotent per order id anyway (checking the
  same order again replaces its reservation), and a re-check of a held order (after a
  payment, or with an override) must be judged again, not answered from a stored response.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

import grpc

from fieldline.settlements.v1 import resources_pb2 as spb
from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline.settlements.v1 import settlements_service_pb2_grpc as ss_grpc
from fieldline_kit.auth.grpc_auth import AUTHORIZATION
from fieldline_kit.clock import Clock, utcnow
from fieldline_kit.errors import (
    DomainError,
    InvalidArgument,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from fieldline_kit.grpc.channels import PEER_CHANNEL_OPTIONS
from fieldline_kit.grpc.convert import money, pb_date
from fieldline_kit.grpc.tls import open_channel
from fieldline_kit.logging import get_logger
from fieldline_orders.domain.orders import (
    CreditDecision,
    CreditOutcome,
    CreditRequest,
    Stage,
    fallback_mode,
)

log = get_logger("fieldline.orders.credit")

STAGES = {Stage.ORDER_SUBMIT: spb.STAGE_ORDER_SUBMIT, Stage.VAN_SALE: spb.STAGE_VAN_SALE}
OUTCOMES = {
    ss.CREDIT_OUTCOME_ALLOW: CreditOutcome.ALLOW,
    ss.CREDIT_OUTCOME_WARN: CreditOutcome.WARN,
    ss.CREDIT_OUTCOME_BLOCK: CreditOutcome.BLOCK,
    ss.CREDIT_OUTCOME_OVERRIDDEN: CreditOutcome.OVERRIDDEN,
}
FALLBACK_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
# A CheckCreditBatch refused as a whole: orders' own token was not accepted (configuration).
REFUSED_IDENTITY = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)

# The channel to settlements: quick reconnection, keepalive, round_robin over the replicas with
# client-side health checking (fieldline_kit.grpc.channels says why). wait_for_ready stays False:
# a call on a channel that is down fails at once with UNAVAILABLE, i.e. the fallback.
CHANNEL_OPTIONS = PEER_CHANNEL_OPTIONS


def _reason_text(reason: ss.CreditReason) -> str:
    if reason.message:
        return str(reason.message)
    name = ss.CreditReasonCode.Name(reason.code)
    return str(name.removeprefix("CREDIT_REASON_CODE_").lower())


Metadata = tuple[tuple[str, str], ...]


def _bearer(token: str) -> Metadata:
    return ((AUTHORIZATION, f"Bearer {token}"),)


def _message(request: CreditRequest, *, in_batch: bool = False) -> ss.CheckCreditRequest:
    """A check; in a batch without a request_id and with its user's token in the body (a
    single check's user is the call's own token)."""
    return ss.CheckCreditRequest(
        request_id="" if in_batch else str(uuid.uuid4()),
        order_id=request.order_id,
        client_id=request.client_id,
        amount=money(request.amount, request.currency_code),
        stage=STAGES[request.stage],
        override_reason=request.override_reason,
        as_of=pb_date(request.as_of),
        actor_token=request.actor_token if in_batch else "",
    )


def _decision(
    request: CreditRequest, reply: ss.CheckCreditResponse, decided_at: datetime
) -> CreditDecision:
    outcome = OUTCOMES.get(reply.outcome)
    if outcome is None:
        raise Unavailable(f"settlements CheckCredit answered outcome {reply.outcome}")
    overridden = outcome is CreditOutcome.OVERRIDDEN
    return CreditDecision(
        outcome=outcome,
        reasons=tuple(_reason_text(r) for r in reply.reasons),
        fallback=False,
        override_by=request.actor_id if overridden else "",
        override_reason=request.override_reason if overridden else "",
        decided_at=decided_at,
    )


def _refusal(code: str, details: str) -> DomainError:
    """Settlements refused a check: not a decision. INVALID_ARGUMENT means the request was
    wrong, UNAUTHENTICATED or PERMISSION_DENIED that the user's token was refused; anything
    else fails the caller's RPC as Unavailable (nothing is written)."""
    if code == grpc.StatusCode.INVALID_ARGUMENT.name:
        return InvalidArgument("credit check", details or "refused")
    if code == grpc.StatusCode.UNAUTHENTICATED.name:
        return Unauthenticated(f"credit check: settlements refused the token: {details}")
    if code == grpc.StatusCode.PERMISSION_DENIED.name:
        return PermissionDenied(f"credit check: {details or 'refused by settlements'}")
    return Unavailable(f"settlements CheckCredit failed: {code}")


class GrpcCreditChecker:
    def __init__(
        self,
        target: str,
        *,
        timeout: float,
        fallback: str = "block",
        clock: Clock = utcnow,
        service_token: Callable[[], str] | None = None,
        credentials: grpc.ChannelCredentials | None = None,
    ) -> None:
        self.target = target
        # The channel's TLS (fieldline_kit.grpc.tls.channel_credentials); None: plaintext.
        self.credentials = credentials
        # Orders' own token (adapters/service_identity.py); None: orders has no identity.
        self.service_token = service_token
        self.clock = clock  # when a decision was made
        self.timeout = timeout
        self.fallback = fallback_mode(fallback)
        self._channel: grpc.aio.Channel | None = None
        self._stub: ss_grpc.SettlementsServiceStub | None = None
        # Called when settlements answers again after calls fell back (the credit re-check
        # stops waiting); `_unreachable`: the last call fell back.
        self.on_recovery: list[Callable[[], None]] = []
        self._unreachable = False

    def _client(self) -> ss_grpc.SettlementsServiceStub:
        if self._stub is None:
            self._channel = open_channel(self.target, self.credentials, CHANNEL_OPTIONS)
            self._stub = ss_grpc.SettlementsServiceStub(self._channel)
        return self._stub

    def _as_service(self) -> Metadata:
        """Orders' own `authorization` (none without a service identity: auth is off)."""
        return _bearer(self.service_token()) if self.service_token is not None else ()

    def _as_user(self, token: str) -> Metadata:
        """The user's `authorization` (their token forwarded), else orders' own."""
        return _bearer(token) if token else self._as_service()

    async def check(self, request: CreditRequest) -> CreditDecision:
        try:
            reply = await self._client().CheckCredit(
                _message(request),
                timeout=self.timeout,
                metadata=self._as_user(request.actor_token),
            )
        except grpc.aio.AioRpcError as exc:
            return self._fallback_or_raise(exc, [request.order_id])
        self._answered()
        return _decision(request, reply, self.clock())

    async def check_many(
        self, requests: Sequence[CreditRequest]
    ) -> list[CreditDecision | DomainError]:
        """Several checks in one CheckCreditBatch call (judged in order, one transaction).

        A fallback (settlements unavailable or too slow) applies to every check of the call;
        a check settlements refused gets its own error, the others their decisions.
        """
        if not requests:
            return []
        # No request_ids: nothing for settlements to store (see the module docstring).
        batch = ss.CheckCreditBatchRequest(checks=[_message(r, in_batch=True) for r in requests])
        try:
            reply = await self._client().CheckCreditBatch(
                batch, timeout=self.timeout, metadata=self._as_service()
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in REFUSED_IDENTITY:
                log.error(
                    "settlements refused orders' service token: is the key of "
                    "ORDERS_SERVICE_SIGNING_KEY in its JWKS, its issuer in its AUTH_ISSUERS?",
                    code=exc.code().name,
                    details=exc.details() or "",
                )
                raise Unavailable("settlements refused this service's identity") from None
            decision = self._fallback_or_raise(exc, [r.order_id for r in requests])
            return [decision] * len(requests)
        self._answered()
        if len(reply.results) != len(requests):
            raise Unavailable(
                f"settlements CheckCreditBatch answered {len(reply.results)} results "
                f"for {len(requests)} checks"
            )
        out: list[CreditDecision | DomainError] = []
        now = self.clock()
        for request, result in zip(requests, reply.results, strict=True):
            if result.HasField("decision"):
                try:
                    out.append(_decision(request, result.decision, now))
                except Unavailable as exc:
                    out.append(exc)
            else:
                out.append(_refusal(result.error.code, result.error.message))
        return out

    async def release(self, order_id: str, actor_token: str = "") -> bool:
        """Drop the reservation of an order that will not be placed, as the user of
        `actor_token` (who checked it), else as orders. Best effort: on failure it is logged
        and the reservation expires by itself (SETTLEMENTS_RESERVATION_HOURS)."""
        try:
            reply = await self._client().ReleaseCredit(
                ss.ReleaseCreditRequest(request_id=str(uuid.uuid4()), order_id=order_id),
                timeout=self.timeout,
                metadata=self._as_user(actor_token),
            )
        except grpc.aio.AioRpcError as exc:
            log.warning(
                "credit reservation not released; it will expire",
                order_id=order_id,
                code=exc.code().name,
            )
            return False
        return bool(reply.released)

    def _fallback_or_raise(self, exc: grpc.aio.AioRpcError, order_ids: list[str]) -> CreditDecision:
        code = exc.code()
        if code in FALLBACK_CODES:
            self._unreachable = True
            log.warning(
                "credit check fell back",
                order_ids=order_ids,
                code=code.name,
                fallback=self.fallback,
            )
            return CreditDecision.fallback_for(self.fallback, self.clock())
        raise _refusal(code.name, exc.details() or "") from None

    def _answered(self) -> None:
        """Settlements answered a call: after fallbacks, tell `on_recovery`."""
        if self._unreachable:
            self._unreachable = False
            log.info("settlements answers again", target=self.target)
            for callback in self.on_recovery:
                callback()

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
            self._stub = None
