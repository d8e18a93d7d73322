"""Access rules, the bearer header, the principal of a call, and auth from settings."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from fieldline.settlements.v1 import settlements_service_pb2
from fieldline_kit.auth.grpc_auth import GrpcAuth, bearer_token, from_settings
from fieldline_kit.auth.policy import Rule, Scope, missing_rules, rule_for, stray_rules
from fieldline_kit.auth.principal import (
    Kind,
    Principal,
    authenticated,
    caller_token,
    current_principal,
    principal_or_none,
)
from fieldline_kit.errors import PermissionDenied, Unauthenticated
from fieldline_kit.service import ServiceSpec
from fieldline_kit.settings import ServiceSettings, SettingsError, describe, load_settings
from fieldline_kit.testing.auth import TestTokens

SETTLEMENTS = settlements_service_pb2.DESCRIPTOR.services_by_name["SettlementsService"]
FULL = "/fieldline.settlements.v1.SettlementsService/"


def test_a_rule_declares_roles_and_scope_and_refuses_nonsense() -> None:
    rule = Rule({"agent", "supervisor"}, scope=Scope.ROUTE)
    assert rule.roles == frozenset({"agent", "supervisor"}) and rule.scope == "route"
    assert not rule.audit and Rule(["finance"], audit=True).audit
    with pytest.raises(ValueError, match="at least one role"):
        Rule([])
    with pytest.raises(ValueError, match="scope 'galaxy'"):
        Rule(["agent"], scope="galaxy")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.scope = "own"  # type: ignore[misc]


def test_rules_by_name_or_full_path_and_the_rpcs_without_one() -> None:
    full = Rule(["finance"])
    policy = {name: Rule(["agent"]) for name in [m.name for m in SETTLEMENTS.methods]}
    policy[FULL + "SetCreditLimit"] = full
    assert rule_for(policy, FULL + "SetCreditLimit") is full  # the full path wins
    assert rule_for(policy, FULL + "GetBalance") == Rule(["agent"])
    assert missing_rules(policy, [SETTLEMENTS]) == []
    del policy["CheckCredit"], policy["ReleaseCredit"]
    policy["CheckCredits"] = Rule(["agent"])  # a typo
    expected = [FULL + "CheckCredit", FULL + "ReleaseCredit"]
    assert missing_rules(policy, [SETTLEMENTS]) == expected
    assert missing_rules(policy, [SETTLEMENTS.full_name]) == expected  # by name, as registered
    assert stray_rules(policy, [SETTLEMENTS]) == ["CheckCredits"]


def test_report_missing_names_them_and_skips_unknown_services() -> None:
    auth = GrpcAuth(TestTokens.generate().verifier(), {"GetBalance": Rule(["agent"])})
    missing = auth.report_missing([SETTLEMENTS.full_name, "test.NotInThePool"])
    assert FULL + "GetBalance" not in missing and FULL + "CheckCredit" in missing


@pytest.mark.parametrize(
    ("metadata", "match"),
    [
        ((), "no token"),
        ((("x-other", "1"),), "no token"),
        ((("authorization", "Basic dXNlcjpwdw=="),), "not 'Bearer <token>'"),
        ((("authorization", "Bearer "),), "not 'Bearer <token>'"),
        ((("authorization", "Bearer a"), ("authorization", "Bearer b")), "more than one"),
    ],
)
def test_the_bearer_header_is_required_once(
    metadata: tuple[tuple[str, str], ...], match: str
) -> None:
    with pytest.raises(Unauthenticated, match=match):
        bearer_token(metadata)


def test_the_bearer_token_is_read() -> None:
    assert bearer_token((("authorization", "Bearer abc.def.ghi"),)) == "abc.def.ghi"
    assert bearer_token((("authorization", "bearer  abc "),)) == "abc"


async def test_admit_verifies_then_checks_the_rule() -> None:
    tokens = TestTokens.generate()
    auth = GrpcAuth(tokens.verifier(), {"GetBalance": Rule(["agent"])})
    principal, token = await auth.admit(
        FULL + "GetBalance", tokens.metadata("e-1", roles=["agent"])
    )
    assert principal.subject == "e-1" and token.count(".") == 2
    with pytest.raises(PermissionDenied, match="no role admitted"):
        await auth.admit(FULL + "GetBalance", tokens.metadata("e-1", roles=["merchandiser"]))
    with pytest.raises(PermissionDenied, match="no access rule"):
        await auth.admit(FULL + "SetCreditLimit", tokens.metadata("e-1", roles=["agent"]))
    with pytest.raises(Unauthenticated):  # the token is checked before the rule
        await auth.admit(FULL + "SetCreditLimit", ())
    assert auth.is_open("/grpc.health.v1.Health/Check")
    assert auth.is_open("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
    assert not auth.is_open(FULL + "GetBalance")


async def test_the_principal_belongs_to_the_call() -> None:
    assert principal_or_none() is None
    with pytest.raises(Unauthenticated, match="no authenticated caller"):
        current_principal()
    alice = Principal(Kind.EMPLOYEE, "alice", frozenset({"agent"}))
    bob = Principal(Kind.EMPLOYEE, "bob")

    async def call(p: Principal) -> str:
        with authenticated(p, f"token-of-{p.subject}"):
            await asyncio.sleep(0)
            assert caller_token() == f"token-of-{p.subject}"
            return current_principal().subject

    assert await asyncio.gather(call(alice), call(bob)) == ["alice", "bob"]
    assert principal_or_none() is None and caller_token() is None
    assert alice.has_any({"agent", "admin"}) and not bob.has_any({"agent"})
    assert "token" not in repr(alice).replace("token_id", "")


def settings(**env: str) -> ServiceSettings:
    base = {"SVC_DATABASE_URL": "sqlite:///x", "SVC_NATS_URL": "nats://x"}
    return load_settings(ServiceSettings, "SVC", {**base, **env})


def test_a_service_with_a_policy_requires_its_token_keys(tmp_path: Path) -> None:
    s = settings()
    assert (s.auth_jwks, s.auth_issuers, s.auth_audience) == ("", (), "fieldline")
    # Only a server without a policy (the kit's own test servers) runs without a check.
    assert from_settings(s, None, "SVC") is None
    with pytest.raises(SettingsError, match="SVC_AUTH_JWKS is required"):
        from_settings(s, {"GetBalance": Rule(["agent"])}, "SVC")
    jwks = TestTokens.generate().write_jwks(tmp_path)
    on = settings(SVC_AUTH_JWKS=str(jwks), SVC_AUTH_ISSUERS="https://a.test, https://b.test")
    assert on.auth_issuers == ("https://a.test", "https://b.test")
    assert describe(on)["auth_jwks"] == str(jwks)  # a path, fine to log
    auth = from_settings(on, {"GetBalance": Rule(["agent"])}, "SVC")
    assert auth is not None and auth.verifier.issuers == on.auth_issuers
    assert auth.verifier.audience == "fieldline"


@pytest.mark.parametrize(
    ("env", "policy", "match"),
    [
        (
            {"SVC_AUTH_ISSUERS": "https://a.test"},
            None,
            "SVC_AUTH_JWKS is set but .* no access policy",
        ),
        ({}, {"X": Rule(["a"])}, "SVC_AUTH_ISSUERS is required with SVC_AUTH_JWKS"),
    ],
)
def test_auth_jwks_set_makes_auth_required(
    tmp_path: Path, env: dict[str, str], policy: dict[str, Rule] | None, match: str
) -> None:
    s = settings(SVC_AUTH_JWKS=str(TestTokens.generate().write_jwks(tmp_path)), **env)
    with pytest.raises(SettingsError, match=match):
        from_settings(s, policy, "SVC")


def test_auth_jwks_over_plain_http_is_refused() -> None:
    s = settings(SVC_AUTH_JWKS="http://keys.test/jwks", SVC_AUTH_ISSUERS="https://a.test")
    with pytest.raises(SettingsError, match=r"SVC_AUTH_JWKS: .*https only"):
        from_settings(s, {"X": Rule(["a"])}, "SVC")


async def test_a_service_without_a_policy_will_not_start_with_auth_jwks(tmp_path: Path) -> None:
    def never(_: object) -> Any:
        raise AssertionError("refused before anything is built")

    spec: ServiceSpec[Any, Any] = ServiceSpec(
        name="svc",
        settings=ServiceSettings,
        prefix="SVC",
        migrations=tmp_path,
        bootstrap=never,
        servicers=never,
    )
    on = settings(
        SVC_AUTH_JWKS=str(TestTokens.generate().write_jwks(tmp_path)),
        SVC_AUTH_ISSUERS="https://a.test",
    )
    with pytest.raises(SettingsError, match="no access policy"):
        await spec.build(on)
