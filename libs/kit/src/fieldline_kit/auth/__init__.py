"""Identity: bearer tokens verified and minted, the caller of an RPC, per-RPC access rules.

- `principal`: `Principal`, `Kind`, `current_principal()`, `principal_or_none()`
- `keys`: signing keys from PEM files, their public JWKs (kid = RFC 7638 thumbprint)
- `jwks`: `JwksSource`, the verification keys from a JWKS file or HTTPS URL, cached
- `verify`: `TokenVerifier.verify(token) -> Principal`, or `Unauthenticated`
- `issuer`: `TokenIssuer.mint(...)`, `jwks()`
- `policy`: `Rule`, `Scope`, `Policy`, `missing_rules` (the "every RPC has a rule" test)
- `grpc_auth`: `GrpcAuth`, the check the kit's server interceptor runs; `from_settings`
- `forward`: `ForwardAuthorization`, the caller's token on calls to other services

See docs/architecture/identity.md.
"""

from fieldline_kit.auth.policy import Policy, Rule, Scope
from fieldline_kit.auth.principal import Kind, Principal, current_principal, principal_or_none

__all__ = [
    "Kind",
    "Policy",
    "Principal",
    "Rule",
    "Scope",
    "current_principal",
    "principal_or_none",
]
