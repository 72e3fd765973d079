"""The `schoolit` command: help everywhere, one clear line and exit 2 for configuration errors."""

from __future__ import annotations

import pytest

from tests.support import run_cli


@pytest.mark.parametrize("command", [[], ["serve"], ["migrate"], ["seed"], ["demo"], ["backup"], ["restore"]])
def test_help_everywhere(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: schoolit")


def test_unreachable_database_is_one_line_and_exit_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("migrate", env={"DATABASE_URL": "postgresql://schoolit:topsecret@127.0.0.1:1/schoolit",
                                     "DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("schoolit: error: cannot reach the database at postgresql://schoolit:***@127.0.0.1:1/")
    assert "topsecret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_without_secret_key_is_one_line_and_exit_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("serve", env={"SECRET_KEY": "", "DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "schoolit: error: SECRET_KEY is not set (generate one with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(48))')"
    ]


def test_seed_needs_a_dataset() -> None:
    result = run_cli("seed")
    assert result.returncode == 2
    assert "--demo" in result.stderr


def test_probe_agent_entry_point() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "schoolit.probes.agent", "--help"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: schoolit-probe")
