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
