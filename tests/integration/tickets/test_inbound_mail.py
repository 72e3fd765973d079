"""The inbound mail channel against a real IMAP server (dovecot, started once for the module) and the
real SMTP sink: a school's mail opens a ticket, the answer to our mail becomes a comment, auto-replies
and bounces are ignored, an unknown sender waits in the triage, an oversized attachment is kept off
with a note, and a failure between fetch and commit leaves exactly one ticket after the next run."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import asyncpg
import httpx
import pytest

from schoolit.errors import ValidationFailed
from schoolit.settings import Settings
from schoolit.sql import fetch
from schoolit.tickets import inbound, mail, mailboxes, notifications, services
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.tickets.dovecot import Imap, running_imap
from tests.integration.tickets.test_mail import Inbox, smtp_server, smtp_settings  # noqa: F401 (a fixture)
from tests.integration.tickets.test_tickets_api import _scope
from tests.integration.tickets.world import category_id
from tests.integration.world import World
from tests.support import free_port

CONTACT = "it@kib.test.example"  # the world's school contact of the Nordpfalzgymnasium (kib)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def imap() -> Iterator[Imap]:
    with running_imap() as server:
        yield server


def _box(imap: Imap, **changes: Any) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": imap.port, "tls": "off", "username": imap.user, "password": imap.password,
            "folder": "INBOX", **changes}


@pytest.fixture
async def mailbox(imap: Imap, world: World) -> AsyncIterator[dict[str, Any]]:
    """The arrangement's mailbox, over an emptied INBOX."""
    async with mailboxes.connected(_box(imap)) as client:
        await client.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
        await client.expunge()
    admin = await _scope(world, "admin")
    yield await mailboxes.create_mailbox(admin, mailboxes.MailboxInput(
        name="Verbund-Support", owner=f"arrangement:{world.arrangement_id}", host="127.0.0.1", port=imap.port,
        tls="off", username=imap.user, password=imap.password))


def message(sender: str, subject: str, body: str, **headers: str) -> EmailMessage:
    mail_ = EmailMessage()
    mail_["From"] = sender
    mail_["To"] = "support@kreis.test.example"
    mail_["Subject"] = subject
    mail_["Message-ID"] = make_msgid(domain="mail.test.example")
    for name, value in headers.items():
        mail_[name.replace("_", "-")] = value
    mail_.set_content(body)
    return mail_


def taken(**counts: int) -> dict[str, int]:
    """What one run of the job reports: one mailbox read, and how many messages became what."""
    return {"mailboxes": 1, **dict.fromkeys(inbound.OUTCOMES, 0), **counts}


async def deliver(imap: Imap, *messages: EmailMessage) -> None:
    async with mailboxes.connected(_box(imap)) as client:
        for item in messages:
            assert (await client.append(item.as_bytes(), mailbox="INBOX")).result == "OK"


async def unseen(imap: Imap) -> list[str]:
    async with mailboxes.connected(_box(imap)) as client:
        return mailboxes.uids_of(await client.uid_search("UNSEEN"))


async def tickets_from(sender: str) -> list[dict[str, Any]]:
    return await fetch("SELECT id, number, school_id, source, subject, description, reporter_email, status "
                       "FROM ticket WHERE reporter_email = {} ORDER BY id", sender)


async def events(ticket_id: int) -> list[dict[str, Any]]:
    return await fetch("SELECT kind, public, actor_id, actor_label, body FROM ticket_event WHERE ticket_id = {} "
                       "ORDER BY id", ticket_id)


