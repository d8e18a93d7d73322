"""`./fl <command>`: the developer commands of the Fieldline monorepo."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from fieldline_dev import image as image_cli
from fieldline_dev import simulate as simulate_cli
from fieldline_dev.paths import ROOT, RUN_DIR

if TYPE_CHECKING:
    from fieldline_dev.runner import LocalSystem

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
# The output of `./fl test`'s passes that run in the background, shown when each is joined.
IMAGE_LOG = RUN_DIR / "image-check.log"
POSTGRES_LOG = RUN_DIR / "tests-on-postgresql.log"
# Each pass ends with its slowest tests: CI has a 20-minute budget, and this says where it goes.
SLOWEST = "--durations=15"
# What runs the system as `./fl up` does: SQLite files by design, left out of the PostgreSQL pass.
SQLITE_ONLY = ("tests/e2e", "libs/devtools/tests")
# `./fl token --lifetime`: at most a working day.
MAX_TOKEN_MINUTES = 12 * 60
# Packages type-checked by mypy: the kit, the dev tools and every service.
TYPED_PACKAGES = [
    "fieldline_kit",
    "fieldline_dev",
    *sorted(p.parent.name for p in (ROOT / "services").glob("*/src/fieldline_*/__init__.py")),
]


def _run(cmd: list[str], title: str, env: dict[str, str] | None = None) -> int:
    print(f"\n=== {title}: {' '.join(cmd)}", flush=True)
    return subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, check=False).returncode


def _postgres_url() -> str:
    """The PostgreSQL to test against: FIELDLINE_TEST_POSTGRES_URL, else the local one if up."""
    url = os.environ.get("FIELDLINE_TEST_POSTGRES_URL", "")
    if url:
        return url
    if os.environ.get("FIELDLINE_TEST_POSTGRES", "auto") == "off":
        return ""
    import asyncio

    import asyncpg

    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(DEFAULT_POSTGRES, timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await conn.close()
        return True

    return DEFAULT_POSTGRES if asyncio.run(probe()) else ""


class Background:
    """A pass of `./fl test` run beside the others, its output kept in `log` and printed when
    it is joined (`wait`)."""

    def __init__(self, title: str, cmd: list[str], env: dict[str, str], log: Path) -> None:
        self.title, self.log = title, log
        print(f"\n=== {title} (in the background, {log.relative_to(ROOT)}): {' '.join(cmd)}")
        RUN_DIR.mkdir(exist_ok=True)
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def wait(self) -> int:
        rc = self.process.wait()
        print(f"\n=== {self.title}: {self.log.relative_to(ROOT)}", flush=True)
        print(self.log.read_text(errors="replace").rstrip(), flush=True)
        return rc


def postgres_paths() -> list[str]:
    """The test paths of the PostgreSQL pass: pytest's `testpaths` but tests/e2e and the dev
    tools' (SQLite files by design). Named, not `--ignore`d: pytest collects a path given as
    an argument (as `testpaths` are) whatever `--ignore` says, so those ran twice."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        testpaths: list[str] = tomllib.load(f)["tool"]["pytest"]["ini_options"]["testpaths"]
    return [path for path in testpaths if path not in SQLITE_ONLY]


def cmd_test(args: argparse.Namespace) -> int:
    py = sys.executable
    if args.unit:
        # The fast loop: the unit tier alone (domain rules, use cases on fakes), no database,
        # no NATS, no checks.
        return _run(
            [py, "-m", "pytest", "-q", "-m", "unit", *(args.pytest_args or [])], "unit tests"
        )
    extra = args.pytest_args or []
    pg = _postgres_url()
    # tests/image (build the image, run every service from it) mostly waits on the builder;
    # the PostgreSQL pass on the database server and NATS: both run beside the SQLite pass
    # (`--serial`: one after the other, as the only way to rule out their sharing the machine).
    image_check = (
        None
        if args.no_image
        else Background(
            "image",
            [py, "-m", "pytest", "-q", "-s", "-m", "image", "tests/image"],
            {"FIELDLINE_TEST_POSTGRES_URL": pg},
            IMAGE_LOG,
        )
    )
    # Again what touches a database: not the unit tier (no I/O), the chart, or what runs the
    # system as `./fl up` does (SQLite files by design: tests/e2e, the runner's own tests);
    # tests/faults and tests/replicas, which need PostgreSQL, run here only.
    # Test paths given (`./fl test services/orders`): those alone, as on SQLite.
    paths = [a for a in extra if Path(a.split("::")[0]).exists()]
    postgres_pass = [
        *(py, "-m", "pytest", "-q", SLOWEST, "-m", "not chart and not unit and not image"),
        *(paths or postgres_paths()),
        *(a for a in extra if a not in paths),
    ]
    on_postgres = (
        Background(
            "tests on PostgreSQL", postgres_pass, {"FIELDLINE_TEST_POSTGRES_URL": pg}, POSTGRES_LOG
        )
        if pg and not args.serial
        else None
    )
    steps: list[tuple[str, list[str], dict[str, str] | None]] = [
        ("ruff lint", [py, "-m", "ruff", "check", "."], None),
        ("ruff format", [py, "-m", "ruff", "format", "--check", "."], None),
        ("mypy", [py, "-m", "mypy", *(a for p in TYPED_PACKAGES for a in ("-p", p))], None),
        ("import contracts", [str(Path(py).parent / "lint-imports")], None),
        ("generated code", [py, "-m", "fieldline_dev.protos", "check"], None),
        ("buf lint", [py, "-m", "fieldline_dev.protos", "lint"], None),
        ("buf breaking", [py, "-m", "fieldline_dev.protos", "breaking"], None),
    ]
    failed = [
        title for title, cmd, env in steps if not args.only_tests and _run(cmd, title, env) != 0
    ]
    rc = _run(
        [py, "-m", "pytest", "-q", SLOWEST, *extra],
        "tests on SQLite (+ chart checks)",
        {"FIELDLINE_TEST_POSTGRES_URL": ""},
    )
    if rc != 0:
        failed.append("tests on SQLite")
    if not pg:
        print("\n(no PostgreSQL reachable: set FIELDLINE_TEST_POSTGRES_URL to test against one)")
    elif on_postgres is not None:
        rc = on_postgres.wait()
    else:
        rc = _run(postgres_pass, "tests on PostgreSQL", {"FIELDLINE_TEST_POSTGRES_URL": pg})
    if pg and rc != 0:
        failed.append("tests on PostgreSQL")
    if image_check is not None and image_check.wait() != 0:
        failed.append("image")
    print(
        "\n=== summary:",
        "FAILED: " + ", ".join(failed) if failed else "all checks passed",
        flush=True,
    )
    return 1 if failed else 0


