"""The `schoolit` command: serve, migrate, seed, demo, backup, restore (later issues add import, user,
token, probe, maintenance).

Configuration and database errors print one line to stderr and exit with code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from schoolit import __version__, ops
from schoolit.errors import CommandFailed, ConfigError, DatabaseUnavailable
from schoolit.kernel.i18n import counted
from schoolit.settings import Settings, get_settings

EXIT_CONFIG = 2
EXIT_PENDING = 1
EXIT_STARTUP = 3  # the app's start-up (lifespan) failed after the checks passed
T = TypeVar("T")

Handler = Callable[[argparse.Namespace, Settings], int]


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def _migrate(settings: Settings) -> int:
    from schoolit.db import app_role, connected
    from schoolit.migrations import apply_migrations

    async with connected(settings, pool=False, owner=True):
        applied = await apply_migrations(await app_role(settings))
    print(f"migrations applied: {applied}" if applied else "database is up to date")
    return 0


async def _check_migrations(settings: Settings) -> int:
    """Exit 1 and list what is pending, without changing the database (for upgrade scripts)."""
    from schoolit.db import connected
    from schoolit.migrations import pending_migrations

    async with connected(settings, pool=False):
        pending = await pending_migrations(read_only=True)
    if not pending:
        print("database is up to date")
        return 0
    print(f"pending migrations: {len(pending)}")
    for app_name, migration_id in pending:
        print(f"  {app_name} {migration_id}")
    return EXIT_PENDING


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    return _run(_check_migrations(settings) if args.check else _migrate(settings))


async def _seed(settings: Settings) -> int:
    from schoolit.db import connected
    from schoolit.demo import seed_demo
    from schoolit.migrations import require_migrated

    async with connected(settings, pool=False):
        await require_migrated()
        report = await seed_demo(settings.secret_key if settings.demo else None)
    print(f"demo data: {counted(report.counties, 'county', 'counties')}, "
          f"{counted(report.arrangements, 'arrangement', 'arrangements')}, "
          f"{counted(report.schools, 'school', 'schools')}")
    if report.inventory:
        print("demo inventory: " + ", ".join(f"{count} {kind.replace('_', ' ')}"
                                             for kind, count in report.inventory.items()))
    _print_logins(report)
    return 0


def _print_logins(report: Any) -> None:
    if not report.logins:
        return
    print("\ndemo logins (passwords derived from this installation's secret key):")
    for login, password in report.logins:
        print(f"  {login.role:<10} {login.email:<52} {password}   ({login.note})")


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    if not args.demo:
        print("schoolit seed: nothing to do (use --demo to load the demo data)", file=sys.stderr)
        return EXIT_CONFIG
    return _run(_seed(settings))


async def _preflight(settings: Settings) -> None:
    """What `serve` checks in the parent, before a worker starts: the database answers and has every
    migration (a worker that cannot start would only be restarted by uvicorn, and an old schema
    answers 500 on every page)."""
    from schoolit.db import connected
    from schoolit.migrations import require_migrated

    async with connected(settings, pool=False):
        await require_migrated()


def _serve(settings: Settings, workers: int, listener: Any = None, ready: str = "") -> int:
    """Check settings and database, listen, print `ready`, then run the workers.

    Any failure up to the listening socket is one line and exit 2 (through `main`), before anything
    says the server started."""
    import uvicorn

    from schoolit.metrics import prepare_workers

    if workers < 1:
        raise ConfigError(f"--workers must be 1 or more, not {workers}")
    settings.require_secret_key()
    _run(_preflight(settings))
    config = uvicorn.Config(
        "schoolit.app:create_app", factory=True, host=settings.host, port=settings.port, workers=workers,
        log_config=None, access_log=False, proxy_headers=True, server_header=False,
        forwarded_allow_ips=[str(network) for network in settings.trusted_proxies])
    listener = listener or tcp_listener(settings.host, settings.port)
    if ready:
        print(ready, flush=True)
    prepare_workers(workers)
    if workers == 1:
        server = uvicorn.Server(config)
        server.run(sockets=[listener])
        return 0 if server.started else EXIT_STARTUP
    from uvicorn.supervisors import Multiprocess

    Multiprocess(config, sockets=[listener]).run()
    return 0


def tcp_listener(host: str, port: int) -> Any:
    """The listening socket (the parent binds it; workers inherit it), marked as TCP.

    Bound here rather than by uvicorn so that a port in use is one clear line before anything starts.
    uvicorn 0.54 binds with protocol number 0; accepted connections inherit that, and asyncio sets
    TCP_NODELAY only on sockets that say IPPROTO_TCP. Without it every keep-alive request after the
    first waits ~40 ms for the client's delayed ACK (uvicorn issue #3149; bench/pages.py measured
    /health at 48 ms with `--workers 2` against 3 ms with one worker).
    """
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise CommandFailed(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    listener.set_inheritable(True)
    return listener


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.migrate:
        _run(_migrate(settings))
    return _serve(settings, args.workers)


async def _demo_prepare(settings: Settings, snmp_port: int, dead_port: int) -> tuple[Any, Any]:
    from schoolit.db import app_role, connected
    from schoolit.demo import seed_demo
    from schoolit.migrations import apply_migrations
    from schoolit.probes import demo as probes_demo

    async with connected(settings, pool=False, owner=True):
        await apply_migrations(await app_role(settings))
        report = await seed_demo(settings.require_secret_key())
        network = await probes_demo.prepare(settings.data_dir / "demo-network", snmp_port, dead_port)
    return report, network


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate, seed, bring the simulated network and the probe up, and serve."""
    import contextlib
    import threading

    from schoolit.probes import demo as probes_demo
    from schoolit.probes.simulators import closed_udp_ports, free_udp_ports, snmp_simulator

    listener = tcp_listener(settings.host, settings.port)  # a port in use stops the demo before it starts
    (snmp_port,), (dead_port,) = free_udp_ports(1), closed_udp_ports(1)
    report, network = _run(_demo_prepare(settings, snmp_port, dead_port))
    _print_logins(report)
    stop = threading.Event()
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(snmp_simulator(network.recordings, snmp_port, ready_community=min(
                p.stem for p in network.recordings.glob("*.snmprec"))))
            probes_demo.probe_loop(f"http://127.0.0.1:{settings.port}", network, settings.data_dir / "demo-spool", stop)
            print(f"\nsimulated network: {network.assets} access points and routers of "
                  f"{probes_demo.DEMO_COUNTY} on udp 127.0.0.1:{snmp_port} ({network.dead} silent), "
                  f"polled every {probes_demo.POLL_EVERY_S} s by the demo probe", flush=True)
        except Exception as exc:  # the demo still serves without the simulator (e.g. snmpsim not installed)
            print(f"\nsimulated network not started: {exc}", file=sys.stderr)
        stack.callback(stop.set)
        return _serve(settings, 1, listener,
                      ready=f"\nschoolit demo: http://{settings.host}:{settings.port}/  (Ctrl+C stops it)\n")