async def test_new_mail_opens_a_ticket_and_replies_become_comments(
        imap: Imap, mailbox: dict[str, Any], world: World, settings: Settings,
        smtp_server: tuple[Inbox, int]) -> None:  # noqa: F811 (the fixture)
    inbox, port = smtp_server
    await deliver(imap, message(f"IT Kirchheimbolanden <{CONTACT}>", "Beamer in Raum 104 bleibt dunkel",
                                "Der Beamer geht seit heute Morgen nicht mehr an."))
    assert (await inbound.fetch_all()) == taken(ticket=1)
    [ticket] = await tickets_from(CONTACT)
    assert ticket["school_id"] == world.schools["kib"]["id"]
    assert ticket["source"] == "email"
    assert ticket["subject"] == "Beamer in Raum 104 bleibt dunkel"
    assert ticket["description"] == "Der Beamer geht seit heute Morgen nicht mehr an."
    assert await unseen(imap) == []  # marked processed after the commit
    assert await inbound.fetch_all() == taken()

    # Our confirmation goes out through the real SMTP sink; the school answers it from its mail client.
    await notifications.dispatch_all()
    assert await mail.send_due(smtp_settings(settings, port)) >= 1
    [confirmation] = [m for m in inbox.messages if m["To"] == CONTACT and ticket["number"] in m["Subject"]]
    assert confirmation["Auto-Submitted"] == "auto-generated"
    assert f"ticket{ticket['id']}" in confirmation["Message-ID"]
    answer = message(CONTACT, "AW: " + confirmation["Subject"].replace(ticket["number"], "").strip(),
                     "Nachtrag: auch der Ersatzbeamer zeigt nichts.\n\nAm 05.12.2026 schrieb Support:\n> Danke",
                     In_Reply_To=confirmation["Message-ID"], References=confirmation["Message-ID"])
    # A supporter answers a notification by its subject alone (their client dropped the references).
    notified = [m for m in inbox.messages if m["To"] == "support@verbund.test.example"
                and ticket["number"] in m["Subject"]]
    assert notified, "the supporters were told about the new ticket"
    supporter = message("support@verbund.test.example", "Re: " + notified[0]["Subject"],
                        "Wir kommen morgen um 8 Uhr vorbei.\n-----Ursprüngliche Nachricht-----\nalter Text")
    # A stranger naming the ticket number in the subject is not taken as an answer to it.
    stranger = message("jemand@anderswo.test.example", f"Re: {ticket['number']}", "Ich auch!")
    await deliver(imap, answer, supporter, stranger)
    assert (await inbound.fetch_all()) == taken(comment=2, triage=1)
    timeline = [(e["kind"], e["public"], e["actor_id"], e["body"]) for e in await events(ticket["id"])]
    assert ("comment", True, world.users["school_contact"]["id"],
            "Nachtrag: auch der Ersatzbeamer zeigt nichts.") in timeline
    assert ("comment", True, world.users["verbund_supporter"]["id"], "Wir kommen morgen um 8 Uhr vorbei.") in timeline
    assert not any("Ich auch" in (body or "") for _k, _p, _a, body in timeline)
    # The supporter's comment is mailed to the reporter, as one written on the page would be.
    replies = await fetch("SELECT subject FROM outbox_mail WHERE ticket_id = {} AND recipient = {} AND sent_at IS NULL",
                          ticket["id"], CONTACT)
    assert [r["subject"] for r in replies] == [f"Ticket {ticket['number']}: neue Antwort"]
    assert await unseen(imap) == []


async def test_reporter_without_account_replies_and_a_closed_ticket_gets_a_follow_up(
        imap: Imap, mailbox: dict[str, Any], world: World) -> None:
    supporter = await _scope(world, "verbund_supporter")
    await inbound.assign_school(supporter, await _waiting_id(imap, "eltern@familie.test.example"),
                                world.schools["rok"]["id"], remember="address")
    [ticket] = await tickets_from("eltern@familie.test.example")
    [sent] = await fetch("SELECT message_id FROM outbox_mail WHERE ticket_id = {} AND recipient = {}",
                         ticket["id"], "eltern@familie.test.example")
    await deliver(imap, message("eltern@familie.test.example", "Re: Ihre Meldung", "Es geht wieder.",
                                In_Reply_To=sent["message_id"]))
    await inbound.fetch_all()
    assert [(e["kind"], e["actor_label"], e["body"]) for e in await events(ticket["id"])][-1] == (
        "reply", "eltern@familie.test.example", "Es geht wieder.")
    await fetch("UPDATE ticket SET status = 'closed', closed_at = now() WHERE id = {}", ticket["id"])
    await deliver(imap, message("eltern@familie.test.example", "Re: Ihre Meldung", "Jetzt wieder kaputt.",
                                In_Reply_To=sent["message_id"]))
    assert (await inbound.fetch_all()) == taken(ticket=1)
    first, follow_up = await tickets_from("eltern@familie.test.example")
    assert follow_up["school_id"] == world.schools["rok"]["id"]  # the address was remembered in the triage
    assert follow_up["description"].startswith(f"Folgemeldung zum geschlossenen Ticket {first['number']}.")


