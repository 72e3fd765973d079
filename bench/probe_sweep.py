"""Probe sweep benchmark: schoolit-probe against Prometheus snmp_exporter on the same 2,000 targets.

Net-SNMP `snmpd` answers on many loopback ports (each port is a "device"); 10 % of the targets point
at closed ports (dead devices the kernel refuses at once) and `--silent` (default 5 %) at ports where a
socket is bound and never read: dead devices as they really are, silent, each costing both tools the
whole timeout budget (timeout x (retries + 1)). One snmpd stops listening after 128 ports (a Net-SNMP limit, see
net-snmp issue #454), so the 1,800 live ports are spread over as few snmpd processes as that allows
(15, at most 120 ports each); only 127.0.0.1 is used. Every target is an uplink poll: sysUpTime, sysName, sysObjectID
and ifHCInOctets/ifHCOutOctets/ifHighSpeed/ifOperStatus of ifIndex 1, as SNMP v2c, timeout 1 s with
one retry for both tools.

- schoolit: `schoolit-probe sweep --targets-file FILE --concurrency N --workers W` as a subprocess
  (W processes, by default the probe's own default: one per 500 targets, at most one per core; v2c
  through pysnmp's message API, one socket per worker); wall time, CPU seconds (user + system, the
  workers included) and peak RSS from wait4(), the latter counted once per worker (an upper bound).
- reference: `prometheus-snmp-exporter` with a module asking the same OIDs, scraped once per target
  by `curl --parallel --parallel-max N` (a lean C client, so the driver does not slow the reference);
  CPU is the exporter's plus curl's, peak RSS the exporter's.

Both tools sweep `--runs` times (default 3) against the same agents, taking turns at going first (the
machine is shared, and the order should not favour either); the load average is printed
before and after each run, and the table shows each figure's median.

Run: `.venv/bin/python bench/probe_sweep.py [--targets 2000] [--dead 0.1] [--silent 0.05] [--concurrency 64]
[--runs 3] [--workers W] [--target-ratio 1.0]`. schoolit-probe pings the devices that gave no SNMP answer
(its reachability fallback); on loopback every ping is answered at once.
Needs the Debian packages snmpd, prometheus-snmp-exporter and curl. Everything listens on 127.0.0.1
and is stopped at the end. Results go to docs/performance.md ("Probe sweep").
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import msgspec

from schoolit.probes.agent.profiles import SYSTEM_OIDS, uplink_oids
from schoolit.probes.agent.wire import ProbeTarget, TargetList
from schoolit.probes.agent.workers import auto_workers
from schoolit.probes.simulators import LOOPBACK, closed_udp_ports, net_snmp_agent_on_free_ports

IF_INDEX = 1
PORTS_PER_SNMPD = 120  # Net-SNMP snmpd opens at most ~128 listening sockets
TIMEOUT_S = 1.0
RETRIES = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class Figures:
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    answered: int
    failed: int


def run_measured(command: list[str], stdout: int | None = subprocess.PIPE) -> tuple[float, float, float, bytes]:
    """Wall seconds, CPU seconds, peak RSS (MiB) and stdout of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.DEVNULL)
    out = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def schoolit_sweep(targets_file: Path, concurrency: int, workers: int) -> Figures:
    probe = str(Path(sys.executable).with_name("schoolit-probe"))
    command = [probe, "sweep", "--targets-file", str(targets_file), "--concurrency", str(concurrency),
               "--workers", str(workers), "--timeout", str(TIMEOUT_S), "--retries", str(RETRIES)]  # fmt: skip
    wall, cpu, rss, out = run_measured(command)
    summary = msgspec.json.decode(out.strip().splitlines()[-1])
    # wait4() gives the largest process's peak, not the sum: count every worker at that peak (an
    # upper bound, as the forked workers share the parent's pages until they write to them).
    return Figures(wall, cpu, rss * workers, summary["reachable"], summary["targets"] - summary["reachable"])