async def _maintenance_due(settings: Settings) -> int:
    from schoolit.app import register_jobs
    from schoolit.db import connected
    from schoolit.jobs import outcome_text, run_due
    from schoolit.migrations import require_migrated

    async with connected(settings, pool=False):
        await require_migrated()
        runs = await run_due(register_jobs())
    for run in runs:
        text = outcome_text(run.outcome, english=True)
        print(f"{run.job}: {'ok' if run.ok else 'FAILED'} in {run.seconds:.1f} s: {text}")
    if not runs:
        print("no job is due")
    return 1 if any(not run.ok for run in runs) else 0


def cmd_maintenance_due(args: argparse.Namespace, settings: Settings) -> int:
    return _run(_maintenance_due(settings))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="schoolit",
        description="School-IT fleet inventory and support tickets for counties that run schools.",
    )
    parser.add_argument("--version", action="version", version=f"schoolit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", help="run the web server (HOST, PORT from the environment)",
                                description="Run the web server. Migrations are applied only with --migrate.")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--migrate", action="store_true", help="apply pending migrations before serving")
    serve.add_argument("--port", help="listen on this port instead of PORT (a second server, say, for probe ingest)")
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply all pending database migrations (idempotent)",
                                  description="Apply all pending database migrations; safe to run again.")
    migrate.add_argument("--check", action="store_true",
                         help="apply nothing; list pending migrations and exit 1 if there are any")
    migrate.set_defaults(handler=cmd_migrate)

    seed = commands.add_parser("seed", help="load data into the database",
                               description="Load data into the database; running it twice changes nothing.")
    seed.add_argument("--demo", action="store_true", help="the demo counties, arrangement and schools")
    seed.set_defaults(handler=cmd_seed)

    demo = commands.add_parser("demo", help="migrate, load the demo data and serve (for trying schoolit out)",
                               description="Demo mode: embedded database unless DATABASE_URL is set, a "
                                           "generated secret key in DATA_DIR, demo data, then serve.")
    demo.set_defaults(handler=cmd_demo, demo_mode=True)

    from schoolit.accounts import commands as accounts_commands

    accounts_commands.register(commands)
    from schoolit import setup
    from schoolit.accounts import tenant_commands
    from schoolit.inventory import school_commands

    setup.register(commands)
    tenant_commands.register(commands)
    school_commands.register(commands)
    ops.add_commands(commands)
    from schoolit.accounts.sso import commands as sso_commands

    sso_commands.register(commands)

    from schoolit.inventory import commands as inventory_commands
    from schoolit.inventory import import_commands
    from schoolit.probes import commands as probes_commands
    from schoolit.tickets import commands as tickets_commands

    tickets_commands.register(commands)
    import_commands.register(commands)
    from schoolit.inventory import mdm_commands

    mdm_commands.register(commands)

    maintenance = commands.add_parser("maintenance", help="periodic jobs (run them from cron or a timer)",
                                      description="Periodic jobs; each is safe to run again.")
    jobs = maintenance.add_subparsers(dest="job", metavar="JOB", required=True)
    due = jobs.add_parser("due", help="run every scheduled job that is due (for a timer or cron; SCHEDULER=off)",
                          description="One pass of the scheduler: run each job whose interval has passed (the "
                                      "same jobs, lock and records as the server's scheduler). Exit 1 if one failed.")
    due.set_defaults(handler=cmd_maintenance_due)
    accounts_commands.register_maintenance(jobs)
    sso_commands.register_maintenance(jobs)
    inventory_commands.register_maintenance(jobs)
    tickets_commands.register_maintenance(jobs)
    probes_commands.register_maintenance(jobs)
    return parser


def _configure_logging(settings: Settings) -> None:
    """Log lines go to stderr (stdout carries what a command prints). A command prints its own outcome,
    so at the default level only warnings and errors are logged; `serve` sets the level it is given."""
    import dataclasses

    from schoolit.logs import configure_logging

    configure_logging(dataclasses.replace(settings, log_level="warning") if settings.log_level == "info" else settings)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Options that override a setting do so through the environment, which the server's workers inherit.
    overrides = {"SCHOOLIT_DEMO": "1" if getattr(args, "demo_mode", False) else None,
                 "PORT": getattr(args, "port", None)}
    for name, value in overrides.items():
        if value is not None:
            os.environ[name] = value
            get_settings.cache_clear()
    try:
        settings = get_settings()
        _configure_logging(settings)
        handler: Handler = args.handler
        return handler(args, settings)
    except (ConfigError, DatabaseUnavailable, CommandFailed) as exc:
        print(f"schoolit: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