async def _waiting_id(imap: Imap, sender: str) -> int:
    await deliver(imap, message(sender, "WLAN im Lehrerzimmer", "Kein Netz seit Montag."))
    assert (await inbound.fetch_all()) == taken(triage=1)
    rows = await fetch("SELECT id FROM inbound_mail WHERE sender = {} AND outcome = 'triage'", sender)
    return int(rows[0]["id"])


async def test_auto_replies_bounces_and_loops_are_ignored(imap: Imap, mailbox: dict[str, Any], world: World,
                                                          settings: Settings) -> None:
    contact = await _scope(world, "school_contact")
    ticket, _token = await services.create_ticket(contact, services.NewTicket(
        school_id=world.schools["kib"]["id"], category_id=await category_id(), subject="Drucker",
        reporter_email=CONTACT))
    [ours] = await fetch("SELECT message_id FROM outbox_mail WHERE ticket_id = {}", ticket["id"])
    bounce = message("MAILER-DAEMON@mail.test.example", "Undelivered Mail Returned to Sender",
                     "The mail system could not deliver your message.")
    bounce.make_mixed()
    bounce.replace_header("Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"')
    await deliver(
        imap,
        message(CONTACT, f"Abwesenheit: {ticket['number']}", "Ich bin bis Montag nicht im Haus.",
                Auto_Submitted="auto-replied", In_Reply_To=ours["message_id"]),
        message(CONTACT, "Automatische Antwort", "Bin im Urlaub.", X_Autoreply="yes"),
        message(CONTACT, "Newsletter Schul-IT", "Neues aus dem Land.", Precedence="bulk"),
        message(CONTACT, "Out of office", "Away.", Precedence="auto_reply"),
        bounce,
        message(f"Schul-IT <{settings.smtp_from}>", f"Ticket {ticket['number']}: neue Antwort", "Unser eigener Text."),
    )
    before = await fetch("SELECT count(*)::int AS n FROM outbox_mail")
    assert (await inbound.fetch_all()) == taken(ignored=6)
    reasons = [row["reason"] for row in await fetch("SELECT reason FROM inbound_mail WHERE mailbox_id = {} "
                                                    "ORDER BY id", mailbox["id"])]
    assert reasons == ["Auto-Submitted: auto-replied", "X-Autoreply header", "Precedence: bulk",
                       "Precedence: auto_reply", "delivery report (multipart/report)",
                       "sent by our own address (loop)"]
    assert [e["kind"] for e in await events(ticket["id"])] == ["created"]  # no comment from any of them
    assert len(await tickets_from(CONTACT)) == 1
    assert await fetch("SELECT count(*)::int AS n FROM outbox_mail") == before  # nothing answered
    assert await unseen(imap) == []


async def test_unknown_sender_waits_in_the_triage_until_a_supporter_names_the_school(
        imap: Imap, mailbox: dict[str, Any], world: World) -> None:
    first = message("Frau Lehmann <lehmann@igs-rockenhausen.test.example>", "Tablets laden nicht",
                    "Der Tablet-Koffer lädt nicht mehr.")
    first.add_attachment(PNG, maintype="image", subtype="png", filename="koffer.png")
    await deliver(imap, first)
    assert (await inbound.fetch_all()) == taken(triage=1)
    assert await tickets_from("lehmann@igs-rockenhausen.test.example") == []
    assert await unseen(imap) == []  # taken and kept: the triage holds it

    foreign = await _scope(world, "ludwigsburg_supporter")
    # The world has a waiting mail in each team's mailbox; another county's team does not see this one.
    assert [w["sender"] for w in await inbound.triage(foreign)] == ["unbekannt-ludwigsburg@elsewhere.example"]
    supporter = await _scope(world, "verbund_supporter")
    world_mail, waiting = await inbound.triage(supporter)
    assert world_mail["sender"] == "unbekannt-verbund@elsewhere.example"
    assert (waiting["sender"], waiting["subject"], waiting["attachments"]) == (
        "lehmann@igs-rockenhausen.test.example", "Tablets laden nicht", ["koffer.png"])
    assert waiting["preview"] == "Der Tablet-Koffer lädt nicht mehr."
    assert waiting["domain"] == "igs-rockenhausen.test.example"
    assert {s["id"] for s in waiting["schools"]} == {world.schools[k]["id"] for k in ("kib", "rok", "kus")}
    with pytest.raises(ValidationFailed) as refused:
        await inbound.assign_school(supporter, waiting["id"], world.schools["lb"]["id"])
    assert [e.field for e in refused.value.errors] == ["school_id"]
    ticket = await inbound.assign_school(supporter, waiting["id"], world.schools["rok"]["id"], remember="domain")
    assert ticket["school_id"] == world.schools["rok"]["id"] and ticket["source"] == "email"
    files = await fetch("SELECT filename, content_type FROM ticket_attachment WHERE ticket_id = {}", ticket["id"])
    assert [(f["filename"], f["content_type"]) for f in files] == [("koffer.png", "image/png")]
    assert await inbound.triage(supporter) == [world_mail]
    [row] = await fetch("SELECT outcome, raw_message, assigned_by FROM inbound_mail WHERE ticket_id = {}", ticket["id"])
    assert (row["outcome"], row["raw_message"], row["assigned_by"]) == ("ticket", None, "support@verbund.test.example")

    # The domain is remembered: a colleague's mail opens its ticket at once.
    await deliver(imap, message("hausmeister@igs-rockenhausen.test.example", "Switch piept", "Im Keller."))
    assert (await inbound.fetch_all()) == taken(ticket=1)
    [colleague] = await tickets_from("hausmeister@igs-rockenhausen.test.example")
    assert colleague["school_id"] == world.schools["rok"]["id"]

    # A free-mail domain is never given to one school; spam can be dismissed (kept as ignored).
    await deliver(imap, message("gewinn@gmail.com", "Sie haben gewonnen", "Klicken Sie hier."))
    await inbound.fetch_all()
    _world_mail, spam = await inbound.triage(supporter)
    assert spam["domain"] == ""
    with pytest.raises(ValidationFailed) as refused:
        await inbound.assign_school(supporter, spam["id"], world.schools["rok"]["id"], remember="domain")
    assert [e.field for e in refused.value.errors] == ["remember"]
    await inbound.dismiss(supporter, spam["id"])
    assert await inbound.triage(supporter) == [world_mail]
    assert (await fetch("SELECT outcome FROM inbound_mail WHERE id = {}", spam["id"]))[0]["outcome"] == "ignored"


async def test_attachments_follow_the_web_form_rules(imap: Imap, mailbox: dict[str, Any], world: World) -> None:
    mail_ = message(CONTACT, "Fotos vom Schaden", "Siehe Anhang.")
    mail_.add_attachment(PNG, maintype="image", subtype="png", filename="schaden.png")
    mail_.add_attachment(b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024), maintype="application", subtype="pdf",
                         filename="handbuch.pdf")
    mail_.add_attachment(b"MZ\x90\x00" + b"\x00" * 100, maintype="application", subtype="octet-stream",
                         filename="setup.exe")
    await deliver(imap, mail_)
    assert (await inbound.fetch_all()) == taken(ticket=1)
    [ticket] = await tickets_from(CONTACT)
    files = await fetch("SELECT filename, size FROM ticket_attachment WHERE ticket_id = {}", ticket["id"])
    assert [(f["filename"], f["size"]) for f in files] == [("schaden.png", len(PNG))]
    assert ticket["description"] == (
        "Siehe Anhang.\n\n"
        "Anhang handbuch.pdf wurde nicht übernommen: die Datei ist größer als 10 MiB\n"
        "Anhang setup.exe wurde nicht übernommen: nur Bilder (PNG, JPEG, GIF, WebP) und PDF werden angenommen")


