"""A request's fingerprint tells a retry from another request; a credential the body carries
(a user's token, re-minted for a retry) is not part of what it asks."""

from __future__ import annotations

from fieldline.settlements.v1 import settlements_service_pb2 as ss
from fieldline_kit.idempotency import fingerprint


def test_the_actor_token_is_left_out_of_the_fingerprint_and_the_rest_is_not() -> None:
    check = ss.CheckCreditRequest(request_id="r", order_id="o", client_id="c", actor_token="t1")
    retry = ss.CheckCreditRequest(request_id="r", order_id="o", client_id="c", actor_token="t2")
    other = ss.CheckCreditRequest(request_id="r", order_id="o2", client_id="c", actor_token="t1")
    assert fingerprint(check) == fingerprint(retry) != fingerprint(other)
    assert check.actor_token == "t1"  # the request itself is left as it came
    without = ss.CheckCreditRequest(request_id="r", order_id="o", client_id="c")
    assert fingerprint(without) == fingerprint(check)


def test_a_stored_answer_is_its_callers() -> None:
    """The same request_id and body from another caller is another request (refused when
    replayed, never answered with the first caller's response); the same caller with a new
    token (same subject) is a retry."""
    from fieldline_kit.auth import Kind, Principal
    from fieldline_kit.auth.principal import authenticated
    from fieldline_kit.idempotency import IdempotentCall

    request = ss.RecordPaymentRequest(request_id="6f1c1a52-6a57-4c1e-9d4c-0a0a0a0a0a0a")
    agent = Principal(Kind.EMPLOYEE, "e-1", frozenset({"AGENT"}), token_id="j1")
    same_agent_new_token = Principal(Kind.EMPLOYEE, "e-1", frozenset({"AGENT"}), token_id="j2")
    other = Principal(Kind.EMPLOYEE, "e-2", frozenset({"AGENT"}))
    for_e1 = Principal(Kind.SERVICE, "svc:gateway", frozenset({"SERVICE"}), acting_for="e-1")
    for_e2 = Principal(Kind.SERVICE, "svc:gateway", frozenset({"SERVICE"}), acting_for="e-2")
    calls = {}
    for name, principal in [
        ("agent", agent),
        ("retry", same_agent_new_token),
        ("other", other),
        ("for_e1", for_e1),
        ("for_e2", for_e2),
    ]:
        with authenticated(principal):
            calls[name] = IdempotentCall.of("RecordPayment", request)
    assert calls["agent"] == calls["retry"]
    digests = {calls[n].digest for n in ("agent", "other", "for_e1", "for_e2")}
    assert len(digests) == 4 and len({c.key for c in calls.values()}) == 1
    # Without a principal (a server without auth), the body alone.
    assert IdempotentCall.of("RecordPayment", request).digest == fingerprint(request)
