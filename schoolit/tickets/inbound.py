"""Inbound e-mail: mails fetched from the IMAP mailboxes become tickets and replies.

The `mail-fetch` job (`fetch_all()`, every minute) reads each active mailbox's unread messages
(`BODY.PEEK[]`, which leaves them unread) and hands each to `process()`, which in one transaction:

- looks the Message-ID up in `inbound_mail` (a message taken before is not taken again);
- ignores auto-replies and loops (`auto_reason`): `Auto-Submitted` other than `no`, `X-Autoreply` and
  its kin, `Precedence: bulk/junk/list/auto_reply`, delivery reports (`multipart/report`), the null or
  MAILER-DAEMON sender, and mails from our own addresses — none is answered or ticketed;
- finds the ticket a reply belongs to: a Message-ID of one of our mails (or of a mail that opened a
  ticket) in `In-Reply-To`/`References`, else a ticket number (`SIT-2026-00042`) in the subject, if the
  sender is its reporter or a person who may see it. Such a mail becomes a public comment (a person
  with an account comments as themselves, anyone else as the reporter: a `reply`, which reopens a
  resolved ticket); a reply to a closed ticket opens a new one that names it;
- otherwise opens a ticket for the school the sender belongs to: a school contact's own address, or
  an address or mail domain a supporter assigned to a school (`mail_sender`), within the mailbox's
  counties. An unknown sender's mail waits in the triage (`/tickets/triage`, raw message kept) until a
  supporter names its school (or dismisses it): nothing is dropped;
- keeps attachments under the web form's rules (`uploads.check`: images and PDF, at most
  10 MiB); one kept off is named in the text with the reason;
- records the message in `inbound_mail` with what became of it.

A message `process()` fails on (a bug, input nothing foresaw) goes to the triage with the error as
its reason, so it neither blocks the mailbox nor is lost; the job reports the failure.

Only after that transaction committed is the message marked `\\Seen` (and moved to the mailbox's
done folder, if it has one). A crash before the commit leaves the message unread and nothing
written, so the next run takes it; a crash after the commit leaves an unread message whose
Message-ID is recorded, so the next run only marks it.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Any

from schoolit import rules, uploads
from schoolit.accounts import audit, directory
from schoolit.accounts import services as accounts
from schoolit.accounts.choices import Role
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.errors import FieldError, NotFound, ValidationFailed
from schoolit.inventory import services as inventory
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_, counted
from schoolit.kernel.i18n import gettext as _
from schoolit.logs import get_logger
from schoolit.settings import get_settings
from schoolit.sql import fetch, lock
from schoolit.tickets import mailboxes, public, services
from schoolit.tickets.attachments import add_attachment
from schoolit.tickets.categories import list_categories
from schoolit.tickets.choices import Source

log = get_logger("schoolit.inbound")

BATCH = 50  # messages per mailbox and run; the rest wait for the next minute
MAX_BODY = 10_000  # a ticket's description holds at most this much
_NUMBER = re.compile(r"\bSIT-\d{4}-\d{5,}\b")
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,246}>")
_QUOTE_HEADER = re.compile(r"^\s*((Am|On)\b.{0,300}\b(schrieb|wrote)\b.*:|-{2,}\s*(Original Message|Ursprüngliche "
                           r"Nachricht)\s*-*|_{10,}|(Von|From):\s.+)\s*$", re.IGNORECASE)
_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply", "X-Mail-Autoreply")
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
# Domains of mail providers everybody uses: a whole domain of these never belongs to one school.
FREEMAIL = frozenset({"gmail.com", "googlemail.com", "web.de", "gmx.de", "gmx.net", "t-online.de", "outlook.com",
                      "outlook.de", "hotmail.com", "hotmail.de", "live.de", "yahoo.com", "yahoo.de", "icloud.com",
                      "freenet.de", "aol.com", "posteo.de", "mailbox.org", "arcor.de", "online.de"})


class InboundFailed(Exception):
    """Some mailboxes could not be read or some messages not processed (they stay unread)."""


# --- reading a message -----------------------------------------------------------------------------


@dataclass
class Parsed:
    message_id: str
    sender: str  # lower-case address, "" when none
    sender_name: str
    subject: str
    body: str
    references: list[str]  # Message-IDs of In-Reply-To and References
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    auto: str = ""  # why this is an auto-reply, bounce or loop; "" for a person's mail


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "tr", "li", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The text of an HTML body (no markup is ever stored or shown)."""
    parser = _Text()
    parser.feed(html)
    text = "".join(parser.parts)
    return re.sub(r"\n\s*\n\s*\n+", "\n\n", re.sub(r"[ \t\r\f\v]+", " ", text)).strip()


