"""GATEWAY_BLOB_URL and the S3 settings (settings.py `validate`): file:// or
s3://bucket[/prefix], the S3 settings an s3:// URL needs, and the credentials never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldline_gateway.adapters.s3_blob_store import S3Location
from fieldline_gateway.settings import PREFIX, GatewaySettings, validate
from fieldline_kit.auth.keys import generate_signing_key, private_pem
from fieldline_kit.settings import SettingsError, describe, load_settings

S3 = {
    "GATEWAY_BLOB_URL": "s3://fieldline-photos/prod/gateway",
    "GATEWAY_S3_ENDPOINT": "https://minio.storage.svc:9000",
    "GATEWAY_S3_REGION": "us-east-1",
    "GATEWAY_S3_ACCESS_KEY_ID": "TEST-ACCESS-KEY-ID",
    "GATEWAY_S3_SECRET_ACCESS_KEY": "TEST-SECRET-ACCESS-KEY",
}


@pytest.fixture(name="environ")
def environ_fixture(tmp_path: Path) -> dict[str, str]:
    """Everything else a valid gateway configuration needs."""
    keys = []
    for name in ("device.pem", "service.pem"):
        pem = tmp_path / name
        pem.write_bytes(private_pem(generate_signing_key()))
        keys.append(str(pem))
    return {
        "GATEWAY_DATABASE_URL": "sqlite:///gateway.db",
        "GATEWAY_NATS_URL": "nats://127.0.0.1:4222",
        "GATEWAY_TOKEN_SIGNING_KEYS": keys[0],
        "GATEWAY_SERVICE_SIGNING_KEY": keys[1],
        "GATEWAY_AUTH_JWKS": "/etc/fieldline/jwks.json",
        "GATEWAY_AUTH_ISSUERS": "https://id.example.com",
        "GATEWAY_CLIENTS_TARGET": "clients:50051",
        "GATEWAY_ORDERS_TARGET": "orders:50051",
        "GATEWAY_SETTLEMENTS_TARGET": "settlements:50051",
    }


def problems(environ: dict[str, str], **changes: str) -> str:
    """What `validate` refuses in `environ` with `changes` ("" when it accepts it)."""
    env = {**environ, **changes}
    settings = load_settings(GatewaySettings, PREFIX, {k: v for k, v in env.items() if v})
    try:
        validate(settings)
    except SettingsError as exc:
        return str(exc)
    return ""


@pytest.mark.parametrize(
    "url", ["", "file:///var/lib/fieldline/gateway/photos", "s3://photos", "s3://photos/a/b-c_d.e"]
)
def test_file_and_s3_urls_are_accepted(environ: dict[str, str], url: str) -> None:
    assert problems(environ, **{**S3, "GATEWAY_BLOB_URL": url}) == ""


def test_aws_needs_no_endpoint_and_may_use_its_own_credentials(environ: dict[str, str]) -> None:
    # An empty endpoint is AWS; no keys: the role of the pod (web identity, instance profile).
    aws = {**S3, "GATEWAY_S3_ENDPOINT": "", "GATEWAY_S3_REGION": "eu-central-1"}
    assert problems(environ, **aws) == ""
    no_keys = {**aws, "GATEWAY_S3_ACCESS_KEY_ID": "", "GATEWAY_S3_SECRET_ACCESS_KEY": ""}
    assert problems(environ, **no_keys) == ""


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"GATEWAY_BLOB_URL": "gs://photos"}, "GATEWAY_BLOB_URL: file:///path or s3://"),
        ({"GATEWAY_BLOB_URL": "https://photos.example.com"}, "GATEWAY_BLOB_URL"),
        ({"GATEWAY_BLOB_URL": "s3://"}, "GATEWAY_BLOB_URL"),
        ({"GATEWAY_BLOB_URL": "s3://Photos"}, "GATEWAY_BLOB_URL"),
        ({"GATEWAY_BLOB_URL": "s3://id:TEST-SECRET-ACCESS-KEY@photos"}, "no credentials"),
        ({"GATEWAY_BLOB_URL": "s3://photos/../other"}, "GATEWAY_BLOB_URL"),
        ({"GATEWAY_BLOB_URL": "s3://photos/a b"}, "GATEWAY_BLOB_URL"),
        ({"GATEWAY_BLOB_URL": "s3://photos?versionId=1"}, "GATEWAY_BLOB_URL"),
        ({"GATEWAY_S3_REGION": ""}, "GATEWAY_S3_REGION: required"),
        ({"GATEWAY_S3_ENDPOINT": "minio:9000"}, "GATEWAY_S3_ENDPOINT"),
        (
            {"GATEWAY_S3_ENDPOINT": "https://id:TEST-SECRET-ACCESS-KEY@minio:9000"},
            "GATEWAY_S3_ENDPOINT: an address only",
        ),
        ({"GATEWAY_S3_SECRET_ACCESS_KEY": ""}, "GATEWAY_S3_ACCESS_KEY_ID and"),
        ({"GATEWAY_S3_ACCESS_KEY_ID": ""}, "GATEWAY_S3_ACCESS_KEY_ID and"),
    ],
)
def test_what_an_s3_url_needs_is_checked(
    environ: dict[str, str], changes: dict[str, str], named: str
) -> None:
    refused = problems(environ, **{**S3, **changes})
    assert named in refused
    assert S3["GATEWAY_S3_SECRET_ACCESS_KEY"] not in refused


def test_the_s3_settings_are_ignored_with_a_file_url(environ: dict[str, str]) -> None:
    assert problems(environ, GATEWAY_BLOB_URL="file:///photos", GATEWAY_S3_ENDPOINT="x") == ""


def test_the_credentials_are_never_shown(environ: dict[str, str]) -> None:
    settings = load_settings(GatewaySettings, PREFIX, {**environ, **S3})
    assert settings.s3_secret_access_key == S3["GATEWAY_S3_SECRET_ACCESS_KEY"]
    for shown in (repr(settings), str(describe(settings))):
        assert S3["GATEWAY_S3_SECRET_ACCESS_KEY"] not in shown
        assert S3["GATEWAY_S3_ACCESS_KEY_ID"] not in shown
    assert describe(settings)["s3_secret_access_key"] == "***"


def test_the_url_gives_the_bucket_and_the_prefix() -> None:
    assert S3Location.parse("s3://photos") == S3Location("photos", "")
    assert S3Location.parse("s3://photos/") == S3Location("photos", "")
    assert S3Location.parse("s3://photos/prod/gateway/") == S3Location("photos", "prod/gateway")
