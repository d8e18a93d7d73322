"""Who may call which RPC: a service's access policy, one `Rule` per RPC.

A policy maps an RPC — its bare name (`"SubmitOrder"`) or its full path
(`"/fieldline.orders.v1.OrdersService/SubmitOrder"`, which wins) — to a `Rule`: the roles
admitted, the data scope those roles act in, and whether calls are audited. The gRPC auth
check enforces the roles; the scope and the audit are declared here and enforced by the
service (a read outside the scope answers NOT_FOUND, a write PERMISSION_DENIED). An RPC with no
rule is refused. `missing_rules` lists the RPCs of the given services that have none, for the
per-service test "every RPC has a policy"; `stray_rules` the rules that name no RPC (typos).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pool


class Scope:
    """Which objects of a role's kind the caller may see and act on."""

    OWN = "own"  # its own orders, visits, van
    ROUTE = "route"  # the outlets of its routes and what hangs off them
    TERRITORY = "territory"  # its territory: its agents' routes and everything under them
    COMPANY = "company"  # everything its roles grant
    ALL = frozenset({OWN, ROUTE, TERRITORY, COMPANY})


@dataclass(frozen=True, init=False)
class Rule:
    roles: frozenset[str]
    scope: str | None
    audit: bool

    def __init__(self, roles: Iterable[str], scope: str | None = None, audit: bool = False) -> None:
        admitted = frozenset(roles)
        if not admitted:
            raise ValueError("a rule admits at least one role")
        if scope is not None and scope not in Scope.ALL:
            raise ValueError(f"scope {scope!r} is not one of {sorted(Scope.ALL)}")
        object.__setattr__(self, "roles", admitted)
        object.__setattr__(self, "scope", scope)
        object.__setattr__(self, "audit", audit)


Policy = Mapping[str, Rule]


def rule_for(policy: Policy, method: str) -> Rule | None:
    """The rule of `method` ("/pkg.Service/Method"): by its full path, else by its name."""
    return policy.get(method) or policy.get(method.rsplit("/", 1)[-1])


def rpc_paths(services: Iterable[Any]) -> list[str]:
    """Paths ("/pkg.Service/Method") of the RPCs of `services` (descriptors or full names)."""
    pool = descriptor_pool.Default()
    paths = []
    for service in services:
        desc = pool.FindServiceByName(service) if isinstance(service, str) else service
        paths += [f"/{desc.full_name}/{m.name}" for m in desc.methods]
    return paths


def missing_rules(policy: Policy, services: Iterable[Any]) -> list[str]:
    """The RPCs of `services` that `policy` has no rule for (each would be refused)."""
    return [path for path in rpc_paths(services) if rule_for(policy, path) is None]


def stray_rules(policy: Policy, services: Iterable[Any]) -> list[str]:
    """The keys of `policy` that name no RPC of `services`."""
    paths = rpc_paths(services)
    known = set(paths) | {p.rsplit("/", 1)[-1] for p in paths}
    return sorted(key for key in policy if key not in known)