def strip_quote(text: str) -> str:
    """A reply without the quoted mail below it ("Am … schrieb …:", "> …", "-----Original Message-----")."""
    kept: list[str] = []
    for line in text.splitlines():
        if line.startswith(">") or _QUOTE_HEADER.match(line):
            break
        kept.append(line)
    result = "\n".join(kept).strip()
    return result or text.strip()


def auto_reason(message: EmailMessage, sender: str, own: frozenset[str]) -> str:
    """Why a message is machine-made (never answered, never ticketed), or "" for a person's mail."""
    auto_submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"[:200]
    for header in _AUTO_HEADERS:
        if header in message:
            return f"{header} header"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    if message.get_content_type() == "multipart/report":
        return "delivery report (multipart/report)"
    if str(message.get("Return-Path", "")).strip() == "<>":
        return "bounce (null sender)"
    if not sender:
        return "no sender address"
    if sender.partition("@")[0] in _BOUNCE_SENDERS:
        return "bounce (mailer daemon)"
    if sender in own:
        return "sent by our own address (loop)"
    if any(address in str(message.get("X-Loop", "")).lower() for address in own):
        return "X-Loop names our address"
    return ""


def _message_id(message: EmailMessage, raw: bytes) -> str:
    found = _MESSAGE_ID.search(str(message.get("Message-ID", "")))
    return found.group(0) if found else f"<{hashlib.sha256(raw).hexdigest()}@schoolit.invalid>"


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset: the bytes as well as they decode
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    text = str(content)
    return html_text(text) if part.get_content_type() == "text/html" else text.replace("\r\n", "\n").strip()


def _attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    body = message.get_body(preferencelist=("plain", "html"))
    found = []
    for part in message.walk():
        if part.is_multipart() or part is body or part.get_content_type() == "message/rfc822":
            continue
        filename = part.get_filename()
        if filename is None and part.get_content_disposition() != "attachment":
            continue
        payload = part.get_payload(decode=True)
        found.append((filename or "anhang", payload if isinstance(payload, bytes) else b""))
    return found


def parse(raw: bytes, own: frozenset[str] = frozenset()) -> Parsed:
    """The parts of a raw message the channel works with."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    name, address = parseaddr(str(message.get("From", "")))
    sender = address.strip().lower() if "@" in address else ""
    references = _MESSAGE_ID.findall(f"{message.get('In-Reply-To', '')} {message.get('References', '')}")
    subject = " ".join(str(message.get("Subject", "")).split())
    return Parsed(message_id=_message_id(message, raw), sender=sender[:254], sender_name=name.strip()[:120],
                  subject=subject, body=_body(message), references=references,
                  attachments=_attachments(message), auto=auto_reason(message, sender, own))


def own_addresses(boxes: list[dict[str, Any]]) -> frozenset[str]:
    """Our sender address and the mailboxes' own addresses: mail from them is a loop."""
    addresses = {get_settings().smtp_from.lower(), *(b["username"].lower() for b in boxes)}
    addresses |= {a.lower() for _n, a in getaddresses([get_settings().smtp_from])}
    return frozenset(a for a in addresses if "@" in a)


# --- what a message becomes ------------------------------------------------------------------------


def _fitted(text: str) -> str:
    if len(text) <= MAX_BODY:
        return text
    return text[:MAX_BODY - 200].rstrip() + "\n\n" + _("[shortened: the mail was longer]")


