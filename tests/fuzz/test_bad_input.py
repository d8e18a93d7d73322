"""Bad input everywhere: every RPC of every service, called over gRPC with generated requests.

For each method of each service (walked from the proto descriptors), hypothesis generates
request messages field by field (`messages.requests`) and draws whom to call as among the
principals the method's access rule admits (`System.admitted`: mostly the most privileged, so
the input is judged rather than the caller), and the test asserts, per call:

- the status is never INTERNAL or UNKNOWN (a bug, not an answer);
- INVALID_ARGUMENT and NOT_FOUND name the field first (`<field path>: …`), the path starting
  with a field of the request;
- UNAUTHENTICATED only for a credential in the body (settlements' `actor_token`), naming that
  field: the call's own token is always valid;
- PERMISSION_DENIED never from the door (the principal holds a role the rule admits): it is
  the scope's or the domain's refusal, which names the field it is about or, for who may act
  (e.g. "employee … needs one of the roles …"), the employee; not required to name a field;
- on any error nothing was written, in any service (`System.digests`: every row of every
  table, the system quiet before the call) and nothing was published (the streams' heads).

FIELDLINE_FUZZ_EXAMPLES sets the examples per RPC (default 12, for a run of ~1 min on SQLite;
e.g. 1000 for a long run); FIELDLINE_FUZZ_SHRINK=0 reports failures as found, unshrunk (a long
run that finds several spends no hours shrinking them). `--hypothesis-show-statistics` shows
what the calls answered, per RPC.
"""

from __future__ import annotations

import os
import re
from typing import Any, ClassVar

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from .conftest import SERVICES, Principal, System
from .messages import requests

pytestmark = [
    pytest.mark.integration,
    # The requests hold 100 kB texts on purpose; hypothesis warns when it shows one.
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]

EXAMPLES = int(os.environ.get("FIELDLINE_FUZZ_EXAMPLES", "12"))
SHRINK = os.environ.get("FIELDLINE_FUZZ_SHRINK", "1") != "0"

RPCS = [
    pytest.param(service, method, id=f"{method.containing_service.name}.{method.name}")
    for service, descriptors in SERVICES.items()
    for descriptor in descriptors
    for method in descriptor.methods
]
NEVER = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
# UNAUTHENTICATED: the call's token is valid, so only a body credential can be refused.
NAME_A_FIELD = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.UNAUTHENTICATED,
}
# The kit's refusal at the door (no rule, no admitted role): never, for an admitted principal.
DOOR = ("has no role admitted to", "has no access rule")
# `lines[3].quantity: …`, `card.custom_attributes[fridge]: …`
FIELD_PATH = re.compile(r"([a-z][a-z0-9_]*)(\[[^\n]*?\])?(\.[a-z][a-z0-9_]*(\[[^\n]*?\])?)*: ")

# The same examples on every run (derandomize): CI stays deterministic, and a failure it
# finds is found again on a developer's machine. FIELDLINE_FUZZ_EXAMPLES explores further.
# too_slow and data_too_large: the examples hold 100 kB texts and lists of thousands of items
# on purpose.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate, *([Phase.shrink] if SHRINK else [])],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _path(method: MethodDescriptor) -> str:
    return f"/{method.containing_service.full_name}/{method.name}"


def _call(system: System, service: str, method: MethodDescriptor, principal: Principal) -> Any:
    response_class = message_factory.GetMessageClass(method.output_type)
    return system.channel(service, principal).unary_unary(
        _path(method),
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_class.FromString,
    )


class State:
    """Whether the system may have changed since the digests were taken (one for the module:
    hypothesis runs each example in the test's own call, so the state lives on the class)."""

    dirty: ClassVar[bool] = True
    digests: ClassVar[dict[str, dict[str, str]]] = {}
    heads: ClassVar[dict[str, int]] = {}


@pytest.mark.parametrize(("service", "method"), RPCS)
@FUZZ
@given(data=st.data())
async def test_bad_input(
    system: System, service: str, method: MethodDescriptor, data: st.DataObject
) -> None:
    request_class = message_factory.GetMessageClass(method.input_type)
    request = data.draw(requests(request_class, system.known), label="request")
    admitted = system.admitted(service, _path(method))
    assert admitted, f"no seeded principal is admitted to {method.name}"
    principal = data.draw(st.one_of(st.just(admitted[0]), st.sampled_from(admitted)), label="as")
    if State.dirty:
        await system.settle()
        State.digests = await system.digests()
        State.heads = await system.stream_heads()
        State.dirty = False
    try:
        await _call(system, service, method, principal)(request, timeout=60)
    except grpc.aio.AioRpcError as err:
        code, details = err.code(), err.details() or ""
    else:
        event(f"as {principal.name}: OK")
        State.dirty = True  # it may have written, and the consumers may act on its events
        return
    event(f"as {principal.name}: {code.name} {details.split(':', 1)[0][:40]}")
    assert code not in NEVER, f"{method.name} answered {code.name}: {details[:500]}"
    if code == grpc.StatusCode.PERMISSION_DENIED:
        assert not any(door in details for door in DOOR), (
            f"{method.name} refused {principal.name}, whom its rule admits: {details[:500]}"
        )
    if code in NAME_A_FIELD:
        match = FIELD_PATH.match(details)
        assert match is not None, f"{method.name} {code.name} names no field: {details[:500]}"
        assert match.group(1) in request_class.DESCRIPTOR.fields_by_name, (
            f"{method.name} {code.name} names {match.group(1)!r}, not a field of the request: "
            f"{details[:500]}"
        )
    after = await system.digests()
    written = [
        f"{service}.{table}"
        for service, tables in after.items()
        for table, digest in tables.items()
        if digest != State.digests[service].get(table)
    ]
    State.dirty = State.dirty or bool(written)
    assert not written, (
        f"{method.name} answered {code.name} yet wrote to {written}: {details[:300]}"
    )
    heads = await system.stream_heads()
    State.dirty = State.dirty or heads != State.heads
    assert heads == State.heads, f"{method.name} answered {code.name} yet published: {heads}"
