"""In Chromium, with a real IMAP server (dovecot): the admin adds a mailbox for the Landkreis Ahrweiler
on /admin/mailboxes and tests its connection; a mail from an unknown sender arrives and
`schoolit maintenance mail-fetch` takes it; the county's supporter finds it on /mail-triage, names the
school and opens its ticket. Both pages at 1366 and 390 px, checked with axe-core and for sideways
scrolling. Screenshots: tests/e2e/artifacts/mailboxes-<width>.png, mail-triage-<width>.png."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import expect

from schoolit.tickets import mailboxes
from tests.e2e.support import ARTIFACTS, assert_accessible, chromium, demo_database, horizontal_overflow, log_in
from tests.integration.tickets.dovecot import Imap, running_imap
from tests.support import run_cli, running_server

PASSWORD = "ein langes Passwort für das Postfach"
SUPPORTER, ADMIN = "sabine@ahrweiler.test.example", "admin@kreis.test.example"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def imap() -> Iterator[Imap]:
    with running_imap() as server:
        yield server


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with demo_database(tmp_path, email=SUPPORTER, name="Sabine Support", role="supporter", county="ahrweiler",
                       password=PASSWORD) as settings:
        result = run_cli("user", "create", "--email", ADMIN, "--name", "Anna Admin", "--role", "admin",
                         "--password-stdin", env=settings, input_text=PASSWORD + "\n")
        assert result.returncode == 0, result.stderr
        yield settings


def _deliver(imap: Imap) -> None:
    mail = EmailMessage()
    mail["From"] = "Herr Neumann <neumann@grundschule-sinzig.test.example>"
    mail["To"] = imap.user
    mail["Subject"] = "Drucker im Lehrerzimmer druckt nicht"
    mail["Message-ID"] = "<e2e-drucker@grundschule-sinzig.test.example>"
    mail.set_content("Guten Tag,\n\nder Drucker im Lehrerzimmer zeigt seit gestern Papierstau, obwohl keiner da ist.")
    mail.add_attachment(PNG, maintype="image", subtype="png", filename="anzeige.png")

    async def append() -> None:
        box = {"host": "127.0.0.1", "port": imap.port, "tls": "off", "username": imap.user,
               "password": imap.password, "folder": "INBOX"}
        async with mailboxes.connected(box) as client:
            assert (await client.append(mail.as_bytes(), mailbox="INBOX")).result == "OK"

    # Playwright's sync API runs an event loop in this thread: the IMAP client gets a thread of its own.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, append()).result(timeout=60)


def _check(page: object, name: str, width: int) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)  # type: ignore[attr-defined]
    assert horizontal_overflow(page) == 0, f"{name} at {width} px scrolls sideways"
    assert_accessible(page, f"{name} at {width} px")


def test_admin_adds_a_mailbox_and_a_supporter_assigns_a_mail(imap: Imap, env: dict[str, str],
                                                             tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with running_server(env, log_path=tmp_path / "server.log") as base, chromium() as browser:
        page = browser.new_page(base_url=base, viewport={"width": 1366, "height": 900})
        log_in(page, ADMIN, PASSWORD)
        page.get_by_role("link", name="Postfächer").click()
        expect(page.get_by_role("heading", name="Postfächer", exact=True)).to_be_visible()
        page.get_by_label("Name", exact=True).fill("Support Ahrweiler")
        page.locator("select[name=owner]").select_option(label="Landkreis Ahrweiler")
        page.get_by_label("IMAP-Server").fill("127.0.0.1")
        page.get_by_label("Port", exact=True).fill(str(imap.port))
        page.locator("select[name=tls]").select_option("off")
        page.get_by_label("Benutzername").fill(imap.user)
        page.get_by_label("Passwort", exact=True).fill(imap.password)
        page.get_by_role("button", name="Speichern").click()
        expect(page.get_by_role("heading", name="Support Ahrweiler")).to_be_visible()
        assert imap.password not in page.content()
        page.get_by_role("button", name="Verbindung testen").click()
        expect(page.get_by_test_id("test-result")).to_contain_text(
            "Verbindung funktioniert: 0 ungelesene Nachrichten")
        _check(page, "mailboxes", 1366)
        page.set_viewport_size({"width": 390, "height": 900})
        _check(page, "mailboxes", 390)
        page.close()

        _deliver(imap)
        fetched = run_cli("maintenance", "mail-fetch", env=env)
        assert fetched.returncode == 0, fetched.stderr
        assert fetched.stdout.strip() == ("mailboxes read: 1; new tickets: 0; comments: 0; to the triage: 1; "
                                          "ignored: 0; taken before: 0")

        for width in (1366, 390):
            page = browser.new_page(base_url=base, viewport={"width": width, "height": 900})
            log_in(page, SUPPORTER, PASSWORD)
            if width == 1366:
                page.get_by_role("link", name="Mail-Zuordnung").click()
            else:
                page.goto("/mail-triage")
            expect(page.get_by_role("heading", name="Drucker im Lehrerzimmer druckt nicht")).to_be_visible()
            expect(page.get_by_text("Anhänge: anzeige.png")).to_be_visible()
            _check(page, "mail-triage", width)
            if width == 390:
                page.locator("select[name=school_id]").select_option(index=1)
                page.get_by_label("von allen @grundschule-sinzig.test.example: immer diese Schule").check()
                page.get_by_role("button", name="Ticket anlegen").click()
                expect(page.get_by_role("status")).to_contain_text("Das Ticket ist angelegt.")
                expect(page.get_by_text("Keine Mail wartet auf eine Schule.")).to_be_visible()
                _check(page, "mail-triage-done", width)
                page.get_by_role("link", name="Ticket öffnen").click()
                expect(page.get_by_role("heading", name="Drucker im Lehrerzimmer druckt nicht")).to_be_visible()
                expect(page.get_by_text("anzeige.png").first).to_be_visible()
            page.close()
