"""The end of a ticket's retention, as the public form's consent text promises: `TICKET_RETENTION_DAYS`
after a ticket was closed, every trace of its reporter leaves the database, once per ticket
(`ticket.reporter_erased_at`). Run daily by the `ticket-retention` job; idempotent.

What the reporter left, and what happens to it (docs/operations.md, "Retention of personal data"):

- the ticket: name and e-mail address erased, the tracking token's hash replaced by a random one (the
  link opens nothing any more), their name and addresses cut out of subject and description;
- its timeline: the reporter's comments and replies (tracking page, mail) lose the address as their
  author (`reporter` instead), every event's text and data lose the name and addresses;
- its attachments: uploader and file name likewise;
- its mails in the outbox (to the reporter and to staff, which may quote them) are deleted, and so is
  every outbox mail older than the retention (digests and summaries that name tickets);
- its notification events and webhook deliveries: name and addresses cut out of data and payload;
- its inbound mails (`schoolit.tickets.inbound.erase_ticket_mails`): sender, raw message and
  Message-ID (kept as a digest, still a duplicate's record);
- its audit rows: the reporter's e-mail and IP become keyed pseudonyms
  (`schoolit.accounts.audit.pseudonymise_ticket_reporters`).

What the support statistics need stays: category, school, county, times, status, SLA figures.
Mails that never became a ticket (unknown senders: dismissed, ignored, or left in the triage) lose
their sender, subject and text `MAIL_TRIAGE_RETENTION_DAYS` after they came in.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

import msgspec

from schoolit import rules
from schoolit.accounts import audit
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.errors import Forbidden
from schoolit.settings import get_settings
from schoolit.sql import fetch
from schoolit.tickets import inbound
from schoolit.tickets.choices import REPORTER_LABEL

ERASED = "[…]"  # what stands where a name or address was cut out of a text
REPORTER = REPORTER_LABEL  # the author of the reporter's events once their address is gone
BATCH = 200  # tickets per transaction


@dataclass(frozen=True)
class ReporterRetention:
    closed_before: dt.datetime
    tickets: int  # tickets whose reporter's traces were erased now
    audit_rows: int  # audit rows whose reporter e-mail or IP became a pseudonym now
    mails: int = 0  # mails of unknown senders (never a ticket) erased now


def pattern(terms: set[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for a reporter's name, its parts and their addresses (terms shorter
    than 3 characters would cut up ordinary words and are left)."""
    words = {t.strip() for t in terms if t} | {part for t in terms if t and "@" not in t for part in t.split()
                                               if len(part) >= 4}
    kept = sorted((w for w in words if len(w) >= 3), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, kept)), re.IGNORECASE) if kept else None


def scrub(value: Any, found: re.Pattern[str] | None) -> Any:
    """`value` (a text or decoded JSON) with every match of `found` replaced by ERASED."""
    if found is None:
        return value
    if isinstance(value, str):
        return found.sub(ERASED, value)
    if isinstance(value, list):
        return [scrub(item, found) for item in value]
    if isinstance(value, dict):
        return {scrub(key, found): scrub(item, found) for key, item in value.items()}
    return value


