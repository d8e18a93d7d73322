"""The runner learns which services check tokens from the services themselves."""

from __future__ import annotations

import importlib

from fieldline_dev.services import SERVICES, access_policies


def test_each_service_says_whether_it_has_an_access_policy_as_its_spec_does() -> None:
    specs = {d.name: importlib.import_module(f"{d.module}.entrypoints.main").SPEC for d in SERVICES}
    # A gRPC service checks tokens when its spec has a policy; an HTTP one (the gateway)
    # always does, in its app.
    assert access_policies(SERVICES) == {
        name: getattr(spec, "policy", True) is not None for name, spec in specs.items()
    }
    assert specs["settlements"].describe() == {
        "name": "settlements",
        "prefix": "SETTLEMENTS",
        "policy": True,
    }