async def test_a_failure_before_the_commit_loses_nothing_and_duplicates_nothing(
        imap: Imap, mailbox: dict[str, Any], world: World, settings: Settings) -> None:
    # The record of the message is the transaction's last write. Another session holds an uncommitted
    # record of the same Message-ID (as a second fetcher that then died would), so PostgreSQL makes that
    # write wait and, after the lock timeout, refuses it: the ticket's rows are written by then and must
    # go with it, as with a crash or a lost connection at the commit.
    await fetch("SET LOCAL lock_timeout = '300ms'")
    mail_ = message(CONTACT, "Whiteboard defekt", "Raum 12.")
    other = await asyncpg.connect(settings.database_url)
    try:
        holding = other.transaction()
        await holding.start()
        await other.execute("INSERT INTO inbound_mail (message_id, outcome) VALUES ($1, 'ignored')",
                            mail_["Message-ID"])
        await deliver(imap, mail_)
        with pytest.raises(inbound.InboundFailed, match="1 message"):
            await inbound.fetch_all()
        assert await tickets_from(CONTACT) == []  # nothing of it committed
        assert len(await unseen(imap)) == 1  # and the message is still there, unread
        [box] = await fetch("SELECT last_error FROM mailbox WHERE id = {}", mailbox["id"])
        assert box["last_error"] == "1 message not processed (left unread)"
        await holding.rollback()  # the other fetcher is gone
    finally:
        await other.close()

    assert (await inbound.fetch_all()) == taken(ticket=1)
    assert len(await tickets_from(CONTACT)) == 1
    assert await unseen(imap) == []

    # Committed, but the process died before it marked the message: the next run only marks it.
    async with mailboxes.connected(_box(imap)) as client:
        await client.store("1:*", "-FLAGS.SILENT", r"(\Seen)")
    assert len(await unseen(imap)) == 1
    assert (await inbound.fetch_all()) == taken(duplicate=1)
    assert len(await tickets_from(CONTACT)) == 1
    assert await unseen(imap) == []


