"""`schoolit-probe`: the SNMP cron agent that polls access points and uplink routers.

Commands:
- `run`: replay spooled batches, fetch the target list (ETag-cached; the cache serves when the server
  is unreachable), poll every target concurrently, ping those that gave no SNMP answer (down, or only
  SNMP silent? `schoolit.probes.agent.icmp`), post the samples in batches with idempotency keys; batches the
  server cannot take now go to the spool for the next run.
- `check`: poll one device by hand and show what it answered (for a supporter on site).
- `sweep`: poll the targets of a local file without any server (benchmarks, offline checks).

Exit codes (also in docs/operations.md; when several apply, the first of 2, 3, 5, 6, 4, 1):
- 0: every target answered and every sample is stored;
- 1: some targets did not answer (normal: the server turns outages into tickets);
- 2: configuration or authentication error (unreadable token file, 401/403, wrong server URL);
- 3: another run still holds the spool's lock; this one did nothing;
- 4: the server was unavailable: samples wait in the spool for the next run;
- 5: the server refused samples (of unknown or foreign assets) or whole batches: kept in `rejected/`;
- 6: a spool entry was unreadable or no batch: set aside in `damaged/` (the run went on polling).
`run` and `sweep` print one JSON summary line on stdout; a progress bar goes to stderr only when stderr
is a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from schoolit import __version__
from schoolit.probes.agent.controller_profiles import CONTROLLER_PROFILE_NAMES
from schoolit.probes.agent.icmp import PingUnavailable, ping_all
from schoolit.probes.agent.profiles import PROFILE_NAMES
from schoolit.probes.agent.snmp import DEFAULT_CONCURRENCY, DEFAULT_RETRIES, DEFAULT_TIMEOUT, PollResult, SnmpPoller
from schoolit.probes.agent.spool import AlreadyRunning, DamagedEntry, Spool, default_spool_dir
from schoolit.probes.agent.udp import ipv4_literal
from schoolit.probes.agent.wire import (
    CREDENTIALS_REJECTED,
    ControllerReport,
    IngestOut,
    ProbeTarget,
    RunReport,
    Sample,
    SampleBatch,
    TargetList,
    columns_of,
)
from schoolit.probes.agent.workers import TARGETS_PER_WORKER, PollSettings, SplitSweep, auto_workers
from schoolit.snmp_protocols import AUTH_PROTOCOLS, PRIV_PROTOCOLS

if TYPE_CHECKING:
    import httpx
    from rich.progress import Progress

T = TypeVar("T")

EXIT_OK = 0
EXIT_TARGETS_FAILED = 1
EXIT_CONFIG = 2
EXIT_LOCKED = 3
EXIT_SPOOLED = 4
EXIT_REFUSED = 5
EXIT_SPOOL_DAMAGED = 6
# When a run has several outcomes, the code of the most serious one (first here) is the exit code.
EXIT_PRIORITY = (EXIT_CONFIG, EXIT_LOCKED, EXIT_REFUSED, EXIT_SPOOL_DAMAGED, EXIT_SPOOLED, EXIT_TARGETS_FAILED)

TARGETS_PATH = "/api/v1/probe/targets"
SAMPLES_PATH = "/api/v1/probe/samples"
DEFAULT_BATCH_SIZE = 500
PING_TIMEOUT = 1.0  # at most, for all unanswered devices together (less with a shorter --timeout)


class ConfigurationError(Exception):
    """The probe cannot work as configured (exit 2)."""


class ServerUnavailable(Exception):
    """No answer, or a 5xx: try again on the next run."""


class BatchRejected(Exception):
    """The server refused a batch as invalid; resending it would not help."""


# --- the server ------------------------------------------------------------------------------------


class ProbeServer:
    """The two probe endpoints of a schoolit server, with the probe's bearer token."""

    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        import httpx  # here, not at the top: `sweep` and `check` never talk HTTP (~0.15 s of imports)

        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "User-Agent": f"schoolit-probe/{__version__}"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        import httpx

        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ServerUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code in (401, 403):
            raise ConfigurationError(f"{method} {path}: the server refused the probe token ({response.status_code})")
        if response.status_code >= 500:
            raise ServerUnavailable(f"{method} {path}: server error {response.status_code}")
        return response

    async def fetch_targets(self, cached: TargetList | None) -> TargetList | None:
        """The current target list; None when the server says the cached one is current (304)."""
        headers = {"If-None-Match": cached.etag} if cached is not None and cached.etag else {}
        response = await self._request("GET", TARGETS_PATH, headers=headers)
        if response.status_code == 304 and cached is not None:
            return None
        if response.status_code != 200:
            raise ConfigurationError(f"GET {TARGETS_PATH}: unexpected answer {response.status_code}")
        try:
            targets = msgspec.json.decode(response.content, type=TargetList)
        except msgspec.DecodeError as exc:
            raise ConfigurationError(f"GET {TARGETS_PATH}: invalid target list: {exc}") from exc
        etag = response.headers.get("ETag", targets.etag)
        return msgspec.structs.replace(targets, etag=etag)

    async def post_batch(self, key: str, body: bytes) -> IngestOut:
        """Post a batch; the answer lists the samples the server refused (the others are stored)."""
        response = await self._request(
            "POST",
            SAMPLES_PATH,
            content=body,
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )
        if response.status_code >= 400:
            raise BatchRejected(f"POST {SAMPLES_PATH}: {response.status_code} {response.text[:200]}")
        try:
            return msgspec.json.decode(response.content, type=IngestOut)
        except msgspec.DecodeError:  # a 2xx means stored; an older server answers less
            return IngestOut(stored=0, duplicate=False)


