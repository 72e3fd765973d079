"""The tickets commands and the mail sender in a running server, end to end against a fresh
PostgreSQL: calendars and holidays from an .ics file, the maintenance jobs, and a fault report whose
confirmation arrives at a real SMTP server (aiosmtpd) sent by the server's background sender."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pgserver
import pytest
from aiosmtpd.controller import Controller

from tests.integration.tickets.test_mail import Inbox
from tests.support import free_port, run_cli, running_server
from tests.unit.tickets.test_sla import ICS


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp_path = tmp_path_factory.mktemp("tickets-cli")
    server = pgserver.get_server(tmp_path / "pg", cleanup_mode="delete")
    env = {"DATABASE_URL": str(server.get_uri()), "DATA_DIR": str(tmp_path / "data")}
    try:
        assert run_cli("migrate", env=env).returncode == 0
        assert run_cli("seed", "--demo", env=env).returncode == 0
        yield env
    finally:
        server.cleanup()


def test_calendar_and_maintenance_commands(fresh_env: dict[str, str], tmp_path: Path) -> None:
    created = run_cli("calendar", "create", "Kreisverwaltung", "--start", "07:30", "--end", "15:30", env=fresh_env)
    assert created.returncode == 0 and "Kreisverwaltung" in created.stdout
    ics = tmp_path / "feiertage.ics"
    ics.write_text(ICS)
    imported = run_cli("calendar", "import-holidays", "Kreisverwaltung", str(ics), env=fresh_env)
    assert imported.returncode == 0 and "imported 3 new holidays" in imported.stdout
    bad = tmp_path / "kaputt.ics"
    bad.write_text("kein Kalender")
    refused = run_cli("calendar", "import-holidays", "Kreisverwaltung", str(bad), env=fresh_env)
    assert refused.returncode == 1 and "file: not an iCalendar file" in refused.stderr
    unknown = run_cli("calendar", "import-holidays", "Gibt es nicht", str(ics), env=fresh_env)
    assert unknown.returncode == 1 and "unknown calendar" in unknown.stderr
    closed = run_cli("maintenance", "close-resolved", env=fresh_env)
    assert closed.returncode == 0 and re.match(r"resolved tickets closed: \d+$", closed.stdout)
    flagged = run_cli("maintenance", "sla-breaches", env=fresh_env)
    assert flagged.returncode == 0 and flagged.stdout.startswith("tickets flagged as SLA breached: ")


def test_server_sends_the_report_confirmation(fresh_env: dict[str, str], tmp_path: Path) -> None:
    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        env = {**fresh_env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_TLS": "off",
               "SMTP_FROM": "schul-it@kreis.example", "PUBLIC_URL": "https://support.kreis.example"}
        with running_server(env, log_path=tmp_path / "server.log") as base, httpx.Client(base_url=base) as http:
            form = http.get("/report?school=50000")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
            category = re.search(r'<option value="(\d+)"', form.text)
            assert token and category
            sent = http.post("/report", data={
                "_csrf_token": token.group(1), "school_number": "50000", "category_id": category.group(1),
                "description": "Drucker im Sekretariat druckt nicht.", "email": "sekretariat@schule.example",
                "consent": "yes"})
            assert sent.status_code == 201
            number = re.search(r'data-testid="ticket-number">([^<]+)<', sent.text)
            assert number
            deadline = time.monotonic() + 30
            while not inbox.messages and time.monotonic() < deadline:
                time.sleep(0.2)  # waiting for the background sender, not asserting on time
        assert inbox.messages, "no mail arrived within 30 s"
        message = inbox.messages[0]
        assert message["To"] == "sekretariat@schule.example" and message["From"] == "schul-it@kreis.example"
        assert number.group(1) in message["Subject"]
        assert "https://support.kreis.example/track/trk_" in message.get_content()
    finally:
        smtp.stop()