async def test_a_message_that_cannot_be_processed_waits_in_the_triage(
        imap: Imap, mailbox: dict[str, Any], world: World) -> None:
    # Opening its ticket fails (every category switched off: no category for it) while the triage entry
    # can still be written.
    await fetch("UPDATE ticket_category SET active = false")
    await deliver(imap, message(CONTACT, "Lautsprecher brummt", "Aula."))
    with pytest.raises(inbound.InboundFailed, match=r"kept in the triage"):
        await inbound.fetch_all()
    assert await unseen(imap) == []  # taken: it does not block the mailbox
    [row] = await fetch("SELECT id, outcome, reason FROM inbound_mail WHERE mailbox_id = {}", mailbox["id"])
    assert row["outcome"] == "triage" and row["reason"].startswith("not processed: ")
    assert "no ticket category" in row["reason"]
    await fetch("UPDATE ticket_category SET active = true")
    assert await inbound.fetch_all() == taken()  # nothing is taken twice
    supporter = await _scope(world, "verbund_supporter")
    ticket = await inbound.assign_school(supporter, row["id"], world.schools["kib"]["id"])
    assert ticket["subject"] == "Lautsprecher brummt"


async def test_an_unreachable_mailbox_fails_the_job_but_the_others_are_read(
        imap: Imap, mailbox: dict[str, Any], world: World) -> None:
    admin = await _scope(world, "admin")
    broken = await mailboxes.create_mailbox(admin, mailboxes.MailboxInput(
        name="Kusel alt", owner=f"county:{world.counties['kusel']}", host="127.0.0.1", port=free_port(), tls="off",
        username="alt@kusel.test.example", password="x"))
    await deliver(imap, message(CONTACT, "Tafel flackert", "Raum 3."))
    with pytest.raises(inbound.InboundFailed, match=r"Kusel alt: cannot connect to 127\.0\.0\.1"):
        await inbound.fetch_all()
    assert [t["subject"] for t in await tickets_from(CONTACT)] == ["Tafel flackert"]  # the other one was read
    [row] = await fetch("SELECT last_error, last_fetch_at FROM mailbox WHERE id = {}", broken["id"])
    assert row["last_error"].startswith("cannot connect to 127.0.0.1:") and row["last_fetch_at"] is not None


