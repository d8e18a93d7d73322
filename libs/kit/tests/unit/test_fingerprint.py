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
