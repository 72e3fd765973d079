"""The units in deploy/ pass `systemd-analyze verify`, and every command they (and the cron example)
run is one the CLI accepts.

What `verify` checks here: the unit files parse with no unknown or misplaced keys (any warning fails the
test), the sandboxing options are valid for this systemd, timers point at existing services, units named
in After=/Wants=/WantedBy= resolve, and every ExecStart*= binary exists and is executable. It runs
with `--root` on a temporary tree holding the host's own units, our units in /etc/systemd/system, and
stand-ins at the absolute ExecStart paths of a real installation (/opt/schoolit/.venv/bin/...). Users
named in User=, EnvironmentFile= and credential files are not checked by `verify` (they exist only on
an installed host).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.commands import ROOT, our_commands, parse

DEPLOY = ROOT / "deploy"
UNITS = sorted(p for p in DEPLOY.iterdir() if p.suffix in (".service", ".timer"))
SYSTEM_UNITS = Path("/usr/lib/systemd/system")
EXEC = re.compile(r"^Exec(?:Start|StartPre|StartPost|Stop|Reload)=[-@:+!]*(\S+)(.*)$", re.MULTILINE)


def _exec_lines(unit: Path) -> list[list[str]]:
    return [[m.group(1), *shlex.split(m.group(2))] for m in EXEC.finditer(unit.read_text())]


def _root(tmp_path: Path, *, stand_ins: bool = True, ours: bool = True) -> Path:
    """The scratch tree; `ours=False` leaves /etc/systemd/system empty (test_debian_install copies)."""
    root = tmp_path / "root"
    shutil.copytree(SYSTEM_UNITS, root / SYSTEM_UNITS.relative_to("/"), symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    for unit in UNITS if ours else ():
        shutil.copy(unit, root / "etc/systemd/system" / unit.name)
    if stand_ins:
        for unit in UNITS:
            for argv in _exec_lines(unit):
                stand_in = root / argv[0].lstrip("/")
                stand_in.parent.mkdir(parents=True, exist_ok=True)
                stand_in.write_text("#!/bin/sh\n")
                stand_in.chmod(0o755)
    return root


def _verify(root: Path, unit: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemd-analyze", "verify", f"--root={root}", f"/etc/systemd/system/{unit}"],
                          capture_output=True, text=True, check=False, timeout=60)


def test_units_present() -> None:
    names = {unit.name for unit in UNITS}
    assert {"schoolit.service", "schoolit-probe.service", "schoolit-probe.timer"} <= names
    for timer in (u for u in UNITS if u.suffix == ".timer"):
        assert f"Unit={timer.stem}.service" in timer.read_text()


@pytest.mark.parametrize("unit", [u.name for u in UNITS])
def test_systemd_analyze_verify(tmp_path: Path, unit: str) -> None:
    result = _verify(_root(tmp_path), unit)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # warnings (unknown keys, ...) fail the test too


def test_verify_catches_a_missing_binary(tmp_path: Path) -> None:
    """The check above is not vacuous: without the stand-ins the same verify fails."""
    result = _verify(_root(tmp_path, stand_ins=False), "schoolit.service")
    assert result.returncode != 0
    assert "/opt/schoolit/.venv/bin/schoolit" in result.stderr


@pytest.mark.parametrize("unit", ["schoolit.service", "schoolit-ingest.service"])
def test_web_service_is_sandboxed(unit: str) -> None:
    text = (DEPLOY / unit).read_text()
    for option in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                   "PrivateDevices=yes", "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service",
                   "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "User=schoolit"):
        assert option in text, option
    assert "--migrate" not in text  # upgrades migrate explicitly (docs/operations.md)


def test_ingest_server_is_the_one_nginx_sends_batches_to_at_a_lower_priority() -> None:
    (argv,) = _exec_lines(DEPLOY / "schoolit-ingest.service")
    serve = parse(argv)
    conf = (DEPLOY / "nginx-schoolit.conf").read_text()
    upstream = conf[conf.index("upstream schoolit_ingest {"):]
    assert upstream.split("\n")[1].strip() == f"server 127.0.0.1:{serve.port};"
    assert "Nice=10" in (DEPLOY / "schoolit-ingest.service").read_text().splitlines()


def test_unit_commands_exist_in_the_cli() -> None:
    commands = [argv for unit in UNITS for argv in _exec_lines(unit) if Path(argv[0]).name.startswith("schoolit")]
    assert len(commands) >= 3
    for argv in commands:
        parse(argv)
    probe = parse(next(argv for argv in commands if argv[0].endswith("schoolit-probe")))
    assert probe.token_file == "${CREDENTIALS_DIRECTORY}/probe_token"


def test_cron_example_commands_exist_in_the_cli() -> None:
    lines = [line for line in (DEPLOY / "schoolit.cron").read_text().splitlines()
             if line.strip() and not line.startswith("#") and "=" not in line.split()[0]]
    assert lines
    found = []
    for line in lines:
        fields = line.split(None, 6)  # five time fields, the user, the command
        assert len(fields) == 7, line
        found += our_commands(fields[6])
    assert {Path(argv[0]).name + " " + argv[1] for argv in found} == {
        "schoolit-probe run", "schoolit backup", "schoolit maintenance"}
    for argv in found:
        parse(argv)
