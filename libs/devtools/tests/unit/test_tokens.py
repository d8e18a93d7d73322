"""The local system's development key and the tokens `./fl token` prints."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest

from fieldline_dev.__main__ import main
from fieldline_dev.tokens import LOCAL_ISSUER, auth_dir, jwks_path, local_issuer
from fieldline_kit.auth.jwks import JwksSource
from fieldline_kit.auth.verify import TokenVerifier
from fieldline_kit.errors import InvalidArgument


def verify(data_dir: Path, token: str) -> tuple[str, str, frozenset[str]]:
    verifier = TokenVerifier(JwksSource.at(str(jwks_path(data_dir))), [LOCAL_ISSUER])
    p = verifier.verify(token)
    return p.subject, p.kind, p.roles


def test_the_key_is_made_once_per_data_directory_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    first = local_issuer(tmp_path)
    key = auth_dir(tmp_path) / "signing-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(auth_dir(tmp_path).stat().st_mode) == 0o700
    again = local_issuer(tmp_path)
    assert [k.kid for k in again.keys] == [k.kid for k in first.keys]
    other = local_issuer(tmp_path / "elsewhere")
    assert other.keys[0].kid != first.keys[0].kid  # never a built-in key
    assert "PRIVATE" not in repr(first.keys[0])


def test_fl_token_prints_a_token_the_services_accept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["token", "--data-dir", str(tmp_path)]
    assert main([*args, "--employee", "e-7", "--role", "supervisor", "--role", "ROLE_AGENT"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]  # after any log line
    assert verify(tmp_path, token) == ("e-7", "employee", frozenset({"SUPERVISOR", "AGENT"}))
    assert main([*args, "--service", "erp", "--lifetime", "5"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]  # after any log line
    assert verify(tmp_path, token) == ("svc:erp", "service", frozenset({"SERVICE"}))
    issuer = local_issuer(tmp_path)
    assert issuer.lifetime == timedelta(minutes=15)


def test_fl_token_refuses_a_bad_role_or_lifetime(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["token", "--data-dir", str(tmp_path), "--employee", "e-7"]
    assert main([*args, "--role", "head of sales"]) == 2
    assert "must be a role name" in capsys.readouterr().err
    assert main([*args, "--lifetime", "0"]) == 2
    with pytest.raises(InvalidArgument):
        from fieldline_dev.tokens import employee_token

        employee_token(tmp_path, "e-7", ["a b"])


def test_demo_logins_are_the_demo_companys_employees_in_their_roles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fieldline.clients.v1 import resources_pb2 as pb
    from fieldline_dev import demo

    company = demo.generate(demo.Sizes(agents=10, outlets=100, bench_outlets=20), 1)
    employees = {e.id: e for e in company.employees}
    for login, (_, role) in demo.DEMO_LOGINS.items():
        employee_id, _ = demo.demo_login(login)
        assert [pb.Role.Name(r) for r in employees[employee_id].roles] == [f"ROLE_{role}"]
        assert main(["token", "--data-dir", str(tmp_path), "--login", login]) == 0
        token = capsys.readouterr().out.strip().splitlines()[-1]
        assert verify(tmp_path, token) == (employee_id, "employee", frozenset({role}))
    agent, _ = demo.demo_login("demo-agent")
    supervisor, _ = demo.demo_login("demo-supervisor")
    assert employees[agent].supervisor_id == supervisor  # the supervisor sees the agent
    assert main(["token", "--data-dir", str(tmp_path), "--login", "demo-ceo"]) == 2
    assert "no demo login 'demo-ceo'; there are demo-agent" in capsys.readouterr().err
