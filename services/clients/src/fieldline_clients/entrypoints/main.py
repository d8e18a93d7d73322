"""Process entrypoint: `serve` runs gRPC + outbox relay + the plan cache's follower; `migrate`
upgrades the database."""

from __future__ import annotations

from pathlib import Path

from nats.aio.client import Client

from fieldline_clients import settings as settings_module
from fieldline_clients.adapters import orm
from fieldline_clients.adapters.event_mapper import STREAM, SUBJECT_PREFIX
from fieldline_clients.bootstrap import SERVICE, App, bootstrap
from fieldline_clients.entrypoints.grpc_api import register
from fieldline_clients.settings import ClientsSettings
from fieldline_kit.cli import serve_with, service_main
from fieldline_kit.messaging.follower import StreamFollower
from fieldline_kit.service import Background, ServiceProcess, messaging_process

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


async def build_process(settings: ClientsSettings) -> tuple[ServiceProcess, App]:
    """Wire the service exactly as `serve` runs it (tests start it in-process with this)."""
    app = bootstrap(settings)

    def readers(nc: Client) -> list[Background]:
        if not app.plan_cache.enabled:
            return []
        # Other replicas' writes reach this replica's visit plan cache through the stream. The
        # cache is bypassed until the follower is following, and again whenever it loses track.
        follower = StreamFollower(
            nc,
            STREAM,
            f"{SUBJECT_PREFIX}.>",
            app.plan_cache.apply_envelope,
            name=f"{SERVICE}-plan-cache",
            on_following=app.plan_cache.resume,
            on_lost=app.plan_cache.suspend,
        )
        return [follower.run]

    process = await messaging_process(
        SERVICE,
        settings,
        sessions=app.sessions,
        tables=orm.kit,
        register=register(app),
        on_commit=app.on_commit,
        readers=readers,
        cleanup=[app.close],
    )
    return process, app


def main(argv: list[str] | None = None) -> int:
    return service_main(
        service=SERVICE,
        prefix=settings_module.PREFIX,
        migrations=MIGRATIONS,
        serve=serve_with(SERVICE, settings_module.from_env, build_process),
        argv=argv,
    )
