"""Tokens for tests: an issuer on keys made in memory, and what a server needs to check them.

`TestTokens.generate()`; a server checks its tokens with `GrpcAuth(tokens.verifier(), POLICY)`,
or a service through its settings (`<SVC>_AUTH_JWKS` = `tokens.write_jwks(tmp_path)`,
`<SVC>_AUTH_ISSUERS` = `tokens.issuer_name`); a call carries
`metadata=tokens.metadata("e-1", roles=["agent"])`.

The services a test starts with the kit (`fieldline_kit.testing.service`) share one issuer per
test process, `process_tokens()`, whose JWKS is `process_jwks()`. Who calls is a `Caller`:
`ADMIN` (the harness's default), `service_caller("orders")`, or any
`Caller(subject, roles, kind)`.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import hmac
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from fieldline_kit import roles
from fieldline_kit.auth.issuer import TokenIssuer
from fieldline_kit.auth.jwks import JwksSource
from fieldline_kit.auth.keys import EDDSA, generate_signing_key, private_pem
from fieldline_kit.auth.principal import Kind
from fieldline_kit.auth.verify import TokenVerifier

TEST_ISSUER = "https://issuer.fieldline.test"


@dataclass(frozen=True)
class Caller:
    """Whom a test calls as: a token's subject, roles and kind."""

    subject: str
    roles: Collection[str] = frozenset()
    kind: str = Kind.EMPLOYEE

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(self.roles))


# The harness's default caller: an administrator, admitted wherever ADMIN is.
ADMIN = Caller("test-admin", {roles.ADMIN})


def service_caller(name: str) -> Caller:
    """A Fieldline service (or another internal system) as the caller: `svc:<name>`."""
    return Caller(f"svc:{name}", {roles.SERVICE}, Kind.SERVICE)


@dataclass
class TestTokens:
    __test__ = False  # not a pytest test class

    issuer: TokenIssuer

    @classmethod
    def generate(cls, algorithm: str = EDDSA, issuer: str = TEST_ISSUER) -> TestTokens:
        return cls(TokenIssuer([generate_signing_key(algorithm)], issuer))

    @property
    def issuer_name(self) -> str:
        return self.issuer.issuer

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(JwksSource.of(self.issuer.jwks()), [self.issuer.issuer])

    def write_jwks(self, directory: Path) -> Path:
        path = directory / "jwks.json"
        path.write_text(json.dumps(self.issuer.jwks()))
        return path

    def mint(
        self,
        subject: str,
        kind: str = Kind.EMPLOYEE,
        roles: Iterable[str] = (),
        act: str | None = None,
        lifetime: timedelta | None = None,
    ) -> str:
        return self.issuer.mint(subject, kind, roles, act=act, lifetime=lifetime)

    def metadata(
        self, subject: str, kind: str = Kind.EMPLOYEE, roles: Iterable[str] = ()
    ) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.mint(subject, kind, roles)}"),)

    def token_for(self, caller: Caller) -> str:
        return self.mint(caller.subject, caller.kind, caller.roles)

    def metadata_for(self, caller: Caller) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token_for(caller)}"),)

    def source(self, caller: Caller) -> Callable[[], str]:
        """The caller's token whenever asked, minted again before it expires."""
        return self.issuer.source(caller.subject, caller.kind, caller.roles)

    def write_signing_key(self, directory: Path) -> Path:
        """The issuer's signing key as a PEM file (for a service that signs its own tokens)."""
        path = directory / "signing-key.pem"
        path.write_bytes(private_pem(self.issuer.keys[0]))
        path.chmod(0o600)
        return path


_lock = threading.Lock()
_process: list[tuple[TestTokens, Path]] = []


def _shared() -> tuple[TestTokens, Path]:
    with _lock:
        if not _process:
            tokens = TestTokens.generate()
            directory = Path(tempfile.mkdtemp(prefix="fieldline-test-auth-"))
            atexit.register(shutil.rmtree, directory, True)
            tokens.write_jwks(directory)
            tokens.write_signing_key(directory)
            _process.append((tokens, directory))
        return _process[0]


def process_tokens() -> TestTokens:
    """The test process's issuer: what the services the kit starts accept by default."""
    return _shared()[0]


def process_jwks() -> Path:
    """The JWKS file of `process_tokens()` (written once per process, removed at exit)."""
    return _shared()[1] / "jwks.json"


def process_signing_key() -> Path:
    """The PEM file of `process_tokens()`'s key, for a service that signs its own tokens."""
    return _shared()[1] / "signing-key.pem"


# ------------------------------------------------------------------------- bad tokens
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def bad_tokens(
    tokens: TestTokens | None = None, roles: Iterable[str] = ("ADMIN",)
) -> dict[str, str]:
    """Every kind of token a service must refuse (UNAUTHENTICATED), by name, each naming the
    service's own key (`tokens`: the issuer it trusts, default the process's) and a role that
    would otherwise be admitted: expired, not yet valid, wrongly signed, signed by an unknown
    key, of another issuer, for another audience, `alg: none`, HS256 keyed with the public
    key, and no JWT at all."""
    tokens = tokens or process_tokens()
    key = tokens.issuer.keys[0]
    stranger = generate_signing_key()
    granted = list(roles)
    now = int(time.time())
    claims = {
        "iss": tokens.issuer_name,
        "aud": "fieldline",
        "sub": "e-1",
        "kind": Kind.EMPLOYEE,
        "roles": granted,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    mac = hmac.new(key.jwk["x"].encode(), signing_input.encode(), hashlib.sha256).digest()
    ahead = datetime.now(UTC) + timedelta(minutes=10)

    def mint(issuer: TokenIssuer) -> str:
        return issuer.mint("e-1", Kind.EMPLOYEE, granted)

    return {
        "expired": tokens.mint("e-1", roles=granted, lifetime=timedelta(minutes=-5)),
        "not yet valid": mint(
            TokenIssuer(tokens.issuer.keys, tokens.issuer_name, clock=lambda: ahead)
        ),
        "wrongly signed": jwt.encode(
            claims, stranger.private_key, algorithm=EDDSA, headers={"kid": key.kid}
        ),
        "unknown key": jwt.encode(
            claims, stranger.private_key, algorithm=EDDSA, headers={"kid": stranger.kid}
        ),
        "wrong issuer": mint(TokenIssuer(tokens.issuer.keys, "https://other.test")),
        "wrong audience": mint(
            TokenIssuer(tokens.issuer.keys, tokens.issuer_name, audience="other")
        ),
        "alg none": jwt.encode(claims, "", algorithm="none", headers={"kid": key.kid}),
        "HS256 with the public key": f"{signing_input}.{_b64(mac)}",
        "not a JWT": "not-a-token",
    }
