"""The end of a ticket's retention (#19 item 6b): the reporter's name and e-mail address leave the ticket,
and the reporter's e-mail and IP addresses in its audit rows become stable keyed pseudonyms, while the
audit log stays append-only for the app's role and every other change is still refused by the trigger."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.sql import fetch
from schoolit.tickets import retention
from tests.integration.tickets.test_public import csrf, report
from tests.integration.world import World

PSEUDONYM = re.compile(r"^pseudonym:[0-9a-f]{16}$")
DISCARD = ipaddress.ip_network("100::/64")


async def _reported(client: httpx.AsyncClient, email: str, reply: str) -> int:
    created = await report(client, email=email)
    assert created.status_code == 201, created.text
    link = re.search(r'href="(/track/trk_[^"]+)"', created.text)
    assert link
    ticket_id = int((await fetch("SELECT id FROM ticket WHERE reporter_email = {}", email.lower()))[0]["id"])
    # Resolved a moment ago: the reporter's reply reopens it, an audited change by the reporter.
    await fetch("UPDATE ticket SET status = 'resolved', resolved_at = now() WHERE id = {}", ticket_id)
    replied = await client.post(link.group(1), data={"body": reply, "_csrf_token": await csrf(client, link.group(1))})
    assert replied.status_code == 303
    return ticket_id


async def _audit(ticket_id: int) -> list[dict[str, object]]:
    return await fetch("SELECT id, actor_kind, actor_label, host(client_ip) AS ip, action, before, after, request_id "
                       "FROM audit_log WHERE object_type = 'ticket' AND object_id = {} ORDER BY id", str(ticket_id))


async def test_reporters_become_pseudonyms_when_the_tickets_retention_ends(client: httpx.AsyncClient,
                                                                            world: World) -> None:
    expired = await _reported(client, "Lehrerin@Schule.example", "Geht wieder nicht.")
    kept = await _reported(client, "hausmeister@schule.example", "Danke!")
    await fetch("UPDATE ticket SET status = 'closed', closed_at = now() - interval '400 days' WHERE id = {}", expired)
    await fetch("UPDATE ticket SET status = 'closed', closed_at = now() - interval '30 days' WHERE id = {}", kept)
    before_expired, before_kept = await _audit(expired), await _audit(kept)
    reporter_rows = [row for row in before_expired if row["actor_kind"] == "anonymous"]
    assert [row["action"] for row in reporter_rows] == ["ticket.create", "ticket.reopen"]
    assert {row["actor_label"] for row in reporter_rows} == {"Lehrerin@Schule.example", "lehrerin@schule.example"}

    report_now = await retention.erase_reporters(Scope.system("retention"))

    assert report_now.tickets == 1 and report_now.audit_rows == 2
    after_expired = await _audit(expired)
    assert "lehrerin" not in repr(after_expired).lower()
    labels = {row["actor_label"] for row in after_expired if row["actor_kind"] == "anonymous"}
    addresses = {row["ip"] for row in after_expired if row["actor_kind"] == "anonymous"}
    assert len(labels) == 1 and PSEUDONYM.match(labels.pop() or "")  # one reporter, one stable pseudonym
    assert len(addresses) == 1 and ipaddress.ip_address(str(addresses.pop())) in DISCARD
    for old, new in zip(before_expired, after_expired, strict=True):  # nothing else changed
        assert {k: v for k, v in old.items() if k not in ("actor_label", "ip")} == \
               {k: v for k, v in new.items() if k not in ("actor_label", "ip")}
        if old["actor_kind"] != "anonymous":
            assert old == new
    assert await _audit(kept) == before_kept  # another ticket's reporter is still in retention
    tickets = {row["id"]: row for row in await fetch(
        "SELECT id, reporter_email, reporter_name FROM ticket WHERE id = ANY({})", [expired, kept])}
    assert tickets[expired]["reporter_email"] == "" and tickets[kept]["reporter_email"] == "hausmeister@schule.example"
    assert (await fetch("SELECT count(*) AS n FROM audit_log WHERE action = 'ticket.retention'"))[0]["n"] == 1

    again = await retention.erase_reporters(Scope.system("retention"))  # idempotent, pseudonyms stable
    assert (again.tickets, again.audit_rows) == (0, 0) and await _audit(expired) == after_expired

    # The same reporter on another expired ticket gets the same pseudonym.
    await fetch("UPDATE ticket SET closed_at = now() - interval '400 days' WHERE id = {}", kept)
    await retention.erase_reporters(Scope.system("retention"))
    assert {r["ip"] for r in await _audit(kept) if r["actor_kind"] == "anonymous"} == \
           {r["ip"] for r in after_expired if r["actor_kind"] == "anonymous"}


async def test_the_app_role_still_cannot_change_the_audit_log(client: httpx.AsyncClient, world: World) -> None:
    ticket_id = await _reported(client, "lehrerin@schule.example", "Noch da?")
    for statement in ("UPDATE audit_log SET actor_label = 'pseudonym:0000000000000000' WHERE object_id = {}",
                      "UPDATE audit_log SET client_ip = '100::1' WHERE object_id = {}"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with atomic():
                await fetch("SELECT set_config('schoolit.audit_pseudonymise', 'on', true)")
                await fetch(statement, str(ticket_id))
    with pytest.raises(asyncpg.InvalidParameterValueError):  # no pseudonyms for tickets closed just now
        async with atomic():
            await fetch("SELECT ticket_audit_pseudonymise(now())")


@pytest.fixture
async def owner(owner_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(owner_database_url)
    try:
        yield conn
    finally:
        await conn.close()


async def test_the_trigger_lets_only_pseudonyms_through(owner: asyncpg.Connection) -> None:
    """Even the owner, with the function's flag on, changes nothing but an anonymous actor's label into a
    pseudonym and their address into 100::/64."""
    transaction = owner.transaction()
    await transaction.start()
    try:
        await owner.execute("SELECT set_config('schoolit.audit_pseudonymise', 'on', true)")
        anonymous = await owner.fetchval(
            "INSERT INTO audit_log (actor_kind, actor_label, action, client_ip, object_type, object_id) "
            "VALUES ('anonymous', 'a@b.example', 'ticket.comment', '192.0.2.7', 'ticket', '1') RETURNING id")
        user = await owner.fetchval("INSERT INTO audit_log (actor_kind, actor_label, action, client_ip) "
                                    "VALUES ('user', 'admin@b.example', 'user.create', '192.0.2.8') RETURNING id")
        refused = (
            ("UPDATE audit_log SET action = 'nothing' WHERE id = $1", anonymous),
            ("UPDATE audit_log SET actor_label = 'someone else' WHERE id = $1", anonymous),
            ("UPDATE audit_log SET client_ip = '198.51.100.1' WHERE id = $1", anonymous),
            ("UPDATE audit_log SET after = '{}'::jsonb WHERE id = $1", anonymous),
            ("UPDATE audit_log SET actor_label = 'pseudonym:0123456789abcdef' WHERE id = $1", user),
            ("DELETE FROM audit_log WHERE id = $1", anonymous),
        )
        for statement, row_id in refused:
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                async with owner.transaction():
                    await owner.execute(statement, row_id)
        await owner.execute("UPDATE audit_log SET actor_label = 'pseudonym:0123456789abcdef', client_ip = '100::1' "
                            "WHERE id = $1", anonymous)
    finally:
        await transaction.rollback()


# --- every trace of a reporter, in every table ----------------------------------------------------------

ADDRESS, NAME, IP = "Anna.Kowalski@Schule.example", "Anna Kowalski", "192.0.2.77"
STRANGER = "fremd@unbekannt.example"
TEXT_TYPES = ("text", "character varying", "character", "jsonb", "json", "bytea", "inet", "cidr", "ARRAY")


async def traces(*terms: str) -> dict[str, int]:
    """`table.column` -> rows holding one of `terms` (any case), over every column of every table the app's
    role can read (information_schema, so a new table or column is searched without naming it here)."""
    columns = await fetch(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.data_type = ANY({}) "
        "AND has_table_privilege(format('%I.%I', c.table_schema, c.table_name), 'SELECT') ORDER BY 1, 2",
        list(TEXT_TYPES))
    assert len(columns) > 100  # the query sees the schema, not an empty selection
    found: dict[str, int] = {}
    for column in columns:
        table, name = '"' + column["table_name"] + '"', '"' + column["column_name"] + '"'
        value = f"encode({name}, 'escape')" if column["data_type"] == "bytea" else (
            f"host({name})" if column["data_type"] in ("inet", "cidr") else f"{name}::text")
        query = (f"SELECT count(*)::int AS n FROM {table} WHERE EXISTS (SELECT 1 FROM unnest({{}}::text[]) term "  # noqa: S608
                 f"WHERE strpos(lower({value}), lower(term)) > 0)")
        rows = await fetch(query, list(terms))
        if rows[0]["n"]:
            found[f"{column['table_name']}.{column['column_name']}"] = rows[0]["n"]
    return found


def _mail(sender: str, subject: str, body: str, in_reply_to: str = "") -> bytes:
    reply = f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n" if in_reply_to else ""
    return (f"From: {NAME if sender == ADDRESS else 'Jemand'} <{sender}>\r\nTo: support@county.example\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{abs(hash((sender, subject)))}.{sender}>\r\n{reply}"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


async def _rows(ticket_id: int) -> list[object]:
    """Everything stored about a ticket, to see that it did not change."""
    found: list[object] = []
    for table in ("ticket", "ticket_event", "ticket_attachment", "outbox_mail", "notification_event", "inbound_mail"):
        key = "id" if table == "ticket" else "ticket_id"
        found += await fetch(f"SELECT * FROM {table} WHERE {key} = {{}} ORDER BY 1", ticket_id)  # noqa: S608
    return found + await _audit(ticket_id)


async def test_no_trace_of_a_reporter_is_left_when_the_retention_ends(app: object, client: httpx.AsyncClient,
                                                                     world: World) -> None:
    from schoolit.tickets import inbound, notifications

    transport = httpx.ASGITransport(app=app, client=(IP, 4711))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as reporter:
        await fetch("INSERT INTO webhook (name, url, events, secret) VALUES ('Chat', 'http://127.0.0.1:9/hook', "
                    "'[\"ticket_created\", \"reporter_reply\"]'::jsonb, 'x')")
        created = await report(reporter, email=ADDRESS, name=NAME, subject=f"Beamer defekt ({NAME})",
                               description=f"Der Beamer in Raum 204 geht nicht an.\nGrüße, {NAME} ({ADDRESS})")
        assert created.status_code == 201, created.text
        link = re.search(r'href="(/track/(trk_[^"]+))"', created.text)
        assert link
        token = link.group(2)
        replied = await reporter.post(link.group(1), data={"body": f"Noch da? {NAME}",
                                                           "_csrf_token": await csrf(reporter, link.group(1))})
        assert replied.status_code == 303
    kept_id = await _reported(client, "hausmeister@schule.example", "Danke!")  # another reporter, another address
    expired = (await fetch("SELECT id, number, county_id, tracking_hash FROM ticket WHERE reporter_email = {}",
                           ADDRESS.lower()))[0]
    await notifications.dispatch_all()  # mails to staff and webhook deliveries about the ticket
    ours = await fetch("SELECT message_id FROM outbox_mail WHERE ticket_id = {} AND lower(recipient) = {}",
                       expired["id"], ADDRESS.lower())
    assert ours
    counties = frozenset({expired["county_id"]})
    mailbox = {"id": None}
    assert await inbound.process(mailbox, _mail(ADDRESS, f"Re: {expired['number']}", f"Immer noch kaputt.\n{NAME}",
                                                ours[0]["message_id"]), counties) == "comment"
    assert await inbound.process(mailbox, _mail(STRANGER, "Hilfe", "Drucker?"), counties) == "triage"
    assert await inbound.process(mailbox, _mail("neu@unbekannt.example", "Hallo", "WLAN?"), counties) == "triage"
    await fetch("UPDATE inbound_mail SET received_at = now() - interval '100 days' WHERE sender = {}", STRANGER)
    await fetch("UPDATE ticket SET status = 'closed', closed_at = now() - interval '400 days' WHERE id = {}",
                expired["id"])
    await fetch("UPDATE ticket SET status = 'closed', closed_at = now() - interval '30 days' WHERE id = {}", kept_id)
    terms = (ADDRESS, NAME, "Kowalski", IP, token, expired["tracking_hash"], STRANGER)
    before = await traces(*terms)
    for table in ("ticket.", "ticket_event.", "outbox_mail.", "inbound_mail.", "audit_log.", "notification_event.",
                  "webhook_delivery."):
        assert any(place.startswith(table) for place in before), (table, before)  # the search finds them
    kept_before = await _rows(kept_id)
    fresh_before = await fetch("SELECT * FROM inbound_mail WHERE sender = 'neu@unbekannt.example'")

    done = await retention.erase_reporters(Scope.system("retention"))

    assert (done.tickets, done.mails) == (1, 1) and done.audit_rows >= 1
    assert await traces(*terms) == {}
    assert await _rows(kept_id) == kept_before  # another ticket's reporter is still in retention
    assert await fetch("SELECT * FROM inbound_mail WHERE sender = 'neu@unbekannt.example'") == fresh_before
    facts = (await fetch("SELECT category_id, school_id, county_id, created_at, closed_at, status, number FROM ticket "
                         "WHERE id = {}", expired["id"]))[0]
    assert facts["category_id"] and facts["closed_at"] and facts["number"] == expired["number"]  # statistics stay
    assert (await fetch("SELECT outcome, reason FROM inbound_mail WHERE ticket_id IS NULL AND sender = '' "))[0] == \
        {"outcome": "ignored", "reason": "expired in the triage"}
    # The erased mails are still known: the same message fetched again is not taken twice.
    assert await inbound.process(mailbox, _mail(STRANGER, "Hilfe", "Drucker?"), counties) == "duplicate"

    everything = await _rows(expired["id"])
    again = await retention.erase_reporters(Scope.system("retention"))
    assert (again.tickets, again.audit_rows, again.mails) == (0, 0, 0)
    assert await _rows(expired["id"]) == everything
