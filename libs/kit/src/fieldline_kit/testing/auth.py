"""Tokens for tests: an issuer on keys made in memory, and what a server needs to check them.

`TestTokens.generate()`; a server checks its tokens with `GrpcAuth(tokens.verifier(), POLICY)`,
or a service through its settings (`<SVC>_AUTH_JWKS` = `tokens.write_jwks(tmp_path)`,
`<SVC>_AUTH_ISSUERS` = `tokens.issuer_name`); a call carries
`metadata=tokens.metadata("e-1", roles=["agent"])`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fieldline_kit.auth.issuer import TokenIssuer
from fieldline_kit.auth.jwks import JwksSource
from fieldline_kit.auth.keys import EDDSA, generate_signing_key
from fieldline_kit.auth.principal import Kind
from fieldline_kit.auth.verify import TokenVerifier

TEST_ISSUER = "https://issuer.fieldline.test"


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
