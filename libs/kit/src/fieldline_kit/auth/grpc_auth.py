"""The auth check of a gRPC server, run by the kit's one `ServerInterceptor` before a servicer.

Per call: `authorization: Bearer <JWT>` → `TokenVerifier` (UNAUTHENTICATED on any failed
check) → the employee's current standing where the service has a directory (auth.directory:
a deactivated employee is UNAUTHENTICATED, a removed role no longer counts) → the method's
`Rule` in the policy (none: PERMISSION_DENIED, logged as a configuration error) → one of the
caller's roles admitted (else PERMISSION_DENIED). The servicer then runs as the principal
(`current_principal()`), its logs carrying `sub`, `kind` and `jti` — never the token. Health
and reflection stay open. Streaming RPCs (Fieldline has none) are refused when auth is on
rather than let through unchecked.

A service with an access policy does not start without `<PREFIX>_AUTH_JWKS` and
`<PREFIX>_AUTH_ISSUERS` (`from_settings`): there is no way to run it open.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc
import structlog

from fieldline_kit.auth.directory import EmployeeDirectory
from fieldline_kit.auth.jwks import JwksError, JwksSource
from fieldline_kit.auth.policy import Policy, Rule, missing_rules, rule_for
from fieldline_kit.auth.principal import Principal, authenticated
from fieldline_kit.auth.verify import TokenVerifier
from fieldline_kit.errors import PermissionDenied, Unauthenticated
from fieldline_kit.logging import get_logger
from fieldline_kit.settings import ServiceSettings, SettingsError, env_name

log = get_logger("fieldline.auth")

AUTHORIZATION = "authorization"
OPEN_METHODS = ("/grpc.health.v1.Health/", "/grpc.reflection.")
STREAMS_REFUSED = "streaming RPCs are not covered by the access policy"

Metadata = Iterable[tuple[str, Any]]


def bearer_token(metadata: Metadata | None) -> str:
    """The token of the call's single `authorization: Bearer <token>` entry."""
    values = [str(v) for k, v in metadata or () if k == AUTHORIZATION]
    if not values:
        raise Unauthenticated("no token: send 'authorization: Bearer <token>'")
    if len(values) > 1:
        raise Unauthenticated("more than one authorization entry")
    scheme, _, token = values[0].strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("authorization is not 'Bearer <token>'")
    return token.strip()


class GrpcAuth:
    def __init__(
        self,
        verifier: TokenVerifier,
        policy: Policy,
        *,
        open_methods: Iterable[str] = OPEN_METHODS,
        directory: EmployeeDirectory | None = None,
    ) -> None:
        self.verifier = verifier
        self.policy = dict(policy)
        self.open_methods = tuple(open_methods)
        # Employees' current standing (auth.directory): set by the service once it is wired.
        self.directory = directory

    def is_open(self, method: str) -> bool:
        return method.startswith(self.open_methods)

    def rule(self, method: str) -> Rule | None:
        return rule_for(self.policy, method)

    async def admit(self, method: str, metadata: Metadata | None) -> tuple[Principal, str]:
        """The verified caller of `method` and its token, or Unauthenticated/PermissionDenied."""
        token = bearer_token(metadata)
        principal = await self.verifier.verify_async(token)
        if self.directory is not None:
            principal = await self.directory.admit(principal)
        rule = self.rule(method)
        if rule is None:
            log.error("no access rule for the RPC: a configuration error", method=method)
            raise PermissionDenied(f"{method} has no access rule")
        if not principal.has_any(rule.roles):
            raise PermissionDenied(
                f"{principal.kind} {principal.subject!r} has no role admitted to {method}"
            )
        return principal, token

    def report_missing(self, services: Iterable[str]) -> list[str]:
        """Log (as an error) and return the RPCs of `services` no rule covers (services not
        in the default descriptor pool, e.g. generic handlers, are skipped)."""
        missing = []
        for name in services:
            try:
                missing += missing_rules(self.policy, [name])
            except KeyError:
                log.warning("service not in the descriptor pool; its rules unchecked", name=name)
        if missing:
            log.error("RPCs without an access rule will be refused", methods=missing)
        return missing


@contextmanager
def calling_as(principal: Principal, token: str) -> Iterator[Principal]:
    """Serve a call as `principal`: the contextvar, and `sub`/`kind`/`jti` on its log lines."""
    with (
        authenticated(principal, token),
        structlog.contextvars.bound_contextvars(
            sub=principal.subject, kind=principal.kind, jti=principal.token_id or ""
        ),
    ):
        yield principal


def refusing(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """A streaming handler of the same shape that refuses the call (PERMISSION_DENIED)."""

    async def refuse(_request: Any, context: grpc.aio.ServicerContext) -> None:
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, STREAMS_REFUSED)

    if handler.unary_stream is not None:
        make = grpc.unary_stream_rpc_method_handler
    elif handler.stream_unary is not None:
        make = grpc.stream_unary_rpc_method_handler
    else:
        make = grpc.stream_stream_rpc_method_handler
    return make(
        refuse,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def from_settings(settings: ServiceSettings, policy: Policy | None, prefix: str) -> GrpcAuth | None:
    """The service's auth check. A service with a policy requires its keys and issuers; None
    only for a server without a policy and without keys (the kit's own test servers)."""
    jwks_var = env_name(prefix, "auth_jwks")
    if not settings.auth_jwks:
        if policy is None:
            return None
        raise SettingsError(
            f"invalid configuration: {jwks_var} is required: every call is authenticated "
            "(a JWKS file or https:// URL of the keys that sign tokens; ./fl up makes one)"
        )
    problems = []
    if policy is None:
        problems.append(f"{jwks_var} is set but the service declares no access policy")
    if not settings.auth_issuers:
        problems.append(f"{env_name(prefix, 'auth_issuers')} is required with {jwks_var}")
    try:
        jwks = JwksSource.at(settings.auth_jwks)
    except JwksError as exc:
        problems.append(f"{jwks_var}: {exc}")
    if problems or policy is None:
        raise SettingsError("invalid configuration: " + "; ".join(problems))
    log.info(
        "auth on",
        jwks=jwks.location,
        issuers=list(settings.auth_issuers),
        audience=settings.auth_audience,
    )
    try:
        verifier = TokenVerifier(jwks, settings.auth_issuers, settings.auth_audience)
    except ValueError as exc:
        raise SettingsError(f"invalid configuration: {jwks_var}: {exc}") from exc
    return GrpcAuth(verifier, policy)


def verifier_from_settings(settings: ServiceSettings) -> TokenVerifier | None:
    """A verifier of the tokens the service accepts, for tokens a request carries in its body
    (e.g. the user each check of a batch is for); None when auth is off. Its own JWKS cache,
    separate from the interceptor's."""
    if not settings.auth_jwks:
        return None
    try:
        jwks = JwksSource.at(settings.auth_jwks)
        return TokenVerifier(jwks, settings.auth_issuers, settings.auth_audience)
    except (JwksError, ValueError) as exc:
        raise SettingsError(f"invalid configuration: {exc}") from exc