def cmd_up(args: argparse.Namespace) -> int:
    from fieldline_dev.runner import LocalSystem, PortInUseError

    system = LocalSystem(data_dir=Path(args.data_dir), nats_port=args.nats_port)

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    # SIGTERM stops it as Ctrl-C does, at any stage (starting, loading the demo, running).
    signal.signal(signal.SIGTERM, interrupt)
    try:
        print("starting Fieldline …", flush=True)
        system.start()
        if args.demo:
            import asyncio

            from fieldline_dev.demo_sales import load_demo

            print("loading the demo company through the gRPC APIs …", flush=True)
            targets = {n: s.target for n, s in system.running.items()}
            report = asyncio.run(
                load_demo(
                    targets,
                    progress=lambda m: print(f"  … {m}", flush=True),
                    token=system.token_source(),
                )
            )
            print(report, flush=True)
        print("\nFieldline is running:\n" + system.describe())
        data_dir_arg = "" if Path(args.data_dir) == RUN_DIR else f" --data-dir {args.data_dir}"
        print("\n" + system.token_hint(data_dir_arg), flush=True)
        print(
            f"\nlogs: {system.data_dir}/<service>.log — a process that dies is reported and "
            "restarted; Ctrl-C stops everything",
            flush=True,
        )
        threading.Event().wait()
    except PortInUseError as exc:
        print(f"./fl up: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        _stop(system)
    return 0


def _stop(system: LocalSystem) -> None:
    """Stop what `./fl up` started; a second Ctrl-C kills what is left at once."""
    if system.nats is None:
        return  # nothing was started
    print("\nstopping … (Ctrl-C again to kill at once)", flush=True)
    try:
        system.stop()
    except KeyboardInterrupt:
        print("killing …", flush=True)
        system.stop(grace=0)


def cmd_token(args: argparse.Namespace) -> int:
    """Print a bearer token signed with the local system's development key."""
    from datetime import timedelta

    from fieldline_dev.tokens import employee_token, service_token
    from fieldline_kit.errors import InvalidArgument

    if not 1 <= args.lifetime <= MAX_TOKEN_MINUTES:
        print(f"./fl token: --lifetime is 1 to {MAX_TOKEN_MINUTES} minutes", file=sys.stderr)
        return 2
    lifetime = timedelta(minutes=args.lifetime)
    data_dir = Path(args.data_dir)
    try:
        if args.service:
            token = service_token(data_dir, args.service, args.role, lifetime)
        elif args.login:
            from fieldline_dev.demo import demo_login

            employee, role = demo_login(args.login)
            token = employee_token(data_dir, employee, [role, *args.role], lifetime)
        else:
            token = employee_token(data_dir, args.employee, args.role, lifetime)
    except (InvalidArgument, ValueError, KeyError) as exc:
        print(f"./fl token: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def cmd_exchange_inspect(args: argparse.Namespace) -> int:
    """Parse CommerceML files without applying them: one JSON line per file (the exchange's
    own command, run as its module so that the dev tools import nothing of the service).
    Run in the caller's directory: the file paths are the caller's."""
    return subprocess.run(
        [sys.executable, "-m", "fieldline_exchange.entrypoints.inspect", *args.files],
        check=False,
    ).returncode


def cmd_exchange_import(args: argparse.Namespace) -> int:
    """Send files to a running exchange as a partner and follow each import with a progress
    bar (the exchange's own command, run as its module; the key from FIELDLINE_EXCHANGE_KEY or
    --key-file). Run in the caller's directory: the file paths are the caller's."""
    extra = ["--url", args.url] + (["--key-file", args.key_file] if args.key_file else [])
    return subprocess.run(
        [sys.executable, "-m", "fieldline_exchange.entrypoints.import_cli", *extra, *args.files],
        check=False,
    ).returncode


def cmd_passthrough(module: str) -> object:
    def run(args: argparse.Namespace) -> int:
        return subprocess.run(
            [sys.executable, "-m", module, *args.rest], cwd=ROOT, check=False
        ).returncode

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./fl", description="Fieldline developer commands")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run the whole system locally (Ctrl-C stops it)")
    up.add_argument(
        "--demo", action="store_true", help="load the demo company (50 agents, 5,000 outlets)"
    )
    up.add_argument(
        "--data-dir", default=str(RUN_DIR), help="where SQLite files, NATS data and logs go"
    )
    up.add_argument("--nats-port", type=int, default=0, help="NATS port (default: a free one)")
    up.set_defaults(func=cmd_up)

    token = sub.add_parser(
        "token",
        help="print a bearer token for the local system (grpcurl -H 'authorization: Bearer …')",
        description="A token signed with the development key of the data directory (made on "
        "first use, as `./fl up` makes it); it lives 15 minutes unless --lifetime says.",
    )
    who = token.add_mutually_exclusive_group(required=True)
    who.add_argument("--employee", help="the employee id the token is for (its subject)")
    who.add_argument(
        "--login",
        help="a demo company login (./fl up --demo): demo-agent, demo-van-seller, "
        "demo-merchandiser, demo-supervisor, demo-manager, demo-technician, demo-admin; "
        "its employee id and role",
    )
    who.add_argument("--service", help="a service or system name: subject svc:NAME, role SERVICE")
    token.add_argument(
        "--role",
        action="append",
        default=[],
        help="a role the token grants, e.g. AGENT, SUPERVISOR, ADMIN (repeat for more)",
    )
    token.add_argument("--lifetime", type=int, default=15, help="minutes (default 15)")
    token.add_argument("--data-dir", default=str(RUN_DIR), help="the data directory of ./fl up")
    token.set_defaults(func=cmd_token)

    test = sub.add_parser(
        "test",
        help="lint, type-check, contract and chart checks, all tests (SQLite and PostgreSQL)",
    )
    test.add_argument("--only-tests", action="store_true", help="skip lint/type/contract checks")
    test.add_argument(
        "--unit", action="store_true", help="only the unit tier: no database, no NATS (seconds)"
    )
    test.add_argument(
        "--no-image", action="store_true", help="skip the image check (build and run the image)"
    )
    test.add_argument(
        "--serial",
        action="store_true",
        help="run the PostgreSQL pass after the SQLite pass instead of beside it",
    )
    test.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    test.set_defaults(func=cmd_test)

    simulate = sub.add_parser(
        "simulate",
        help="play agents' days against the device gateway (activate, sync, visit, upload)",
        description="Devices of the demo company's agents against a running ./fl up: "
        "activation, sync, visits with audits, orders, van sales and payments, uploads, "
        "end-of-day sync; prints what was sent and what came back.",
    )
    simulate_cli.add_arguments(simulate, str(RUN_DIR))
    simulate.set_defaults(func=simulate_cli.run_cli)

    image = sub.add_parser(
        "image", help="build the image (docker, else buildah)", description=image_cli.DESCRIPTION
    )
    image_cli.add_arguments(image)
    image.set_defaults(func=image_cli.run)

    exchange = sub.add_parser("exchange", help="CommerceML exchange with the ERP (inspect, import)")
    exchange_sub = exchange.add_subparsers(dest="exchange_command", required=True)
    exchange_inspect = exchange_sub.add_parser(
        "inspect",
        help="parse CommerceML files without applying them: one JSON line per file",
        description="Counts, skips and refusals of each file (exit 1 when any is refused).",
    )
    exchange_inspect.add_argument("files", nargs="+", metavar="FILE")
    exchange_inspect.set_defaults(func=cmd_exchange_inspect)
    exchange_import = exchange_sub.add_parser(
        "import",
        help="send files to the exchange as a partner (API key in FIELDLINE_EXCHANGE_KEY) and "
        "follow each import with a progress bar",
    )
    exchange_import.add_argument("files", nargs="+", metavar="FILE")
    exchange_import.add_argument("--url", default="http://127.0.0.1:8100")
    exchange_import.add_argument("--key-file", help="a file holding the partner's API key")
    exchange_import.set_defaults(func=cmd_exchange_import)

    for name, module, text in [
        (
            "genproto",
            "fieldline_dev.protos",
            "regenerate Python code from proto/ (generate|check|lint)",
        ),
        ("chart", "fieldline_dev.chart", "helm lint + template + kubernetes-validate"),
        ("demo", "fieldline_dev.demo", "load demo data (grpc|bulk)"),
    ]:
        p = sub.add_parser(name, help=text)
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(func=cmd_passthrough(module))

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
