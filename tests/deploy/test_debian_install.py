"""The Debian steps of docs/operations.md, performed: the `cp` of our units and the `systemctl enable`
lines of the server install and of the probe box run against a scratch tree (`systemctl --root`), then
every enabled unit exists, is linked where its [Install] section says, passes `systemd-analyze verify`,
and every timer starts a service that was installed with it.

Only what `--root` can do offline is left out: `--now` (starting units) and `daemon-reload`.
"""

from __future__ import annotations

import glob
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.commands import ROOT
from tests.deploy.test_systemd import _exec_lines, _root, _verify

OPERATIONS = ROOT / "docs" / "operations.md"
DEPLOY = ROOT / "deploy"
INSTALLED = "/opt/schoolit/deploy/"
UNIT_DIR = "/etc/systemd/system/"
SECTIONS = ("## Install on a Debian server (no Docker)", "**Debian box with systemd**")


def _section(heading: str) -> str:
    text = OPERATIONS.read_text()
    start = text.index(heading)
    # A `## ` section ends at the next one; a bold-titled paragraph group at the next bold title too.
    ends = ("\n## ",) if heading.startswith("## ") else ("\n## ", "\n**", "\n<a id")
    end = min((i for i in (text.find(mark, start + len(heading)) for mark in ends) if i > 0), default=len(text))
    return text[start:end]


def _shell_lines(section: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def _steps(heading: str) -> tuple[list[list[str]], list[list[str]]]:
    """The doc's `cp <our units> /etc/systemd/system/` and `systemctl enable ...` lines, split into words."""
    lines = _shell_lines(_section(heading))
    copies = [shlex.split(line) for line in lines if line.startswith("cp ") and line.endswith(UNIT_DIR)]
    enables = [shlex.split(line) for line in lines if line.startswith("systemctl enable")]
    return copies, enables


def _perform(root: Path, copies: list[list[str]], enables: list[list[str]]) -> list[str]:
    """Run the doc's steps inside `root`; the units enabled."""
    for argv in copies:
        for source in argv[1:-1]:
            assert source.startswith(INSTALLED), source
            matches = sorted(glob.glob(str(DEPLOY / source.removeprefix(INSTALLED))))
            assert matches, f"docs/operations.md copies {source}, which deploy/ does not have"
            for match in matches:
                shutil.copy(match, root / UNIT_DIR.strip("/") / Path(match).name)
    enabled: list[str] = []
    for argv in enables:
        units = [word for word in argv[2:] if not word.startswith("-")]
        result = subprocess.run(["systemctl", f"--root={root}", "enable", *units], capture_output=True,
                                text=True, check=False, timeout=60)
        assert result.returncode == 0, f"{shlex.join(argv)}: {result.stderr}"
        enabled += units
    return enabled


@pytest.mark.parametrize("heading", SECTIONS)
def test_the_documented_debian_steps_install_working_units(tmp_path: Path, heading: str) -> None:
    copies, enables = _steps(heading)
    assert copies and enables, f"no cp/systemctl enable steps found under {heading!r}"
    root = _root(tmp_path, ours=False)
    enabled = _perform(root, copies, enables)
    installed = {path.name for path in (root / UNIT_DIR.strip("/")).iterdir() if path.is_file()}
    for unit in enabled:
        assert unit in installed
        target = re.search(r"^WantedBy=(\S+)", (root / UNIT_DIR.strip("/") / unit).read_text(), re.M)
        assert target, f"{unit} has no [Install] WantedBy="
        link = root / UNIT_DIR.strip("/") / f"{target.group(1)}.wants" / unit
        assert link.is_symlink(), f"enabling {unit} did not link it into {target.group(1)}"
    for name in sorted(installed):
        text = (root / UNIT_DIR.strip("/") / name).read_text()
        if name.endswith(".timer"):
            service = re.search(r"^Unit=(\S+)", text, re.M)
            assert service and service.group(1) in installed, f"{name} starts a service the steps did not install"
        result = _verify(root, name)
        assert result.returncode == 0 and result.stderr.strip() == "", f"{name}: {result.stderr}"


def test_the_server_steps_enable_the_web_server_the_backup_and_optionally_the_jobs_timer(tmp_path: Path) -> None:
    enabled = _perform(_root(tmp_path, ours=False), *_steps(SECTIONS[0]))
    assert {"schoolit.service", "schoolit-backup.timer", "schoolit-maintenance.timer"} <= set(enabled)
    section = _section(SECTIONS[0])
    # The jobs timer is for SCHEDULER=off only: the server runs the jobs itself otherwise.
    timer_block = next(block for block in re.findall(r"```sh\n(.*?)```", section, re.S)
                       if "schoolit-maintenance.timer" in block)
    assert "schoolit.service" not in timer_block
    assert "SCHEDULER=off" in section[:section.index(timer_block)].rsplit("```", 2)[-2]  # the prose before it


def test_the_maintenance_units_run_the_due_jobs() -> None:
    service = (DEPLOY / "schoolit-maintenance.service").read_text()
    assert [argv[1:] for argv in _exec_lines(DEPLOY / "schoolit-maintenance.service")] == [["maintenance", "due"]]
    assert "SCHEDULER=off" in service
    assert re.search(r"^OnCalendar=minutely$", (DEPLOY / "schoolit-maintenance.timer").read_text(), re.M)