async def test_done_folder_tls_modes_and_the_stored_password(imap: Imap, world: World,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(imap.certificates.ca_file))
    admin = await _scope(world, "admin")
    county = world.counties["kusel"]
    created = []
    for tls, port in (("tls", imap.tls_port), ("starttls", imap.port)):
        created.append(await mailboxes.create_mailbox(admin, mailboxes.MailboxInput(
            name=f"Kusel {tls}", owner=f"county:{county}", host="127.0.0.1", port=port, tls=tls,
            username=imap.user, password=imap.password, done_folder="Erledigt")))
        assert (await mailboxes.test_connection(admin, created[-1]["id"])).isdigit()
    [stored] = await fetch("SELECT password FROM mailbox WHERE id = {}", created[0]["id"])
    assert stored["password"] != imap.password and imap.password not in str(created[0])
    # An empty password in the form keeps the stored one; a wrong one is refused by the server.
    form = mailboxes.MailboxInput(name="Kusel tls", owner=f"county:{county}", host="127.0.0.1", port=imap.tls_port,
                                  tls="tls", username=imap.user, password="", done_folder="Erledigt")
    await mailboxes.update_mailbox(admin, created[0]["id"], form)
    assert (await mailboxes.test_connection(admin, created[0]["id"])).isdigit()
    await mailboxes.update_mailbox(admin, created[0]["id"], dataclasses.replace(form, password="falsch"))
    with pytest.raises(mailboxes.MailboxError, match="login refused"):
        await mailboxes.test_connection(admin, created[0]["id"])
    await mailboxes.delete_mailbox(admin, created[0]["id"])

    async with mailboxes.connected(_box(imap)) as client:
        await client.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
        await client.expunge()
    await deliver(imap, message("unbekannt@kusel.test.example", "Hallo", "Text"))
    assert (await inbound.fetch_all()) == taken(triage=1)
    async with mailboxes.connected(_box(imap, folder="Erledigt")) as client:
        moved = mailboxes.uids_of(await client.uid_search("ALL"))
    assert moved and await unseen(imap) == []


def test_auto_reply_recognition_without_a_server() -> None:
    own = frozenset({"support@schoolit.example"})
    plain = message("a@b.test.example", "x", "y")
    assert inbound.parse(plain.as_bytes(), own).auto == ""
    assert inbound.parse(message("a@b.test.example", "x", "y", Auto_Submitted="no").as_bytes(), own).auto == ""
    assert inbound.parse(message("SUPPORT@schoolit.example", "x", "y").as_bytes(), own).auto.startswith("sent by")
    assert inbound.parse(message("postmaster@b.test.example", "x", "y").as_bytes(), own).auto.startswith("bounce")
    assert inbound.parse(message("a@b.test.example", "x", "y", Return_Path="<>").as_bytes(), own).auto.startswith(
        "bounce")
    assert inbound.strip_quote("Antwort\n\nOn Mon, 1 Dec 2026, Support wrote:\n> alt") == "Antwort"
    assert inbound.html_text("<p>Hallo<br>Welt</p><script>x()</script>") == "Hallo\nWelt"


