"""Who may read /metrics, and the multiprocess directory for several workers."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import pytest

from schoolit import metrics
from schoolit.settings import LOOPBACK, load_settings


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("::ffff:127.0.0.1", True),
        ("10.0.0.5", True), ("10.0.1.5", False), ("203.0.113.9", False), ("2001:db8::1", False),
        ("", False), (None, False), ("testclient", False),
    ],
)
def test_client_allowed(host: str | None, allowed: bool) -> None:
    networks = (*(ipaddress.ip_network(n) for n in LOOPBACK.split(",")), ipaddress.ip_network("10.0.0.0/24"))
    assert metrics.client_allowed(host, networks) is allowed


@pytest.fixture
def without_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """No multiprocess directory during the test, and none after it: `delenv` of an unset variable records
    nothing to restore, so a directory `prepare_workers` set would outlive the test and turn every later app
    in this process to multiprocess mode (its /metrics then read the empty directory)."""
    monkeypatch.setenv(metrics.MULTIPROC_ENV, "restored after the test")
    monkeypatch.delenv(metrics.MULTIPROC_ENV)


@pytest.mark.usefixtures("without_directory")
def test_single_worker_needs_no_shared_directory() -> None:
    metrics.prepare_workers(1)
    assert metrics.MULTIPROC_ENV not in os.environ


@pytest.mark.usefixtures("without_directory")
def test_several_workers_get_a_fresh_directory() -> None:
    metrics.prepare_workers(3)
    directory = Path(os.environ[metrics.MULTIPROC_ENV])
    assert directory.is_dir() and not any(directory.iterdir())


def test_a_configured_directory_is_emptied_of_old_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "counter_123.db").write_bytes(b"stale")
    (tmp_path / "README").write_text("not ours")
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path))
    metrics.prepare_workers(2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README"]


def test_settings_default_to_loopback(tmp_path: Path) -> None:
    settings = load_settings({"DATA_DIR": str(tmp_path)})
    assert metrics.client_allowed("127.0.0.1", settings.metrics_allow)
    assert not metrics.client_allowed("192.0.2.1", settings.metrics_allow)
    assert [str(n) for n in settings.trusted_proxies] == ["127.0.0.1/32"]
