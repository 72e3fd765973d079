"""The real directory the LDAP tests talk to: one slapd per test session (started on first use)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sso.slapd import Directory, running_directory


@pytest.fixture(scope="session")
def directory() -> Iterator[Directory]:
    with tempfile.TemporaryDirectory(prefix="schoolit-slapd-") as workdir, running_directory(Path(workdir)) as server:
        yield server
