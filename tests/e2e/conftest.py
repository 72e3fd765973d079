"""The browser tests' server: `schoolit serve` on the demo data with one person per role (`role_server`), one
per test module, so that what one module changes never meets another's tests. A module that needs other data
defines its own `server` fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.support import role_server


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with role_server(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])) as base:
        yield base
