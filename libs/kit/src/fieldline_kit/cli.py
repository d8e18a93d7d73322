"""The `python -m fieldline_<svc> serve|migrate` command line, the same for every service."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from fieldline_kit.logging import configure_logging, get_logger
from fieldline_kit.migrations import upgrade
from fieldline_kit.service import ServiceProcess
from fieldline_kit.settings import ServiceSettings, SettingsError, load_settings, setting


@dataclasses.dataclass(frozen=True, kw_only=True)
class MigrateSettings:
    database_url: str = setting("database to migrate", secret=True)


def service_main(
    *,
    service: str,
    prefix: str,
    migrations: Path,
    serve: Callable[[], Coroutine[Any, Any, None]],
    argv: list[str] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m fieldline_{service}")
    parser.add_argument("command", choices=["serve", "migrate"])
    args = parser.parse_args(argv)
    try:
        if args.command == "migrate":
            configure_logging(service)
            s = load_settings(MigrateSettings, prefix)
            upgrade(s.database_url, migrations)
            get_logger("fieldline.migrate").info("database migrated", service=service)
            return 0
        asyncio.run(serve())
        return 0
    except SettingsError as exc:
        print(f"{service}: {exc}", file=sys.stderr)
        return 2


def serve_with(
    service: str,
    settings_from_env: Callable[[], ServiceSettings],
    build: Callable[[Any], Awaitable[tuple[ServiceProcess, Any]]],
) -> Callable[[], Coroutine[Any, Any, None]]:
    """The `serve` command: settings from the environment, logging, build, run until SIGTERM."""

    async def serve() -> None:
        settings = settings_from_env()
        configure_logging(service, settings.log_level, settings.log_format)
        process, _ = await build(settings)
        await process.run()

    return serve