async def test_mailbox_admin_page(client: httpx.AsyncClient, imap: Imap, world: World) -> None:
    await login(client, "admin@test.example")
    page = await client.get("/admin/mailboxes")
    assert page.status_code == 200 and "Postfach verbund" in page.text and "geheim" not in page.text
    token = await csrf_token(client, "/admin/mailboxes")
    bad = await client.post("/admin/mailboxes", data={"_csrf_token": token, "name": "", "owner": "", "host": "a b",
                                                      "port": "0", "tls": "ssl", "username": "", "password": ""})
    assert bad.status_code == 422
    for text in ("muss 1 bis 120 Zeichen lang sein", "wählen Sie einen Verbund oder einen Landkreis",
                 "ein Hostname oder eine Adresse", "muss zwischen 1 und 65535 liegen",
                 "unbekannte Verschlüsselungsart"):
        assert text in bad.text
    form = {"_csrf_token": token, "name": "Kusel Support", "owner": f"county:{world.counties['kusel']}",
            "host": "127.0.0.1", "port": str(imap.port), "tls": "off", "username": imap.user,
            "password": imap.password, "folder": "INBOX", "active": "yes"}
    assert (await client.post("/admin/mailboxes", data=form)).status_code == 303
    [box] = await fetch("SELECT id, password FROM mailbox WHERE name = 'Kusel Support'")
    assert box["password"] != imap.password
    listed = await client.get("/admin/mailboxes")
    assert "Kusel Support" in listed.text and imap.password not in listed.text
    edit = await client.get(f"/admin/mailboxes/{box['id']}")
    assert "Postfach ändern" in edit.text and imap.password not in edit.text
    tested = await client.post(f"/admin/mailboxes/{box['id']}/test", data={"_csrf_token": token})
    assert "Verbindung funktioniert: 0 ungelesene Nachrichten im Ordner." in tested.text
    await deliver(imap, message("neu@elsewhere.example", "Drucker", "Papierstau"))
    tested = await client.post(f"/admin/mailboxes/{box['id']}/test", data={"_csrf_token": token})
    assert "Verbindung funktioniert: 1 ungelesene Nachricht im Ordner." in tested.text
    changed = await client.post(f"/admin/mailboxes/{box['id']}", data={**form, "password": "", "port": "9"})
    assert changed.status_code == 303
    failed = await client.post(f"/admin/mailboxes/{box['id']}/test", data={"_csrf_token": token})
    assert "Verbindung fehlgeschlagen:" in failed.text and "127.0.0.1:9" in failed.text
    assert (await fetch("SELECT password FROM mailbox WHERE id = {}", box["id"]))[0]["password"] == box["password"]
    assert (await client.post(f"/admin/mailboxes/{box['id']}/delete", data={"_csrf_token": token})).status_code == 303
    assert not await fetch("SELECT 1 FROM mailbox WHERE id = {}", box["id"])
    actions = [a["action"] for a in await fetch("SELECT action FROM audit_log WHERE object_type = 'mailbox' "
                                                "AND object_id = {} ORDER BY id", str(box["id"]))]
    assert actions == ["mailbox.create", "mailbox.update", "mailbox.delete"]

    await login(client, "support@verbund.test.example")
    assert (await client.get("/admin/mailboxes")).status_code == 403


async def test_triage_page(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    start = await client.get("/")
    assert 'data-testid="start-triage"' in start.text
    assert "1 Mail eines unbekannten Absenders wartet auf die Zuordnung zu einer Schule." in start.text
    page = await client.get("/mail-triage")
    assert page.status_code == 200
    assert "unbekannt-verbund@elsewhere.example" in page.text and "Drucker kaputt" in page.text
    assert "unbekannt-ludwigsburg@elsewhere.example" not in page.text
    assert "Mörike-Gymnasium" not in page.text and "IGS Rockenhausen (41002)" in page.text
    assert "von allen @elsewhere.example: immer diese Schule" in page.text
    token = await csrf_token(client, "/mail-triage")
    waiting = world.inbound_ids["verbund"]  # type: ignore[attr-defined]
    refused = await client.post(f"/mail-triage/{waiting}/assign",
                                data={"_csrf_token": token, "school_id": str(world.schools["lb"]["id"])})
    assert refused.status_code == 422 and "wählen Sie eine Schule der Landkreise dieses Postfachs" in refused.text
    done = await client.post(f"/mail-triage/{waiting}/assign", data={
        "_csrf_token": token, "school_id": str(world.schools["rok"]["id"]), "remember": "address"})
    assert done.status_code == 303
    [ticket] = await tickets_from("unbekannt-verbund@elsewhere.example")
    assert done.headers["location"] == f"/mail-triage?done={ticket['id']}"
    after = await client.get(done.headers["location"])
    assert "Das Ticket ist angelegt." in after.text and "Keine Mail wartet auf eine Schule." in after.text
    assert 'data-testid="start-triage"' not in (await client.get("/")).text  # no panel while none waits
    assert (await fetch("SELECT school_id FROM mail_sender WHERE pattern = 'unbekannt-verbund@elsewhere.example'")
            )[0]["school_id"] == world.schools["rok"]["id"]

    foreign = world.inbound_ids["ludwigsburg"]  # type: ignore[attr-defined]
    assert (await client.post(f"/mail-triage/{foreign}/dismiss", data={"_csrf_token": token})).status_code == 404
    await login(client, "it@kib.test.example")
    assert (await client.get("/mail-triage")).status_code == 403
