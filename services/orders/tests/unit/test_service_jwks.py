"""`python -m fieldline_orders service-jwks`: the public JWKS of orders' service keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldline_kit.auth.keys import EDDSA, ES256, generate_signing_key, private_pem
from fieldline_orders.entrypoints.service_jwks import service_jwks


def test_it_prints_the_public_half_of_each_key_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = [generate_signing_key(EDDSA), generate_signing_key(ES256)]  # old and new
    paths = []
    for n, key in enumerate(keys):
        paths.append(tmp_path / f"key-{n}.pem")
        paths[-1].write_bytes(private_pem(key))
    assert service_jwks([str(p) for p in paths]) == 0
    out = capsys.readouterr().out
    document = json.loads(out)
    assert [k["kid"] for k in document["keys"]] == [k.kid for k in keys]
    assert all("d" not in k for k in document["keys"])  # no private part


def test_a_file_that_is_no_key_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    with pytest.raises(SystemExit) as exit_:
        service_jwks([str(bad)])
    assert exit_.value.code == 2