async def _checked(files: list[tuple[str, bytes]]) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The attachments the web form would take, and a line for each one kept off."""
    kept, notes = [], []
    for filename, content in files:
        name = uploads.clean_filename(filename)
        try:
            uploads.check(name, content)
        except ValidationFailed as exc:
            notes.append(_("Attachment %(name)s was not kept: %(reason)s", name=name,
                           reason=_(exc.errors[0].message)))
            continue
        kept.append((name, content))
    return kept, notes


async def _attach(scope: Scope, ticket_id: int, files: list[tuple[str, bytes]]) -> None:
    for name, content in files:
        await add_attachment(scope, ticket_id, name, content)


def _with_notes(text: str, notes: list[str]) -> str:
    return text + ("\n\n" + "\n".join(notes) if notes else "")


async def _sender_person(sender: str) -> tuple[dict[str, Any] | None, Scope | None]:
    person = await directory.person_by_email(sender) if sender else None
    if person is None or not person["active"]:
        return None, None
    return person, await accounts.scope_for_user(person)


async def school_of_sender(sender: str, county_ids: frozenset[int]) -> tuple[dict[str, Any], Scope] | None:
    """The school a sender's mail belongs to (within the counties), and the scope its ticket is opened
    with: a school contact's own, else the reporter's (anonymous, limited to the school)."""
    person, scope = await _sender_person(sender)
    if person is not None and scope is not None and person["role"] == Role.SCHOOL.value and person["school_id"]:
        school = await inventory.school_summary(school_id=person["school_id"])
        if school is not None and school["county_id"] in county_ids:
            return school, scope
    domain = sender.rpartition("@")[2]
    labels = domain.split(".")
    patterns = [sender] + ["@" + ".".join(labels[i:]) for i in range(len(labels) - 1)]
    rows = await fetch("SELECT school_id FROM mail_sender WHERE pattern = ANY({}) AND county_id = ANY({}) "
                       "ORDER BY length(pattern) DESC LIMIT 1", patterns, sorted(county_ids))
    if not rows:
        return None
    school = await inventory.school_summary(school_id=rows[0]["school_id"])
    if school is None:
        return None
    return school, public.anonymous(sender, school["county_id"], school["id"])


async def _replied_ticket(parsed: Parsed, county_ids: frozenset[int]) -> tuple[int, bool] | None:
    """(ticket id, proven by our Message-ID) of the ticket a mail answers, within the counties."""
    if parsed.references:
        rows = await fetch(
            "SELECT t.id FROM ticket t WHERE t.county_id = ANY({}) AND t.id IN (SELECT ticket_id FROM outbox_mail "
            "WHERE message_id = ANY({}) UNION SELECT ticket_id FROM inbound_mail WHERE message_id = ANY({})) "
            "ORDER BY t.id DESC LIMIT 1", sorted(county_ids), parsed.references, parsed.references)
        if rows:
            return rows[0]["id"], True
    numbers = _NUMBER.findall(parsed.subject)
    if numbers:
        rows = await fetch("SELECT id FROM ticket WHERE number = ANY({}) AND county_id = ANY({}) ORDER BY id DESC "
                           "LIMIT 1", numbers, sorted(county_ids))
        if rows:
            return rows[0]["id"], False
    return None


async def _comment(parsed: Parsed, ticket_id: int, proven: bool) -> bool:
    """A reply as a public comment on the ticket; False when it is not one (sender unknown to the
    ticket, or the ticket no longer takes replies)."""
    ticket = await services.get_ticket(Scope.system("mail"), ticket_id, lock=True)
    files, notes = await _checked(parsed.attachments)
    body = _fitted(_with_notes(strip_quote(parsed.body) or parsed.subject, notes))
    _person, scope = await _sender_person(parsed.sender)
    if (scope is not None and scope.can(Permission.TICKETS_REPORT)
            and scope.sees(ticket["county_id"], ticket["school_id"])
            and (scope.role != Role.SCHOOL or public.takes_replies(ticket))):
        await services.add_comment(scope, ticket_id, body, public=True)
        await _attach(scope, ticket_id, files)
        return True
    if not (proven or (parsed.sender and parsed.sender == ticket["reporter_email"])):
        return False
    if not public.takes_replies(ticket):
        return False
    scope = public.anonymous(parsed.sender, ticket["county_id"], ticket["school_id"])
    await public.record_reply(scope, ticket, body)
    await _attach(scope, ticket_id, files)
    return True


async def _category_id() -> int:
    categories = await list_categories()
    chosen = next((c for c in categories if c["name"] == "Sonstiges"), categories[-1] if categories else None)
    if chosen is None:
        raise NotFound(N_("no ticket category"))
    return int(chosen["id"])


async def open_ticket(scope: Scope, school: dict[str, Any], parsed: Parsed, *, follow_up: str = "") -> dict[str, Any]:
    """A ticket from a mail (source `email`), with its attachments."""
    files, notes = await _checked(parsed.attachments)
    text = parsed.body
    if follow_up:
        text = _("Follow-up to the closed ticket %(number)s.", number=follow_up) + "\n\n" + text
    reporter = parsed.sender if rules.EMAIL.match(parsed.sender) else ""
    data = services.NewTicket(
        school_id=school["id"], category_id=await _category_id(),
        subject=(parsed.subject or _("(no subject)"))[:200], description=_fitted(_with_notes(text, notes)),
        source=Source.EMAIL, reporter_email=reporter, reporter_name=parsed.sender_name)
    ticket, _token = await services.insert_ticket(scope, data, school)
    await _attach(scope, ticket["id"], files)
    return ticket


async def _act(mailbox: dict[str, Any], parsed: Parsed, county_ids: frozenset[int]) -> tuple[str, str, int | None]:
    """(outcome, reason, ticket id) of one new message."""
    if parsed.auto:
        return "ignored", parsed.auto, None
    follow_up = ""
    replied = await _replied_ticket(parsed, county_ids)
    if replied is not None:
        ticket_id, proven = replied
        if await _comment(parsed, ticket_id, proven):
            return "comment", "", ticket_id
        ticket = await services.get_ticket(Scope.system("mail"), ticket_id)
        if not public.takes_replies(ticket):
            follow_up = ticket["number"]
    found = await school_of_sender(parsed.sender, county_ids)
    if found is None:
        return "triage", "unknown sender", None
    school, scope = found
    ticket = await open_ticket(scope, school, parsed, follow_up=follow_up)
    return "ticket", "follow-up" if follow_up else "", ticket["id"]


async def process(mailbox: dict[str, Any], raw: bytes, county_ids: frozenset[int],
                  own: frozenset[str] = frozenset()) -> str:
    """Turn one raw message into a ticket, a comment, a triage entry or nothing, and record it, in one
    transaction; "duplicate" when its Message-ID was taken before (nothing is written then)."""
    parsed = parse(raw, own)
    async with atomic():
        # Two fetchers that got the same message (a second process, a mailbox listed twice) wait here.
        await lock("inbound:" + parsed.message_id)
        if await fetch("SELECT 1 FROM inbound_mail WHERE message_id = ANY({})",
                       [parsed.message_id, erased_message_id(parsed.message_id)]):
            return "duplicate"
        outcome, reason, ticket_id = await _act(mailbox, parsed, county_ids)
        await fetch("INSERT INTO inbound_mail (mailbox_id, message_id, sender, subject, outcome, reason, ticket_id, "
                    "raw_message) VALUES ({}, {}, {}, {}, {}, {}, {}, {})", mailbox["id"], parsed.message_id,
                    parsed.sender, parsed.subject[:250], outcome, reason[:200], ticket_id,
                    raw if outcome == "triage" else None)
    log.info("mail taken", mailbox_id=mailbox["id"], outcome=outcome, reason=reason, ticket_id=ticket_id)
    return outcome


# --- the job -------------------------------------------------------------------------------------------


def literal_of(response: Any) -> bytes:
    """The message bytes of a `UID FETCH … (BODY.PEEK[])` answer."""
    for line in response.lines:
        if isinstance(line, bytearray):
            return bytes(line)
    raise mailboxes.MailboxError("the server sent no message body")


async def _mark_done(client: Any, mailbox: dict[str, Any], uid: str) -> None:
    # aioimaplib bounds only FETCH of its UID commands by the client's timeout: these get the same bound.
    async with asyncio.timeout(mailboxes.TIMEOUT_SECONDS):
        mailboxes.ok(await client.uid("store", uid, "+FLAGS.SILENT", r"(\Seen)"), "mark as seen")
        if mailbox["done_folder"]:
            mailboxes.ok(await client.uid("move", uid, mailboxes.quoted(mailbox["done_folder"])), "move")


async def fetch_mailbox(mailbox: dict[str, Any], own: frozenset[str]) -> dict[str, int]:
    """Take the unread messages of one mailbox; returns how many became what ("failed": left unread)."""
    county_ids = await mailboxes.county_ids(mailbox)
    counts: dict[str, int] = {}
    async with mailboxes.connected(mailbox) as client:
        uids = mailboxes.uids_of(mailboxes.ok(await client.uid_search("UNSEEN", charset=None), "search"))
        for uid in uids[:BATCH]:
            raw = literal_of(mailboxes.ok(await client.uid("fetch", uid, "(BODY.PEEK[])"), "fetch"))
            try:
                outcome = await process(mailbox, raw, county_ids, own)
            except Exception as exc:  # one bad message must not hold up the others
                log.exception("mail not processed", mailbox_id=mailbox["id"], uid=uid)
                if not await keep_unprocessable(mailbox, raw, exc):
                    counts["failed"] = counts.get("failed", 0) + 1  # unread: the next run takes it again
                    continue
                outcome = "unprocessable"
            await _mark_done(client, mailbox, uid)
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


async def keep_unprocessable(mailbox: dict[str, Any], raw: bytes, error: Exception) -> bool:
    """A message `process()` failed on goes to the triage with the error as its reason (raw message kept),
    for a supporter to open its ticket or dismiss it: a message that always fails neither blocks the
    mailbox nor is lost. False when that cannot be written either (the database is away: the message
    stays unread and is taken again by the next run)."""
    try:
        try:
            parsed = parse(raw)
            message_id, sender, subject = parsed.message_id, parsed.sender, parsed.subject
        except Exception:  # not even the headers: keep the bytes under their digest
            message_id, sender, subject = f"<{hashlib.sha256(raw).hexdigest()}@schoolit.invalid>", "", ""
        async with atomic():
            await lock("inbound:" + message_id)
            if await fetch("SELECT 1 FROM inbound_mail WHERE message_id = ANY({})",
                           [message_id, erased_message_id(message_id)]):
                return True
            await fetch("INSERT INTO inbound_mail (mailbox_id, message_id, sender, subject, outcome, reason, "
                        "raw_message) VALUES ({}, {}, {}, {}, 'triage', {}, {})", mailbox["id"], message_id,
                        sender, subject[:250], f"not processed: {type(error).__name__}: {error}"[:200], raw)
    except Exception:
        log.exception("mail not kept in the triage either", mailbox_id=mailbox["id"])
        return False
    return True


OUTCOMES = ("ticket", "comment", "triage", "ignored", "duplicate")


async def fetch_all() -> dict[str, int]:
    """Every active mailbox once (the `mail-fetch` job): how many mailboxes were read and how many messages
    became what (`OUTCOMES`). Raises InboundFailed (after all mailboxes) when a mailbox could not be read
    or a message not processed, so the job is retried sooner."""
    boxes = await mailboxes.active_mailboxes()
    own = own_addresses(boxes)
    totals = dict.fromkeys(OUTCOMES, 0)
    problems = []
    for box in boxes:
        try:
            counts = await fetch_mailbox(box, own)
        except (mailboxes.MailboxError, *mailboxes.LOST) as exc:
            error = str(exc) if isinstance(exc, mailboxes.MailboxError) else f"{type(exc).__name__}: {exc}"
            log.warning("mailbox not read", mailbox_id=box["id"], error=error)
            await mailboxes.record_fetch(box["id"], error)
            problems.append(f"{box['name']}: {error}")
            continue
        failed, kept = counts.pop("failed", 0), counts.pop("unprocessable", 0)
        trouble = ", ".join(
            ([f"{counted(failed, 'message', 'messages')} not processed (left unread)"] if failed else [])
            + ([f"{counted(kept, 'message', 'messages')} not processed (kept in the triage)"] if kept else []))
        await mailboxes.record_fetch(box["id"], trouble)
        if trouble:
            problems.append(f"{box['name']}: {trouble}")
        counts["triage"] = counts.get("triage", 0) + kept
        for key, value in counts.items():
            totals[key] += value
    if problems:
        summary = ", ".join(f"{k}: {totals[k]}" for k in OUTCOMES)
        raise InboundFailed(f"mailboxes: {len(boxes)}, {summary}; {'; '.join(problems)}"[:480])
    return {"mailboxes": len(boxes), **totals}


# --- the triage --------------------------------------------------------------------------------------


async def _visible_boxes(scope: Scope) -> dict[int, frozenset[int] | None]:
    """The mailboxes whose mails the caller may triage, with their counties."""
    rows = await fetch("SELECT id, arrangement_id, county_id FROM mailbox ORDER BY id")
    visible: dict[int, frozenset[int] | None] = {}
    for row in rows:
        counties = await mailboxes.county_ids(row)
        if scope.everything:  # admins: every mailbox; one whose arrangement has no counties takes any school
            visible[row["id"]] = counties or None
        elif inside := counties & (scope.county_ids or frozenset()):
            visible[row["id"]] = frozenset(inside)
    return visible


async def triage(scope: Scope, limit: int = 100) -> list[dict[str, Any]]:
    """Mails of unknown senders waiting for a school, oldest first, with a preview and the schools
    they may be given to (those of the mailbox's counties the caller sees)."""
    scope.require(Permission.TICKETS_WORK)
    boxes = await _visible_boxes(scope)
    rows = await fetch("SELECT i.id, i.mailbox_id, i.sender, i.subject, i.received_at, i.raw_message, "
                       "m.name AS mailbox FROM inbound_mail i LEFT JOIN mailbox m ON m.id = i.mailbox_id "
                       "WHERE i.outcome = 'triage' AND (i.mailbox_id = ANY({}) OR (i.mailbox_id IS NULL AND {})) "
                       "ORDER BY i.id LIMIT {}",
                       sorted(boxes), scope.everything, limit)
    schools: dict[frozenset[int] | None, list[dict[str, Any]]] = {}
    result = []
    for row in rows:
        counties = boxes.get(row["mailbox_id"]) if row["mailbox_id"] else None
        if counties not in schools:
            schools[counties] = await _school_choices(scope, counties)
        parsed = parse(bytes(row["raw_message"] or b""))
        domain = row["sender"].rpartition("@")[2]
        result.append({key: row[key] for key in ("id", "sender", "subject", "received_at", "mailbox")} | {
            "preview": parsed.body[:600], "attachments": [name for name, _c in parsed.attachments],
            "schools": schools[counties], "domain": domain if domain and domain not in FREEMAIL else ""})
    return result


async def _school_choices(scope: Scope, county_ids: frozenset[int] | None) -> list[dict[str, Any]]:
    counties = sorted(county_ids) if county_ids is not None else [None]
    choices = []
    for county_id in counties:
        rows, _total = await inventory.list_schools(scope, county_id=county_id, sort="name", limit=1000)
        choices += [{"id": r["id"], "name": r["name"], "school_number": r["school_number"]} for r in rows]
    return sorted(choices, key=lambda school: school["name"])


async def _waiting(scope: Scope, inbound_id: int) -> dict[str, Any]:
    rows = await fetch("SELECT id, mailbox_id, sender, subject, raw_message FROM inbound_mail WHERE id = {} "
                       "AND outcome = 'triage' FOR UPDATE", inbound_id)
    boxes = await _visible_boxes(scope)
    if not rows or not (rows[0]["mailbox_id"] in boxes or (rows[0]["mailbox_id"] is None and scope.everything)):
        raise NotFound(N_("mail not found"))
    return {**rows[0], "county_ids": boxes.get(rows[0]["mailbox_id"])}


async def assign_school(scope: Scope, inbound_id: int, school_id: int, *, remember: str = "") -> dict[str, Any]:
    """Open the waiting mail's ticket at a school; `remember` ("address" or "domain") sends the sender's
    (or its domain's) later mails to that school directly."""
    scope.require(Permission.TICKETS_WORK)
    async with atomic():
        row = await _waiting(scope, inbound_id)
        school = await inventory.school_summary(school_id=school_id)
        if (school is None or not scope.sees(school["county_id"], school["id"])
                or (row["county_ids"] is not None and school["county_id"] not in row["county_ids"])):
            raise ValidationFailed([FieldError("school_id", N_("choose a school of this mailbox's counties"))])
        domain = row["sender"].rpartition("@")[2]
        if remember not in ("", "address", "domain") or (remember == "domain" and (not domain or domain in FREEMAIL)):
            raise ValidationFailed([FieldError("remember", N_("this mail domain cannot belong to one school"))])
        parsed = parse(bytes(row["raw_message"] or b""))
        ticket = await open_ticket(public.anonymous(row["sender"] or "mail", school["county_id"], school["id"]),
                                   school, parsed)
        await fetch("UPDATE inbound_mail SET outcome = 'ticket', ticket_id = {}, raw_message = NULL, assigned_by = {} "
                    "WHERE id = {}", ticket["id"], scope.actor.label[:254], inbound_id)
        if remember and row["sender"]:
            pattern = row["sender"] if remember == "address" else "@" + domain
            await fetch("INSERT INTO mail_sender (pattern, county_id, school_id, created_by) VALUES ({}, {}, {}, {}) "
                        "ON CONFLICT (pattern) DO UPDATE SET county_id = excluded.county_id, "
                        "school_id = excluded.school_id, created_by = excluded.created_by",
                        pattern, school["county_id"], school["id"], scope.actor.label[:254])
        await audit.record(scope, "inbound_mail.assign", object_type="inbound_mail", object_id=inbound_id,
                           county_id=school["county_id"], after={"school_id": school["id"], "ticket_id": ticket["id"],
                                                                 "remember": remember})
    return ticket


async def dismiss(scope: Scope, inbound_id: int) -> None:
    """A waiting mail that is no fault report (spam, a newsletter): kept as ignored, its text dropped."""
    scope.require(Permission.TICKETS_WORK)
    async with atomic():
        await _waiting(scope, inbound_id)
        await fetch("UPDATE inbound_mail SET outcome = 'ignored', reason = {}, raw_message = NULL, assigned_by = {} "
                    "WHERE id = {}", f"dismissed by {scope.actor.label}"[:200], scope.actor.label[:254], inbound_id)
        await audit.record(scope, "inbound_mail.dismiss", object_type="inbound_mail", object_id=inbound_id)


async def triage_count(scope: Scope) -> int:
    """How many mails wait in the caller's triage."""
    if not scope.can(Permission.TICKETS_WORK):
        return 0
    boxes = await _visible_boxes(scope)
    rows = await fetch("SELECT count(*)::int AS n FROM inbound_mail WHERE outcome = 'triage' AND "
                       "(mailbox_id = ANY({}) OR (mailbox_id IS NULL AND {}))", sorted(boxes), scope.everything)
    return int(rows[0]["n"])


# --- retention -----------------------------------------------------------------------------------------


def erased_message_id(message_id: str) -> str:
    """What a Message-ID becomes when its mail is erased: a digest, still unique, so the same message
    fetched again is still known as taken (a Message-ID may name its sender)."""
    return f"<{hashlib.sha256(message_id.encode()).hexdigest()[:48]}@erased.invalid>"


async def ticket_senders(ticket_ids: list[int]) -> dict[int, set[str]]:
    """The sender addresses of the mails that became these tickets or their comments."""
    senders: dict[int, set[str]] = {}
    for row in await fetch("SELECT ticket_id, sender FROM inbound_mail WHERE ticket_id = ANY({}) AND sender <> ''",
                           ticket_ids):
        senders.setdefault(row["ticket_id"], set()).add(row["sender"])
    return senders


async def erase_ticket_mails(ticket_ids: list[int], found: dict[int, re.Pattern[str] | None], erased: str) -> int:
    """At the end of the tickets' retention (`schoolit.tickets.retention`): their mails lose sender, raw
    message and Message-ID, and the reporter's name and addresses (`found`) leave the subject."""
    rows = await fetch("SELECT id, ticket_id, message_id, subject FROM inbound_mail WHERE ticket_id = ANY({}) "
                       "AND message_id NOT LIKE '%@erased.invalid>'", ticket_ids)
    for row in rows:
        pattern = found.get(row["ticket_id"])
        subject = pattern.sub(erased, row["subject"]) if pattern else row["subject"]
        await fetch("UPDATE inbound_mail SET sender = '', raw_message = NULL, subject = {}, message_id = {} "
                    "WHERE id = {}", subject, erased_message_id(row["message_id"]), row["id"])
    return len(rows)


async def erase_unticketed(received_before: Any) -> int:
    """Mails that never became a ticket (dismissed, ignored, or still in the triage) received before
    `received_before` (`MAIL_TRIAGE_RETENTION_DAYS`): sender, subject, raw message and Message-ID erased;
    one left in the triage leaves it as ignored. Returns how many."""
    rows = await fetch(
        "UPDATE inbound_mail SET sender = '', subject = '', raw_message = NULL, message_id = "
        "'<' || left(encode(sha256(convert_to(message_id, 'UTF8')), 'hex'), 48) || '@erased.invalid>', "
        "reason = CASE WHEN outcome = 'triage' THEN 'expired in the triage' ELSE reason END, "
        "outcome = CASE WHEN outcome = 'triage' THEN 'ignored' ELSE outcome END "
        "WHERE ticket_id IS NULL AND received_at < {} AND message_id NOT LIKE '%@erased.invalid>' RETURNING id",
        received_before)
    return len(rows)
