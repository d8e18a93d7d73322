"""Process entrypoint: `serve` runs gRPC + outbox relay + the plan cache's follower; `migrate`
upgrades the database."""

from __future__ import annotations

from pathlib import Path

from fieldline_clients import settings as settings_module
from fieldline_clients.adapters import orm
from fieldline_clients.adapters.event_mapper import STREAM, SUBJECT_PREFIX
from fieldline_clients.bootstrap import SERVICE, App, bootstrap
from fieldline_clients.entrypoints.grpc_api import register
from fieldline_clients.settings import ClientsSettings
from fieldline_kit.cli import service_main
from fieldline_kit.logging import configure_logging
from fieldline_kit.messaging.follower import StreamFollower
from fieldline_kit.messaging.nats import connect
from fieldline_kit.messaging.relay import OutboxRelay
from fieldline_kit.service import Background, ServiceProcess

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


async def build_process(settings: ClientsSettings) -> tuple[ServiceProcess, App]:
    """Wire the service exactly as `serve` runs it (tests start it in-process with this)."""
    app = bootstrap(settings)
    nc = await connect(settings.nats_url, SERVICE)
    background: list[Background] = []
    if settings.run_relay:
        relay = OutboxRelay(
            app.sessions, orm.kit, nc, service=SERVICE, poll_interval=settings.outbox_poll_seconds
        )
        app.on_commit.append(relay.wake)
        background.append(relay.run)
    if app.plan_cache.enabled:
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
        background.append(follower.run)

    async def close_nats() -> None:
        await nc.drain()

    process = ServiceProcess(
        name=SERVICE,
        settings=settings,
        register=register(app),
        background=background,
        cleanup=[close_nats, app.close],
    )
    return process, app


async def serve() -> None:
    settings = settings_module.from_env()
    configure_logging(SERVICE, settings.log_level, settings.log_format)
    process, _ = await build_process(settings)
    await process.run()


def main(argv: list[str] | None = None) -> int:
    return service_main(
        service=SERVICE,
        prefix=settings_module.PREFIX,
        migrations=MIGRATIONS,
        serve=serve,
        argv=argv,
    )
