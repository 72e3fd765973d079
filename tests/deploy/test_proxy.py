"""The nginx example, read as text (nginx itself is not installed for the tests: Debian's package
would start a server on port 80): TLS, forwarded headers, request ids, /metrics blocked, and the
upstream on loopback where `schoolit serve` listens."""

from __future__ import annotations

import re

from schoolit.settings import load_settings
from tests.deploy.commands import ROOT

CONF = (ROOT / "deploy" / "nginx-schoolit.conf").read_text()
# One directive per line, comments dropped, runs of blanks collapsed.
DIRECTIVES = [" ".join(line.split("#", 1)[0].split()) for line in CONF.splitlines() if line.split("#", 1)[0].strip()]


def test_tls_and_redirect() -> None:
    assert "listen 443 ssl http2;" in DIRECTIVES
    assert any(d.startswith("ssl_certificate ") for d in DIRECTIVES)
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in DIRECTIVES
    assert "return 301 https://$host$request_uri;" in DIRECTIVES
    assert any(d.startswith("add_header Strict-Transport-Security") for d in DIRECTIVES)


def test_forwarded_headers_and_request_id() -> None:
    # Overwritten, not appended ($proxy_add_x_forwarded_for): the client cannot forge its address.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in DIRECTIVES
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in DIRECTIVES
    assert "proxy_set_header X-Request-ID $schoolit_request_id;" in DIRECTIVES
    start = DIRECTIVES.index("map $http_x_request_id $schoolit_request_id {")
    assert DIRECTIVES[start + 1:start + 4] == ["default $http_x_request_id;", '"" $request_id;', "}"]


def test_upstream_is_the_loopback_app_and_metrics_are_blocked() -> None:
    defaults = load_settings({"DATA_DIR": "/nonexistent"})
    assert f"server {defaults.host}:{defaults.port};" in DIRECTIVES
    # The proxy's own address is what the app trusts by default.
    assert [str(n) for n in defaults.trusted_proxies] == [f"{defaults.host}/32"]
    block = re.search(r"location = /metrics \{\s*return 404;\s*\}", CONF)
    assert block is not None
    assert CONF.count("{") == CONF.count("}")


def test_probe_batches_go_to_the_ingest_server_and_fall_back_to_the_main_one() -> None:
    defaults = load_settings({"DATA_DIR": "/nonexistent"})
    block = re.search(r"upstream schoolit_ingest \{([^}]*)\}", CONF)
    assert block is not None
    servers = [" ".join(line.split()) for line in block.group(1).splitlines() if line.strip().startswith("server")]
    assert servers == [f"server {defaults.host}:8001;", f"server {defaults.host}:{defaults.port} backup;"]
    location = re.search(r"location = /api/v1/probe/samples \{\s*proxy_pass http://schoolit_ingest;\s*\}", CONF)
    assert location is not None
    # Both locations inherit the server block's headers: a location with a header of its own would drop them all.
    assert CONF.count("proxy_set_header X-Forwarded-For") == 1
    assert re.search(r"location / \{\s*proxy_pass http://schoolit_app;\s*\}", CONF) is not None
