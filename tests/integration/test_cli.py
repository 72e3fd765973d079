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


def test_serve_port_option_overrides_port(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A second server from the same settings file (the ingest server of deploy/) listens where --port says."""
    import subprocess
    import time

    import httpx

    from schoolit.probes.simulators import stop_process
    from tests.support import SCHOOLIT, child_env, free_port

    port, other = free_port(), free_port()
    process = subprocess.Popen([*SCHOOLIT, "serve", "--port", str(port)], stderr=subprocess.DEVNULL,
                               env=child_env({"HOST": "127.0.0.1", "PORT": str(other), "DATA_DIR": str(tmp_path)}))
    try:
        deadline, answer = time.monotonic() + 30, None
        while answer is None and process.poll() is None and time.monotonic() < deadline:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            except httpx.HTTPError:
                time.sleep(0.1)
        assert answer is not None and answer.status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{other}/health", timeout=1)
    finally:
        stop_process(process)

def test_serve_port_option_is_checked_like_port(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("serve", "--port", "70000", env={"DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["schoolit: error: PORT must be between 1 and 65535, not 70000"]