def exporter_config(path: Path) -> None:
    oids = [*SYSTEM_OIDS, *uplink_oids(IF_INDEX)]
    lines = ["schoolit:", "  version: 2", "  auth:", "    community: public",
             f"  timeout: {TIMEOUT_S:g}s", f"  retries: {RETRIES}", "  get:"]  # fmt: skip
    lines += [f"  - {oid}" for oid in oids]
    lines.append("  metrics:")
    for oid in oids:
        column = oid.rsplit(".", 1)[0]
        name = "m_" + column.replace(".", "_")
        kind = "DisplayString" if oid == SYSTEM_OIDS[1] else "gauge"
        lines += [f"  - name: {name}", f"    oid: {column}", f"    type: {kind}", "    help: benchmark"]
        if not oid.endswith(".0"):
            lines += ["    indexes:", "    - labelname: ifIndex", "      type: gauge"]
    path.write_text("\n".join(lines) + "\n")


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def proc_peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def exporter_sweep(workdir: Path, ports: list[int], concurrency: int) -> Figures:
    exporter = shutil.which("prometheus-snmp-exporter")
    curl = shutil.which("curl")
    if exporter is None or curl is None:
        raise SystemExit("needs the Debian packages prometheus-snmp-exporter and curl")
    config = workdir / "snmp.yml"
    exporter_config(config)
    http_port = free_port()
    process = subprocess.Popen(
        [exporter, f"--config.file={config}", f"--web.listen-address={LOOPBACK}:{http_port}", "--log.level=error"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://{LOOPBACK}:{http_port}"
        deadline = time.monotonic() + 10
        while subprocess.run([curl, "-sf", "-o", "/dev/null", base], check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise SystemExit("snmp_exporter did not start")
            time.sleep(0.05)
        urls = workdir / "urls.txt"
        entry = 'url = "{base}/snmp?module=schoolit&target={host}:{port}"\noutput = "/dev/null"\n'
        urls.write_text("".join(entry.format(base=base, host=LOOPBACK, port=port) for port in ports))
        cpu_before = proc_cpu_s(process.pid)
        command = [curl, "-s", "--parallel", "--parallel-immediate", "--parallel-max", str(concurrency),
                   "-K", str(urls), "-w", "%{http_code}\n"]  # fmt: skip
        wall, curl_cpu, _, out = run_measured(command)
        cpu = proc_cpu_s(process.pid) - cpu_before + curl_cpu
        codes = Counter(out.decode().split())
        return Figures(wall, cpu, proc_peak_rss_mib(process.pid), codes["200"], len(ports) - codes["200"])
    finally:
        process.terminate()
        process.wait(timeout=10)


def silent_ports(count: int, agents: ExitStack) -> list[int]:
    """Loopback ports with a socket bound and never read (closed with `agents`): no answer, no refusal."""
    ports = []
    for _ in range(count):
        sock = agents.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        sock.bind((LOOPBACK, 0))
        ports.append(int(sock.getsockname()[1]))
    return ports


def start_agents(
    workdir: Path, targets: int, dead: int, silent: int = 0
) -> tuple[list[int], list[int], list[int], ExitStack]:
    """Live ports served by running snmpd processes, dead ports (closed, then silent), all ports in
    target order."""
    agents = ExitStack()
    live_ports: list[int] = []
    try:
        for n, start in enumerate(range(0, targets - dead - silent, PORTS_PER_SNMPD)):
            count = min(PORTS_PER_SNMPD, targets - dead - silent - start)
            live_ports += agents.enter_context(net_snmp_agent_on_free_ports(workdir / f"snmpd-{n}", count)).ports
        quiet = silent_ports(silent, agents)
    except BaseException:
        agents.close()
        raise
    dead_ports = closed_udp_ports(dead) + quiet  # closed: nobody listens, nor can an ephemeral socket take one
    order = live_ports + dead_ports
    random.Random(6).shuffle(order)  # the same mix of live and dead ports on every run
    return live_ports, dead_ports, order, agents


def median_figures(runs: list[Figures]) -> Figures:
    """Each figure's median over the runs (wall and CPU may come from different runs)."""
    return Figures(
        statistics.median(f.wall_s for f in runs),
        statistics.median(f.cpu_s for f in runs),
        statistics.median(f.peak_rss_mib for f in runs),
        min(f.answered for f in runs),
        max(f.failed for f in runs),
    )


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", type=int, default=2000)
    parser.add_argument("--dead", type=float, default=0.1, help="share of targets on closed ports")
    parser.add_argument("--silent", type=float, default=0.05,
                        help="share of targets on silent ports (bound, never answering, no ICMP refusal)")
    parser.add_argument("--target-ratio", type=float, default=1.0,
                        help="wall-time ratio to snmp_exporter that counts as met (issue 18: 1.0)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3, help="sweeps per tool, taking turns at going first")
    parser.add_argument("--workers", type=int, help="schoolit-probe's worker processes (default: its own default)")
    args = parser.parse_args()
    workers = args.workers or auto_workers(args.targets)

    dead_count = round(args.targets * args.dead)
    silent_count = round(args.targets * args.silent)
    ours: list[Figures] = []
    reference: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="schoolit-bench-") as tmp:
        workdir = Path(tmp)
        live_ports, dead_ports, order, agents = start_agents(workdir, args.targets, dead_count, silent_count)
        targets = [
            ProbeTarget(
                asset_kind="uplink", asset_id=n, host=LOOPBACK, port=port, community="public", if_index=IF_INDEX
            )
            for n, port in enumerate(order)
        ]
        targets_file = workdir / "targets.json"
        targets_file.write_bytes(msgspec.json.encode(TargetList(targets=targets)))
        with agents:
            # The machine is shared: the tools take turns at going first, and the load is shown per run.
            for run in range(args.runs):
                print(f"run {run + 1}: load average before {load()}", end="", flush=True)
                if run % 2 == 0:
                    ours.append(schoolit_sweep(targets_file, args.concurrency, workers))
                    reference.append(exporter_sweep(workdir, order, args.concurrency))
                else:
                    reference.append(exporter_sweep(workdir, order, args.concurrency))
                    ours.append(schoolit_sweep(targets_file, args.concurrency, workers))
                print(f", after {load()}: schoolit {ours[-1].wall_s:.2f} s (CPU {ours[-1].cpu_s:.2f} s),"
                      f" snmp_exporter {reference[-1].wall_s:.2f} s (CPU {reference[-1].cpu_s:.2f} s),"
                      f" ratio {ours[-1].wall_s / reference[-1].wall_s:.2f}")  # fmt: skip

    print(f"machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}")
    agent_count = -(-len(live_ports) // PORTS_PER_SNMPD)
    print(f"targets: {args.targets} ({len(dead_ports) - silent_count} closed, {silent_count} silent, "
          f"{len(live_ports)} live on {agent_count} snmpd), "
          f"concurrency {args.concurrency}, schoolit-probe workers {workers}, "
          f"timeout {TIMEOUT_S:g} s, retries {RETRIES}; medians of {args.runs} runs")  # fmt: skip
    print(f"{'':16}{'wall s':>9}{'CPU s':>9}{'peak RSS MiB':>14}{'answered':>10}{'failed':>8}")
    ours_median, reference_median = median_figures(ours), median_figures(reference)
    for name, figures in (("schoolit-probe", ours_median), ("snmp_exporter", reference_median)):
        print(f"{name:16}{figures.wall_s:9.2f}{figures.cpu_s:9.2f}{figures.peak_rss_mib:14.1f}"
              f"{figures.answered:10}{figures.failed:8}")  # fmt: skip
    ratio = statistics.median(o.wall_s / r.wall_s for o, r in zip(ours, reference, strict=True))
    print(f"wall-time ratio schoolit/snmp_exporter (median of the runs' ratios): {ratio:.2f}")
    met = ours_median.wall_s < 30 and ratio <= args.target_ratio and ours_median.peak_rss_mib < 200
    print(f"targets (<30 s, <={args.target_ratio:g}x, <200 MiB): {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