def _json(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


def _encoded(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


async def _terms(tickets: list[dict[str, Any]]) -> dict[int, set[str]]:
    """Per ticket: the reporter's name and every address they wrote from (form, replies, mails)."""
    ids = [t["id"] for t in tickets]
    terms = {t["id"]: {t["reporter_email"], t["reporter_name"]} - {""} for t in tickets}
    for row in await fetch("SELECT DISTINCT ticket_id, actor_label FROM ticket_event WHERE ticket_id = ANY({}) "
                           "AND actor_id IS NULL AND actor_label LIKE '%@%'", ids):
        terms[row["ticket_id"]].add(row["actor_label"])
    for ticket_id, senders in (await inbound.ticket_senders(ids)).items():
        terms[ticket_id] |= senders
    return terms


async def _erase_batch(closed_before: dt.datetime, moment: dt.datetime) -> list[dict[str, Any]]:
    """Erase the reporters of up to BATCH due tickets (in the caller's transaction); the tickets."""
    tickets = await fetch("SELECT id, county_id, reporter_email, reporter_name, subject, description FROM ticket "
                          "WHERE status = 'closed' AND closed_at < {} AND reporter_erased_at IS NULL "
                          "ORDER BY id LIMIT {} FOR UPDATE", closed_before, BATCH)
    if not tickets:
        return []
    ids = [t["id"] for t in tickets]
    terms = await _terms(tickets)
    found = {ticket_id: pattern(words) for ticket_id, words in terms.items()}
    lowered = {ticket_id: {w.lower() for w in words} for ticket_id, words in terms.items()}
    for t in tickets:
        await fetch("UPDATE ticket SET reporter_email = '', reporter_name = '', tracking_hash = {}, subject = {}, "
                    "description = {}, reporter_erased_at = {} WHERE id = {}", secrets.token_hex(32),
                    scrub(t["subject"], found[t["id"]]), scrub(t["description"], found[t["id"]]), moment, t["id"])
    for e in await fetch("SELECT id, ticket_id, actor_id, actor_label, body, data FROM ticket_event "
                         "WHERE ticket_id = ANY({})", ids):
        label = REPORTER if e["actor_id"] is None and e["actor_label"].lower() in lowered[e["ticket_id"]] \
            else e["actor_label"]
        body, data = scrub(e["body"], found[e["ticket_id"]]), scrub(_json(e["data"]), found[e["ticket_id"]])
        if (label, body, data) != (e["actor_label"], e["body"], _json(e["data"])):
            await fetch("UPDATE ticket_event SET actor_label = {}, body = {}, data = {}::jsonb WHERE id = {}",
                        label, body, _encoded(data), e["id"])
    for a in await fetch("SELECT id, ticket_id, filename, uploaded_by FROM ticket_attachment "
                         "WHERE ticket_id = ANY({})", ids):
        uploader = REPORTER if a["uploaded_by"].lower() in lowered[a["ticket_id"]] else a["uploaded_by"]
        await fetch("UPDATE ticket_attachment SET filename = {}, uploaded_by = {} WHERE id = {}",
                    scrub(a["filename"], found[a["ticket_id"]]), uploader, a["id"])
    await fetch("DELETE FROM outbox_mail WHERE ticket_id = ANY({})", ids)
    events = await fetch("SELECT id, ticket_id, data FROM notification_event WHERE ticket_id = ANY({})", ids)
    for n in events:
        data = scrub(_json(n["data"]), found[n["ticket_id"]])
        await fetch("UPDATE notification_event SET data = {}::jsonb WHERE id = {}", _encoded(data), n["id"])
    of_event = {n["id"]: n["ticket_id"] for n in events}
    for d in await fetch("SELECT id, event_id, payload FROM webhook_delivery WHERE event_id = ANY({})",
                         sorted(of_event)):
        payload = _encoded(scrub(_json(d["payload"]), found[of_event[d["event_id"]]]))
        await fetch("UPDATE webhook_delivery SET payload = {} WHERE id = {}", payload, d["id"])
    await inbound.erase_ticket_mails(ids, {t: found[t] for t in ids}, ERASED)
    return tickets


async def erase_reporters(scope: Scope, moment: dt.datetime | None = None) -> ReporterRetention:
    """Erase the reporters of tickets closed more than `TICKET_RETENTION_DAYS` before `moment` (now), and
    mails of unknown senders older than `MAIL_TRIAGE_RETENTION_DAYS`."""
    if not scope.everything:
        raise Forbidden(rules.SYSTEM_ONLY)
    moment = moment or dt.datetime.now(dt.UTC)
    settings = get_settings()
    closed_before = moment - dt.timedelta(days=settings.ticket_retention_days)
    erased = 0
    while True:
        async with atomic():
            tickets = await _erase_batch(closed_before, moment)
            by_county: dict[int, list[int]] = {}
            for row in tickets:
                by_county.setdefault(row["county_id"], []).append(row["id"])
            for county_id, ticket_ids in sorted(by_county.items()):
                await audit.record(scope, "ticket.retention", object_type="ticket", county_id=county_id,
                                   after={"erased": len(ticket_ids), "closed_before": closed_before.isoformat(),
                                          "ticket_ids": sorted(ticket_ids)})
        erased += len(tickets)
        if len(tickets) < BATCH:
            break
    async with atomic():
        await fetch("DELETE FROM outbox_mail WHERE created_at < {}", closed_before)
        pseudonymised = await audit.pseudonymise_ticket_reporters(closed_before)
        mails = await inbound.erase_unticketed(moment - dt.timedelta(days=settings.mail_triage_retention_days))
    return ReporterRetention(closed_before=closed_before, tickets=erased, audit_rows=pseudonymised, mails=mails)
