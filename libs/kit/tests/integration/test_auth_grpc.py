"""The auth check on a real grpc.aio server, its keys served over a real local HTTP JWKS.

Two servers ("front" and "back") run the same test service with the same policy; the front's
`Relay` calls the back's `Whoami` through a channel that forwards the caller's token.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
import pytest
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from fieldline.clients.v1 import resources_pb2
from fieldline_kit.auth import grpc_auth
from fieldline_kit.auth.forward import ForwardAuthorization
from fieldline_kit.auth.grpc_auth import STREAMS_REFUSED, GrpcAuth
from fieldline_kit.auth.issuer import TokenIssuer
from fieldline_kit.auth.jwks import JwksSource
from fieldline_kit.auth.keys import ES256, generate_signing_key
from fieldline_kit.auth.policy import Rule, Scope
from fieldline_kit.auth.principal import Kind, current_principal
from fieldline_kit.auth.verify import TokenVerifier, VerifiedTokens
from fieldline_kit.grpc.server import GrpcServer, create_server
from fieldline_kit.service import ServiceProcess
from fieldline_kit.settings import ServiceSettings, load_settings
from fieldline_kit.testing.auth import TEST_ISSUER, TestTokens

SERVICE = "test.Things"
Client = resources_pb2.Client
POLICY = {
    "Whoami": Rule({"agent", "admin"}, scope=Scope.OWN),
    "Relay": Rule({"agent"}),
    f"/{SERVICE}/Admin": Rule({"admin"}, scope=Scope.COMPANY, audit=True),
    "Watch": Rule({"agent"}),  # a rule, yet a stream is refused
}


# -- a JWKS over HTTP ---------------------------------------------------------------------------
@dataclass
class JwksServer:
    document: dict[str, Any]
    requests: list[str] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def jwks_http() -> Iterator[JwksServer]:
    state = JwksServer({"keys": []})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            body = json.dumps(state.document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/certs"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


# -- the test service ----------------------------------------------------------------------------
def principal_reply() -> Client:
    p = current_principal()
    logged = structlog.contextvars.get_contextvars()
    assert (logged["sub"], logged["kind"], logged["jti"]) == (p.subject, p.kind, p.token_id)
    return Client(id=p.subject, name=f"{p.kind}:{','.join(sorted(p.roles))}:{p.acting_for or ''}")


def register_things(peer: list[str]) -> Any:
    def register(server: grpc.aio.Server) -> list[str]:
        async def whoami(request: Client, context: grpc.aio.ServicerContext) -> Client:
            return principal_reply()

        async def relay(request: Client, context: grpc.aio.ServicerContext) -> Client:
            async with grpc.aio.insecure_channel(
                peer[0], interceptors=[ForwardAuthorization()]
            ) as ch:
                back: Client = await call(ch, "Whoami")(Client())
            return back

        async def watch(request: Client, context: grpc.aio.ServicerContext) -> Any:
            yield principal_reply()

        unary = {"Whoami": whoami, "Relay": relay, "Admin": whoami, "Secret": whoami}
        handlers: dict[str, grpc.RpcMethodHandler] = {
            name: grpc.unary_unary_rpc_method_handler(
                fn,
                request_deserializer=Client.FromString,
                response_serializer=Client.SerializeToString,
            )
            for name, fn in unary.items()
        }
        handlers["Watch"] = grpc.unary_stream_rpc_method_handler(
            watch,
            request_deserializer=Client.FromString,
            response_serializer=Client.SerializeToString,
        )
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
        return [SERVICE]

    return register


def call(channel: grpc.aio.Channel, method: str) -> grpc.aio.UnaryUnaryMultiCallable:
    return channel.unary_unary(
        f"/{SERVICE}/{method}",
        request_serializer=Client.SerializeToString,
        response_deserializer=Client.FromString,
    )


async def refused(call: Any, code: grpc.StatusCode, needle: str) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    details = err.value.details() or ""
    assert err.value.code() == code, f"{err.value.code().name}: {details}"
    assert needle in details, details
    return details


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Setup:
    tokens: TestTokens
    jwks: JwksServer
    clock: Clock
    front: grpc.aio.Channel
    back_port: int

    def bearer(self, subject: str = "e-1", roles: tuple[str, ...] = ("agent",), **kw: Any) -> Any:
        token = self.tokens.mint(subject, Kind.EMPLOYEE, roles, **kw)
        return (("authorization", f"Bearer {token}"),)


@pytest.fixture
async def setup(jwks_http: JwksServer) -> AsyncIterator[Setup]:
    tokens = TestTokens.generate()
    jwks_http.document = tokens.issuer.jwks()
    clock = Clock()

    def auth() -> GrpcAuth:
        source = JwksSource.at(jwks_http.url, allow_http=True, monotonic=clock)
        remembered = VerifiedTokens(clock=clock)  # on the same clock as the key set
        return GrpcAuth(TokenVerifier(source, [TEST_ISSUER], remembered=remembered), POLICY)

    peer: list[str] = []
    back: GrpcServer = await create_server("back", "127.0.0.1", 0, register_things([]), auth())
    peer.append(f"127.0.0.1:{back.port}")
    front: GrpcServer = await create_server("front", "127.0.0.1", 0, register_things(peer), auth())
    for server in (back, front):
        await server.start()
        await server.mark_serving()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{front.port}") as ch:
            yield Setup(tokens, jwks_http, clock, ch, back.port)
    finally:
        await front.stop(0)
        await back.stop(0)


# -- the tests ----------------------------------------------------------------------------------
async def test_health_and_reflection_are_open_without_a_token(setup: Setup) -> None:
    health = health_pb2_grpc.HealthStub(setup.front)
    reply = await health.Check(health_pb2.HealthCheckRequest(service=""))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    reflect = reflection_pb2_grpc.ServerReflectionStub(setup.front)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    answers = [a async for a in reflect.ServerReflectionInfo(iter([request]))]
    assert SERVICE in [s.name for s in answers[0].list_services_response.service]
    assert setup.jwks.requests == []  # nothing needed the keys


async def test_the_principal_is_visible_in_the_servicer(setup: Setup) -> None:
    reply = await call(setup.front, "Whoami")(Client(), metadata=setup.bearer("e-1", ("agent",)))
    assert (reply.id, reply.name) == ("e-1", "employee:agent:")
    admin = setup.bearer("e-9", ("admin",))
    assert (await call(setup.front, "Admin")(Client(), metadata=admin)).id == "e-9"
    assert len(setup.jwks.requests) == 1  # fetched once, then cached


async def test_no_or_a_bad_token_is_unauthenticated(setup: Setup) -> None:
    whoami = call(setup.front, "Whoami")
    UNAUTH = grpc.StatusCode.UNAUTHENTICATED
    await refused(whoami(Client()), UNAUTH, "no token")
    await refused(whoami(Client(), metadata=(("authorization", "Basic x"),)), UNAUTH, "Bearer")
    garbage = (("authorization", "Bearer not.a.token"),)
    await refused(whoami(Client(), metadata=garbage), UNAUTH, "malformed token")
    expired = setup.bearer(lifetime=-timedelta(minutes=5))
    details = await refused(whoami(Client(), metadata=expired), UNAUTH, "token expired")
    assert expired[0][1].split()[1] not in details
    other = TestTokens.generate().metadata("e-1", roles=["agent"])  # an issuer we don't know
    await refused(whoami(Client(), metadata=other), UNAUTH, "is unknown")


async def test_a_method_without_a_rule_or_a_role_not_admitted_is_denied(setup: Setup) -> None:
    DENIED = grpc.StatusCode.PERMISSION_DENIED
    with structlog.testing.capture_logs() as logs:
        await refused(
            call(setup.front, "Secret")(Client(), metadata=setup.bearer(roles=("admin",))),
            DENIED,
            f"/{SERVICE}/Secret has no access rule",
        )
    assert any(e["log_level"] == "error" and e.get("method") == f"/{SERVICE}/Secret" for e in logs)
    await refused(
        call(setup.front, "Admin")(Client(), metadata=setup.bearer(roles=("agent",))),
        DENIED,
        "employee 'e-1' has no role admitted",
    )
    await refused(
        call(setup.front, "Relay")(Client(), metadata=setup.bearer(roles=("admin",))),
        DENIED,
        "no role admitted",
    )


async def test_a_stream_is_refused_under_auth(setup: Setup) -> None:
    watch = setup.front.unary_stream(
        f"/{SERVICE}/Watch",
        request_serializer=Client.SerializeToString,
        response_deserializer=Client.FromString,
    )
    stream = watch(Client(), metadata=setup.bearer())
    with pytest.raises(grpc.aio.AioRpcError) as err:
        async for _ in stream:
            pass
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert err.value.details() == STREAMS_REFUSED


async def test_the_token_is_forwarded_to_the_next_service(setup: Setup) -> None:
    reply = await call(setup.front, "Relay")(Client(), metadata=setup.bearer("e-5", ("agent",)))
    assert (reply.id, reply.name) == ("e-5", "employee:agent:")  # the back saw the end user
    service = setup.tokens.mint("svc:orders", Kind.SERVICE, ["agent"], act="e-5")
    reply = await call(setup.front, "Relay")(
        Client(), metadata=(("authorization", f"Bearer {service}"),)
    )
    assert (reply.id, reply.name) == ("svc:orders", "service:agent:e-5")
    # Outside a served call there is nothing to forward: the back refuses the bare call.
    async with grpc.aio.insecure_channel(
        f"127.0.0.1:{setup.back_port}", interceptors=[ForwardAuthorization()]
    ) as ch:
        await refused(call(ch, "Whoami")(Client()), grpc.StatusCode.UNAUTHENTICATED, "no token")
        own = setup.bearer("e-6")  # a call's own authorization is kept
        assert (await call(ch, "Whoami")(Client(), metadata=own)).id == "e-6"


async def test_a_new_kid_is_fetched_over_http_at_most_once_per_interval(setup: Setup) -> None:
    whoami = call(setup.front, "Whoami")
    assert (await whoami(Client(), metadata=setup.bearer())).id == "e-1"
    assert len(setup.jwks.requests) == 1
    new_key = generate_signing_key(ES256)
    rotated = TokenIssuer([new_key, *setup.tokens.issuer.keys], TEST_ISSUER)
    setup.jwks.document = rotated.jwks()  # the provider publishes a new key
    token = (("authorization", f"Bearer {rotated.mint('e-2', Kind.EMPLOYEE, ['agent'])}"),)
    for _ in range(5):  # within 30 s of the last fetch: no fetch, the kid is unknown
        await refused(whoami(Client(), metadata=token), grpc.StatusCode.UNAUTHENTICATED, "unknown")
    assert len(setup.jwks.requests) == 1
    setup.clock.now += 30
    assert (await whoami(Client(), metadata=token)).id == "e-2"
    assert len(setup.jwks.requests) == 2
    old = setup.bearer("e-3")  # the old key, still published, still verifies
    assert (await whoami(Client(), metadata=old)).id == "e-3"
    setup.jwks.document = TokenIssuer([new_key], TEST_ISSUER).jwks()  # the old key dropped
    setup.clock.now += 300  # the cached set is stale: fetched again on the next call
    await refused(whoami(Client(), metadata=old), grpc.StatusCode.UNAUTHENTICATED, "unknown")
    assert (await whoami(Client(), metadata=token)).id == "e-2"
    assert len(setup.jwks.requests) == 3


async def test_a_service_process_checks_tokens_when_its_settings_name_a_jwks(
    tmp_path: Path,
) -> None:
    tokens = TestTokens.generate()
    env = {
        "SVC_DATABASE_URL": "sqlite:///unused",
        "SVC_NATS_URL": "nats://unused",
        "SVC_GRPC_HOST": "127.0.0.1",
        "SVC_GRPC_PORT": "0",
        "SVC_METRICS_PORT": "0",
        "SVC_DRAIN_DELAY_SECONDS": "0",
        "SVC_AUTH_JWKS": str(tokens.write_jwks(tmp_path)),
        "SVC_AUTH_ISSUERS": tokens.issuer_name,
    }
    settings = load_settings(ServiceSettings, "SVC", env)
    auth = grpc_auth.from_settings(settings, POLICY, "SVC")
    process = ServiceProcess("svc", settings, register_things([]), auth=auth)
    running = asyncio.create_task(process.run(install_signal_handlers=False))
    await asyncio.wait_for(process.ready.wait(), 10)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{process.grpc_port}") as ch:
            whoami = call(ch, "Whoami")
            await refused(whoami(Client()), grpc.StatusCode.UNAUTHENTICATED, "no token")
            reply = await whoami(Client(), metadata=tokens.metadata("e-4", roles=["agent"]))
            assert reply.id == "e-4"
    finally:
        process.stop_requested.set()
        await asyncio.wait_for(running, 10)