# --- polling ---------------------------------------------------------------------------------------


def _progress_bar() -> Progress | None:
    """A progress bar on stderr when it is a terminal; rich is imported only then (cron has none)."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("polling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=Console(stderr=True), transient=True)


def poll_targets(targets: Sequence[ProbeTarget], args: argparse.Namespace) -> list[PollResult]:
    """Poll every target, over `--workers` processes; a progress bar on stderr when it is a terminal.

    Synchronous, and called where no event loop runs: the workers are forked from here, before the
    progress bar starts its thread.
    """
    workers = args.workers or auto_workers(len(targets))
    settings = PollSettings(concurrency=args.concurrency, timeout=args.timeout, retries=args.retries)
    sweep = SplitSweep.fork(targets, workers=workers, settings=settings)
    progress = _progress_bar()
    with progress or nullcontext():
        task = progress.add_task("poll", total=len(targets)) if progress else None

        def advance(_: PollResult) -> None:
            if progress is not None and task is not None:
                progress.advance(task)

        return sweep.run(on_result=advance)


def ping_unanswered(results: list[PollResult], args: argparse.Namespace, counts: dict[str, Any]) -> list[PollResult]:
    """Ping the devices that gave no SNMP answer, so their samples say "down" or "only SNMP silent".

    Not those that refused the credentials (they answered) and not host names (only addresses are
    pinged); called where no event loop runs. Without ICMP sockets, one warning and no ping."""
    if not args.ping:
        return results
    silent = {
        n: result.target.host
        for n, result in enumerate(results)
        if not result.sample.reachable
        and not (result.sample.error or "").startswith(CREDENTIALS_REJECTED)
        and ipv4_literal(result.target.host, result.target.port) is not None
    }
    if not silent:
        return results
    try:
        answered = asyncio.run(ping_all(silent.values(), wait=min(args.timeout, PING_TIMEOUT)))
    except PingUnavailable as exc:
        warn(f"no ping fallback: {exc}")
        return results
    counts["pinged"] = len(silent)
    counts["ping_answered"] = sum(answered[host] for host in silent.values())
    results = list(results)
    for n, host in silent.items():
        sample = msgspec.structs.replace(results[n].sample, icmp_reachable=answered[host])
        results[n] = msgspec.structs.replace(results[n], sample=sample)
    return results


def count_results(results: Sequence[PollResult]) -> dict[str, int]:
    failed = sum(1 for result in results if not result.sample.reachable or result.sample.error)
    return {"targets": len(results), "reachable": sum(r.sample.reachable for r in results), "failed": failed}


def print_summary(summary: dict[str, Any]) -> None:
    sys.stdout.write(msgspec.json.encode(summary).decode() + "\n")
    sys.stdout.flush()


def warn(message: str) -> None:
    sys.stderr.write(f"schoolit-probe: {message}\n")


# --- run -------------------------------------------------------------------------------------------


def _keep_refused(spool: Spool, key: str, batch: SampleBatch, answer: IngestOut, summary: dict[str, Any]) -> None:
    """Set the samples the server refused aside in `rejected/`, with its reasons; the rest are stored."""
    if not answer.refused:
        return
    samples = batch.as_samples()
    refused = [
        {"sample": samples[item.index] if 0 <= item.index < len(samples) else None, "reason": item.reason}
        for item in answer.refused
    ]
    for item in answer.refused[:3]:
        warn(f"batch {key}: sample of {item.asset_kind} {item.asset_id} refused: {item.reason}")
    summary["samples_refused"] += len(refused)
    try:
        spool.put_refused(key, msgspec.json.encode({"idempotency_key": key, "refused": refused}))
    except OSError as exc:
        warn(f"cannot keep the refused samples of batch {key}: {exc}")


async def _replay(server: ProbeServer, spool: Spool, summary: dict[str, Any]) -> bool:
    """Send spooled batches oldest first; False when the server is unavailable (keep the rest).

    An entry that is no batch (a directory, unreadable, damaged) is set aside and the rest go on."""
    for path in spool.pending():
        try:
            key, body = spool.read(path)
        except DamagedEntry as exc:
            warn(f"spool entry {path.name} set aside as damaged: {exc}")
            summary["spool_damaged"] += 1
            continue
        try:
            answer = await server.post_batch(key, body)
        except ServerUnavailable as exc:
            warn(f"spool replay stopped: {exc}")
            return False
        except BatchRejected as exc:
            warn(f"spooled batch {path.name} rejected, moved aside: {exc}")
            summary["spool_rejected"] += 1
            try:
                spool.reject(path)
            except DamagedEntry as moved:
                warn(f"spooled batch {path.name}: {moved}")
                summary["spool_damaged"] += 1
            continue
        _keep_refused(spool, key, msgspec.json.decode(body, type=SampleBatch), answer, summary)
        path.unlink(missing_ok=True)
        summary["spool_replayed"] += 1
    return True


async def _targets(server: ProbeServer, spool: Spool, summary: dict[str, Any]) -> list[ProbeTarget]:
    cached = spool.load_targets()
    try:
        fresh = await server.fetch_targets(cached)
    except ServerUnavailable as exc:
        if cached is None:
            summary["targets_from"] = "none"
            raise ServerUnavailable(f"{exc}; no cached target list") from exc
        warn(f"using the cached target list: {exc}")
        summary["targets_from"] = "cache"
        return cached.targets
    if fresh is None:
        summary["targets_from"] = "cache-current"
        return cached.targets if cached is not None else []
    try:
        spool.save_targets(fresh)
    except OSError as exc:  # polling goes on; only the cache for a later unreachable server is missing
        warn(f"cannot cache the target list: {exc}")
    summary["targets_from"] = "server"
    return fresh.targets


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    summary: dict[str, Any] = {
        "command": "run",
        "started_at": datetime.now(UTC).isoformat(),
        "targets": 0,
        "reachable": 0,
        "failed": 0,
        "targets_from": None,
        "batches_sent": 0,
        "batches_spooled": 0,
        "batches_rejected": 0,
        "samples_refused": 0,
        "spool_replayed": 0,
        "spool_rejected": 0,
        "spool_damaged": 0,
        "spool_pending": 0,
    }
    outcomes: set[int] = set()
    spool: Spool | None = None
    try:
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(f"cannot read the token file: {exc}") from exc
        if not token:
            raise ConfigurationError(f"the token file {args.token_file} is empty")
        try:
            spool = Spool(Path(args.spool) if args.spool else default_spool_dir())
            lock = spool.locked()
            lock.__enter__()
        except AlreadyRunning as exc:
            warn(f"{exc}: not starting a second run (exit {EXIT_LOCKED})")
            summary["error"] = str(exc)
            outcomes.add(EXIT_LOCKED)
            spool = None  # not ours to count while the other run works in it
        except OSError as exc:
            raise ConfigurationError(f"cannot use the spool directory: {exc}") from exc
        else:
            try:
                outcomes |= _run(args, token, spool, summary, started)
            finally:
                lock.__exit__(None, None, None)
    except ConfigurationError as exc:
        warn(str(exc))
        summary["error"] = str(exc)
        outcomes.add(EXIT_CONFIG)
    if spool is not None:
        summary["spool_pending"] = len(spool.pending())
    summary["duration_s"] = round(time.perf_counter() - started, 3)
    exit_code = next((code for code in EXIT_PRIORITY if code in outcomes), EXIT_OK)
    summary["exit_code"] = exit_code
    print_summary(summary)
    return exit_code


def _run(args: argparse.Namespace, token: str, spool: Spool, summary: dict[str, Any], started: float) -> set[int]:
    """Replay the spool and fetch the targets, poll, post (or spool) the new batches; the outcomes.

    Three steps, the HTTP ones each in their own event loop: polling runs where no loop runs, so
    that its worker processes are forked from a process without one (`schoolit.probes.agent.workers`).
    """
    outcomes: set[int] = set()
    try:
        server_up, targets = asyncio.run(_with_server(args, token, lambda server: _prepare(server, spool, summary)))
    except ServerUnavailable as exc:
        warn(str(exc))
        summary["error"] = str(exc)
        outcomes.add(EXIT_SPOOLED)
        targets, server_up = [], False
    else:
        results = ping_unanswered(poll_targets(targets, args), args, summary)
        summary.update(count_results(results))
        report = RunReport(
            started_at=datetime.fromisoformat(summary["started_at"]),
            duration_s=round(time.perf_counter() - started, 3),
            targets=summary["targets"],
            reachable=summary["reachable"],
            failed=summary["failed"],
            spool_replayed=summary["spool_replayed"],
            spool_damaged=summary["spool_damaged"],
            version=__version__,
        )
        samples = samples_to_send(results)
        controllers = [result.report for result in results if result.report is not None]
        asyncio.run(
            _with_server(
                args, token,
                lambda server: _deliver(server, server_up, samples, report, args, spool, summary, controllers),
            )
        )
    if summary["failed"]:
        outcomes.add(EXIT_TARGETS_FAILED)
    if summary["batches_spooled"] or summary.get("spool_write_failed"):
        outcomes.add(EXIT_SPOOLED)
    if summary["batches_rejected"] or summary["spool_rejected"] or summary["samples_refused"]:
        outcomes.add(EXIT_REFUSED)
    if summary["spool_damaged"] or summary.get("spool_write_failed"):
        outcomes.add(EXIT_SPOOL_DAMAGED)
    return outcomes


async def _with_server(args: argparse.Namespace, token: str, step: Callable[[ProbeServer], Awaitable[T]]) -> T:
    server = ProbeServer(args.server, token, args.http_timeout)
    try:
        return await step(server)
    finally:
        await server.aclose()


async def _prepare(server: ProbeServer, spool: Spool, summary: dict[str, Any]) -> tuple[bool, list[ProbeTarget]]:
    """Replay the spool (whether the server took it all) and the targets to poll."""
    server_up = await _replay(server, spool, summary)
    return server_up, await _targets(server, spool, summary)


def samples_to_send(results: Sequence[PollResult]) -> list[Sample]:
    """Each target's sample; for a controller, the samples of its access points instead of its own
    (the controller itself is reported in the batch's `controllers`)."""
    return [sample for result in results
            for sample in (result.members if result.target.asset_kind == "controller" else (result.sample,))]


def make_batches(
    samples: Sequence[Sample],
    size: int,
    report: RunReport | None = None,
    controllers: Sequence[ControllerReport] = (),
) -> list[SampleBatch]:
    """The samples in batches of `size`, as columns (`SampleColumns`: the server stores them without an object
    per sample); the run's report and the controllers' reports ride with the last (an empty one if none)."""
    now = datetime.now(UTC)
    starts = range(0, len(samples), size) if samples else range(1)
    batches = [
        SampleBatch(idempotency_key=uuid.uuid4(), sent_at=now, columns=columns_of(samples[start : start + size]))
        for start in starts
    ]
    if report is not None or controllers:
        batches[-1] = msgspec.structs.replace(batches[-1], run=report, controllers=list(controllers))
    return batches if samples or report is not None or controllers else []


async def _deliver(
    server: ProbeServer,
    server_up: bool,
    samples: Sequence[Sample],
    report: RunReport,
    args: argparse.Namespace,
    spool: Spool,
    summary: dict[str, Any],
    controllers: Sequence[ControllerReport] = (),
) -> None:
    """Post the samples in batches, or spool them once the server is unavailable."""
    batches = make_batches(samples, args.batch_size, report, controllers)
    for number, batch in enumerate(batches, 1):
        if number == len(batches) and batch.run is not None:  # the report counts the earlier batches' refusals
            batch = msgspec.structs.replace(
                batch, run=msgspec.structs.replace(batch.run, samples_refused=summary["samples_refused"])
            )
        body = msgspec.json.encode(batch)
        key = str(batch.idempotency_key)
        if server_up:
            try:
                answer = await server.post_batch(key, body)
            except ServerUnavailable as exc:
                warn(f"spooling samples: {exc}")
                server_up = False
            except BatchRejected as exc:
                warn(f"batch {key} rejected: {exc}")
                summary["batches_rejected"] += 1
                try:
                    spool.put_refused(key, body)
                except OSError as kept:
                    warn(f"cannot keep the rejected batch {key}: {kept}")
                continue
            else:
                _keep_refused(spool, key, batch, answer, summary)
                summary["batches_sent"] += 1
                continue
        # The server is unavailable: keep this batch, and every later one, for the next run.
        try:
            spool.put(batch, body)
        except OSError as exc:
            warn(f"cannot spool batch {key}, its samples are lost: {exc}")
            summary["spool_write_failed"] = summary.get("spool_write_failed", 0) + 1
            continue
        summary["batches_spooled"] += 1


# --- sweep -----------------------------------------------------------------------------------------


def read_targets_file(path: str) -> list[ProbeTarget]:
    """A TargetList document, or a bare JSON list of targets."""
    data = Path(path).read_bytes()
    try:
        return msgspec.json.decode(data, type=TargetList).targets
    except msgspec.ValidationError:
        return msgspec.json.decode(data, type=list[ProbeTarget])


def sweep(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        targets = read_targets_file(args.targets_file)
    except (OSError, msgspec.DecodeError) as exc:
        warn(f"cannot read the targets file: {exc}")
        print_summary({"command": "sweep", "error": str(exc), "exit_code": EXIT_CONFIG})
        return EXIT_CONFIG
    summary: dict[str, Any] = {"command": "sweep"}
    results = ping_unanswered(poll_targets(targets, args), args, summary)
    if args.samples_out:
        with open(args.samples_out, "wb") as out:
            for sample in samples_to_send(results):
                out.write(msgspec.json.encode(sample) + b"\n")
    summary.update(count_results(results))
    exit_code = EXIT_TARGETS_FAILED if summary["failed"] else EXIT_OK
    summary.update(duration_s=round(time.perf_counter() - started, 3), exit_code=exit_code)
    print_summary(summary)
    return exit_code


# --- check -----------------------------------------------------------------------------------------


def parse_host_port(value: str) -> tuple[str, int]:
    """`HOST`, `HOST:PORT`, `[IPv6]` or `[IPv6]:PORT`; the SNMP port 161 by default."""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest.removeprefix(":") or "161"
    elif value.count(":") == 1:
        host, port = value.split(":")
    else:
        host, port = value, "161"
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"not HOST[:PORT]: {value!r}")
    return host, int(port)


def check_target(args: argparse.Namespace) -> ProbeTarget:
    host, port = args.target
    common: dict[str, Any] = {
        "asset_kind": "controller" if args.controller
        else "uplink" if args.if_index or args.if_name else "access_point",
        "asset_id": 0,
        "host": host,
        "port": port,
        "profile": args.controller or args.profile,
        "row_index": args.row_index,
        "if_index": args.if_index,
        "if_name": args.if_name,
    }
    if args.community is not None:
        return ProbeTarget(snmp_version="2c", community=args.community, **common)
    # The security level follows from the keys given, as with Net-SNMP's tools: no key noAuthNoPriv,
    # an auth key authNoPriv, both keys authPriv.
    return ProbeTarget(
        snmp_version="3",
        v3_user=args.v3_user,
        auth_protocol=AUTH_PROTOCOLS[args.auth_proto] if args.auth_key else None,
        auth_key=args.auth_key or None,
        priv_protocol=PRIV_PROTOCOLS[args.priv_proto] if args.priv_key else None,
        priv_key=args.priv_key or None,
        **common,
    )


async def _poll_one(target: ProbeTarget, args: argparse.Namespace) -> PollResult:
    async with SnmpPoller(concurrency=1, timeout=args.timeout, retries=args.retries) as poller:
        return await poller.poll(target)


def check(args: argparse.Namespace) -> int:
    try:
        target = check_target(args)
    except (ValueError, msgspec.ValidationError) as exc:
        warn(str(exc))
        return EXIT_CONFIG
    (result,) = ping_unanswered([asyncio.run(_poll_one(target, args))], args, {})
    if args.json:
        # Not the target itself: it holds the community or the v3 keys.
        shown: dict[str, Any] = {"sys_name": result.sys_name, "sys_object_id": result.sys_object_id,
                                 "sample": result.sample}
        if result.report is not None:  # a controller: the access points it lists
            shown["access_points"] = result.report.unknown
        sys.stdout.write(msgspec.json.encode(shown).decode() + "\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{target.address} ({target.asset_kind}, profile {target.profile})", show_header=False)
        rows: dict[str, Any] = {"sysName": result.sys_name, "sysObjectID": result.sys_object_id}
        rows.update(msgspec.structs.asdict(result.sample))
        for name, value in rows.items():
            if name not in ("asset_kind", "asset_id") and value is not None:
                table.add_row(name, str(value))
        Console().print(table)
        if result.report is not None and result.report.unknown:
            listed = Table(title=f"{len(result.report.unknown)} access points listed by the controller")
            for column in ("MAC", "serial", "name", "model", "up"):
                listed.add_column(column)
            for ap in result.report.unknown:
                listed.add_row(ap.mac, ap.serial or "", ap.name or "", ap.model or "",
                               "" if ap.up is None else "yes" if ap.up else "no")
            Console().print(listed)
    return EXIT_OK if result.sample.reachable and not result.sample.error else EXIT_TARGETS_FAILED


# --- command line ----------------------------------------------------------------------------------


def _add_polling_options(parser: argparse.ArgumentParser, *, concurrency: bool = True) -> None:
    if concurrency:
        parser.add_argument(
            "--concurrency",
            type=int,
            default=DEFAULT_CONCURRENCY,
            metavar="N",
            help=f"SNMP requests in flight at once, over all workers (default {DEFAULT_CONCURRENCY})",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=0,
            metavar="N",
            help=f"processes polling side by side (default 0: one per {TARGETS_PER_WORKER} targets, "
            "at most one per usable core)",
        )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds to wait for one SNMP answer (default {DEFAULT_TIMEOUT})",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=DEFAULT_RETRIES,
        metavar="N",
        help=f"resends after a timeout (default {DEFAULT_RETRIES}); a dead device costs timeout*(retries+1)",
    )
    parser.add_argument(
        "--no-ping",
        dest="ping",
        action="store_false",
        help="do not ping the devices that gave no SNMP answer (the ping tells 'down' from 'SNMP not answering')",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="schoolit-probe",
        description="Poll access points and uplink routers by SNMP and push the results to a schoolit server.",
        epilog="Exit codes: 0 all fine, 1 some targets did not answer, 2 configuration or authentication error, "
        "3 another run holds the lock, 4 samples spooled (server unavailable), 5 samples refused by the server, "
        "6 damaged spool entry set aside.",
    )
    parser.add_argument("--version", action="version", version=f"schoolit-probe {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run_parser = commands.add_parser(
        "run",
        help="poll all targets of this probe and send the samples (for cron)",
        description="Fetch the target list, poll every target, post the samples; spool what cannot be sent.",
    )
    run_parser.add_argument(
        "--server", required=True, metavar="URL", help="schoolit server, e.g. https://it.example.de"
    )
    run_parser.add_argument("--token-file", required=True, metavar="FILE", help="file holding the probe's API token")
    run_parser.add_argument(
        "--spool",
        metavar="DIR",
        help="spool and cache directory (default: $STATE_DIRECTORY or ~/.local/state/schoolit-probe)",
    )
    _add_polling_options(run_parser)
    run_parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        metavar="N",
        help=f"samples per POST (default {DEFAULT_BATCH_SIZE})",
    )
    run_parser.add_argument(
        "--http-timeout", type=float, default=30.0, metavar="S", help="seconds for one HTTP request (default 30)"
    )

    check_parser = commands.add_parser(
        "check",
        help="poll one device by hand and show what it answered",
        description="Poll one access point (or, with --if-index, one uplink router) and print the answer.",
    )
    check_parser.add_argument("--target", required=True, type=parse_host_port, metavar="HOST[:PORT]")
    credentials = check_parser.add_mutually_exclusive_group(required=True)
    credentials.add_argument("--community", metavar="C", help="SNMP v2c community")
    credentials.add_argument(
        "--v3-user",
        metavar="U",
        help="SNMP v3 user; with --auth-key authNoPriv, with --priv-key too authPriv, without keys noAuthNoPriv",
    )
    check_parser.add_argument(
        "--auth-proto", choices=tuple(AUTH_PROTOCOLS), default="SHA", help="v3 auth protocol (default SHA)"
    )
    check_parser.add_argument("--auth-key", metavar="K", help="v3 auth passphrase")
    check_parser.add_argument(
        "--priv-proto",
        choices=tuple(PRIV_PROTOCOLS),
        default="AES",
        help="v3 privacy protocol (default AES, i.e. AES-128; -C: Cisco's key extension)",
    )
    check_parser.add_argument("--priv-key", metavar="K", help="v3 privacy passphrase")
    check_parser.add_argument("--profile", choices=PROFILE_NAMES, default="generic", help="access-point vendor profile")
    check_parser.add_argument("--controller", choices=CONTROLLER_PROFILE_NAMES, metavar="PROFILE",
                              help="poll as a WLAN controller with this profile and list its access points "
                              f"({', '.join(CONTROLLER_PROFILE_NAMES)})")
    check_parser.add_argument("--row-index", default="", metavar="INDEX", help="controller row index of the AP")
    check_parser.add_argument("--if-index", type=int, metavar="N", help="poll as an uplink router, this interface")
    check_parser.add_argument("--if-name", metavar="NAME",
                              help="poll as an uplink router, the interface of this ifName, ifAlias or ifDescr")
    check_parser.add_argument("--json", action="store_true", help="print the result as JSON")
    _add_polling_options(check_parser, concurrency=False)

    sweep_parser = commands.add_parser(
        "sweep",
        help="poll the targets of a local file, without a server (benchmarks, offline checks)",
        description="Poll every target of a JSON file (a target list or a list of targets) and print a summary.",
    )
    sweep_parser.add_argument("--targets-file", required=True, metavar="FILE")
    sweep_parser.add_argument("--samples-out", metavar="FILE", help="write the samples as JSON lines")
    _add_polling_options(sweep_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_CONFIG
    if getattr(args, "concurrency", 1) < 1 or getattr(args, "batch_size", 1) < 1:
        parser.error("--concurrency and --batch-size must be at least 1")
    if getattr(args, "workers", 0) < 0:
        parser.error("--workers must not be negative (0: automatic)")
    if args.timeout <= 0 or args.retries < 0:
        parser.error("--timeout must be positive and --retries not negative")
    command = {"run": run, "check": check, "sweep": sweep}[args.command]
    return command(args)


if __name__ == "__main__":
    sys.exit(main())
