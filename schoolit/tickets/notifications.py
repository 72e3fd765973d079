"""Notifications: who is told what, and how.

Services record domain events (`Happening`) with `emit()` in the transaction of the change, so an
event exists exactly when its change committed. The dispatcher (`dispatch()`) works the outbox
afterwards: for each event it finds the people concerned — supporters of the ticket's county, its
assignee, the school's contacts, the reporter's account — and, per person and `NotifyKind`, follows
their choice (each time: a mail through the e-mail outbox; daily digest: an item for the next digest;
off: nothing). Nobody is told about what they did themselves. Mails are written in the recipient's
language (their profile's, else the installation's default, German) and link to the ticket.

Reporters who gave only an e-mail address (the public form) are not people with choices: the tickets
services mail them directly, as before. The dispatcher, the daily digests and the authorities'
weekly summary run as scheduled jobs (`schoolit/tickets/jobs.py`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import msgspec

from schoolit.accounts import audit, directory
from schoolit.accounts.choices import Role
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.errors import FieldError, NotFound, ValidationFailed
from schoolit.inventory import services as inventory
from schoolit.kernel.i18n import LOCALES, N_, current_locale, ngettext
from schoolit.kernel.i18n import gettext as _
from schoolit.kernel.times import BERLIN, day_text
from schoolit.settings import get_settings
from schoolit.sql import fetch
from schoolit.tickets import mail, overdue, webhooks
from schoolit.tickets.choices import (
    NOTIFY_LABELS,
    NOTIFY_MODE_LABELS,
    STATUS_LABELS,
    Happening,
    NotifyKind,
    NotifyMode,
    Source,
    Status,
)

DIGEST_HOUR = 7  # digests and weekly summaries go out from 07:00 local time
BATCH = 200

# Which kinds each role may choose; a kind outside its role's list is never mailed to it.
ROLE_KINDS: dict[Role, tuple[NotifyKind, ...]] = {
    Role.SUPPORTER: (NotifyKind.NEW_TICKET, NotifyKind.REPORTER_REPLY, NotifyKind.ASSIGNED, NotifyKind.SLA_WARNING,
                     NotifyKind.SLA_BREACH, NotifyKind.SCHOOL_OFFLINE),
    # Admins can be assignees: they hear about the tickets given to them.
    Role.ADMIN: (NotifyKind.REPORTER_REPLY, NotifyKind.ASSIGNED, NotifyKind.SLA_WARNING, NotifyKind.SLA_BREACH),
    Role.SCHOOL: (NotifyKind.OUTAGE, NotifyKind.OWN_TICKET),
    Role.AUTHORITY: (NotifyKind.WEEKLY_SUMMARY,),
}
DEFAULT_OFF = frozenset({NotifyKind.WEEKLY_SUMMARY})
NO_DIGEST = frozenset({NotifyKind.WEEKLY_SUMMARY})  # a summary already

NO_SUCH_PERSON = N_("no such person")


def default_mode(kind: NotifyKind) -> NotifyMode:
    return NotifyMode.OFF if kind in DEFAULT_OFF else NotifyMode.ON


def modes_for(kind: NotifyKind) -> tuple[NotifyMode, ...]:
    """The choices a kind offers (a summary has no digest)."""
    return (NotifyMode.ON, NotifyMode.OFF) if kind in NO_DIGEST else (NotifyMode.ON, NotifyMode.DIGEST, NotifyMode.OFF)


@contextlib.contextmanager
def language(locale: str) -> Iterator[None]:
    """Translate into `locale` for the duration (mails are written in the recipient's language)."""
    token = current_locale.set(locale if locale in LOCALES else get_settings().default_locale)
    try:
        yield
    finally:
        current_locale.reset(token)


# --- recording ------------------------------------------------------------------------------------


async def emit(happening: Happening, ticket: dict[str, Any], *, actor_user_id: int | None = None,
               **data: Any) -> None:
    """Record that something happened to a ticket (in the caller's transaction)."""
    await fetch("INSERT INTO notification_event (kind, ticket_id, county_id, school_id, actor_user_id, data) "
                "VALUES ({}, {}, {}, {}, {}, {}::jsonb)", happening.value, ticket["id"], ticket["county_id"],
                ticket["school_id"], actor_user_id, msgspec.json.encode(data, enc_hook=str).decode())


# --- who is concerned -----------------------------------------------------------------------------


async def _supporters(county_id: int) -> list[int]:
    return [row["id"] for row in await directory.supporters_of_county(county_id, admins=False)]


async def _handlers(ticket: dict[str, Any]) -> list[int]:
    """Who works a ticket: its assignee, else every supporter of its county."""
    return [ticket["assignee_id"]] if ticket["assignee_id"] else await _supporters(ticket["county_id"])


async def _reporter_account(ticket: dict[str, Any]) -> list[int]:
    """The reporter's own account, unless the ticket's reporter address is theirs (they get the
    reporter's mails already)."""
    if ticket["reporter_user_id"] is None:
        return []
    person = (await directory.people([ticket["reporter_user_id"]])).get(ticket["reporter_user_id"])
    if person is None or (ticket["reporter_email"] and person["email"] == ticket["reporter_email"]):
        return []
    return [person["id"]]


async def recipients(event: dict[str, Any], ticket: dict[str, Any]) -> list[tuple[int, NotifyKind]]:
    """(user id, kind) for everyone an event concerns; a person appears once, under the first kind."""
    happening, data = Happening(event["kind"]), event["data"] or {}
    found: list[tuple[list[int], NotifyKind]] = []
    probe = ticket["source"] == Source.PROBE.value
    if happening == Happening.TICKET_CREATED:
        found.append((await _supporters(ticket["county_id"]), NotifyKind.NEW_TICKET))
        if probe:
            found.append((await directory.school_contacts(ticket["school_id"]), NotifyKind.OUTAGE))
    elif happening == Happening.REPORTER_REPLY:
        found.append((await _handlers(ticket), NotifyKind.REPORTER_REPLY))
    elif happening == Happening.ASSIGNED:
        found.append(([data["to"]], NotifyKind.ASSIGNED))
    elif happening == Happening.STATUS_CHANGED:
        found.append((await _reporter_account(ticket), NotifyKind.OWN_TICKET))
        if probe and data.get("to") == Status.RESOLVED.value:
            found.append((await directory.school_contacts(ticket["school_id"]), NotifyKind.OUTAGE))
    elif happening == Happening.SLA_WARNING:
        found.append((await _handlers(ticket), NotifyKind.SLA_WARNING))
    elif happening == Happening.SLA_BREACH:
        found.append((await _handlers(ticket), NotifyKind.SLA_BREACH))
    elif happening == Happening.SCHOOL_OFFLINE:
        found.append((await _supporters(ticket["county_id"]), NotifyKind.SCHOOL_OFFLINE))
        found.append((await directory.school_contacts(ticket["school_id"]), NotifyKind.OUTAGE))
    seen: set[int] = set()
    result = []
    for user_ids, kind in found:
        for user_id in user_ids:
            if user_id not in seen and user_id != event["actor_user_id"]:
                seen.add(user_id)
                result.append((user_id, kind))
    return result


# --- writing the mails ----------------------------------------------------------------------------


def ticket_url(ticket_id: int) -> str:
    return f"{get_settings().public_url}/tickets/{ticket_id}"


def settings_url() -> str:
    return f"{get_settings().public_url}/account/notifications"


def headline(event: dict[str, Any], ticket: dict[str, Any], kind: NotifyKind) -> str:
    """One line saying what happened (the subject of a single mail, a line of a digest)."""
    happening, data = Happening(event["kind"]), event["data"] or {}
    values = {"number": ticket["number"], "subject": ticket["subject"], "school": ticket["school_name"]}
    if happening in (Happening.TICKET_CREATED, Happening.SCHOOL_OFFLINE) and kind == NotifyKind.OUTAGE:
        return _("Outage at your school: %(subject)s", **values)
    if happening == Happening.TICKET_CREATED:
        return _("New ticket %(number)s: %(subject)s", **values)
    if happening == Happening.REPORTER_REPLY:
        return _("Ticket %(number)s: the reporter replied", **values)
    if happening == Happening.ASSIGNED:
        return _("Ticket %(number)s was assigned to you", **values)
    if happening == Happening.STATUS_CHANGED:
        if kind == NotifyKind.OUTAGE:
            return _("Outage at your school resolved: %(subject)s", **values)
        return _("Ticket %(number)s: %(status)s", status=_(STATUS_LABELS[Status(data["to"])]), **values)
    if happening == Happening.SLA_WARNING:
        return _("Ticket %(number)s: 80 %% of the resolution time used", **values)
    if happening == Happening.SLA_BREACH:
        return _("Ticket %(number)s: SLA breached", **values)
    return _("School offline: %(school)s", **values)


def message(event: dict[str, Any], ticket: dict[str, Any], kind: NotifyKind) -> tuple[str, str]:
    """Subject and body of the mail about one event."""
    data = event["data"] or {}
    detail = data.get("body") or ""
    body = _("%(number)s · %(school)s\n%(subject)s\n", number=ticket["number"], school=ticket["school_name"],
             subject=ticket["subject"])
    if detail:
        body += "\n" + detail + "\n"
    body += "\n" + _("Open the ticket: %(url)s", url=ticket_url(ticket["id"])) + "\n\n-- \n" + _(
        "Choose which mails you get: %(url)s", url=settings_url()) + "\n"
    return headline(event, ticket, kind), body


# --- dispatching ----------------------------------------------------------------------------------

async def _tickets(ticket_ids: set[int]) -> dict[int, dict[str, Any]]:
    """What the mails say about each ticket, with its school's name."""
    rows = await fetch("SELECT id, number, subject, status, source, county_id, school_id, assignee_id, "
                       "reporter_user_id, reporter_email FROM ticket WHERE id = ANY({})", sorted(ticket_ids))
    schools: dict[int, str] = {}
    for row in rows:
        if row["school_id"] not in schools:
            school = await inventory.school_summary(school_id=row["school_id"])
            schools[row["school_id"]] = school["name"] if school else ""
    return {row["id"]: {**row, "school_name": schools[row["school_id"]]} for row in rows}


async def _people(user_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The people with their choices (`locale`, `modes`; the defaults without a profile)."""
    people = await directory.people(user_ids)
    profiles = {row["user_id"]: row for row in await fetch(
        "SELECT user_id, locale, modes FROM notification_profile WHERE user_id = ANY({})", list(people))}
    return {user_id: {**person, "locale": profiles[user_id]["locale"] if user_id in profiles else "",
                      "modes": _json(profiles[user_id]["modes"]) if user_id in profiles else {}}
            for user_id, person in people.items()}


def _json(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


def mode_of(person: dict[str, Any], kind: NotifyKind) -> NotifyMode:
    """A person's choice for a kind: off outside their role's kinds, else theirs or the default."""
    if kind not in ROLE_KINDS.get(Role(person["role"]), ()):
        return NotifyMode.OFF
    chosen = person["modes"].get(kind.value)
    return NotifyMode(chosen) if chosen in {m.value for m in modes_for(kind)} else default_mode(kind)


async def dispatch(limit: int = BATCH) -> int:
    """Turn pending events into mails, digest items and webhook deliveries; returns how many events
    were worked.

    Rows are taken with SKIP LOCKED, so two processes never work the same event."""
    async with atomic():
        events = await fetch("SELECT id, kind, ticket_id, county_id, school_id, actor_user_id, data "
                             "FROM notification_event WHERE dispatched_at IS NULL ORDER BY id LIMIT {} "
                             "FOR UPDATE SKIP LOCKED", limit)
        if not events:
            return 0
        tickets = await _tickets({e["ticket_id"] for e in events})
        for event in events:
            event = {**event, "data": _json(event["data"])}
            ticket = tickets.get(event["ticket_id"])
            if ticket is None:
                continue
            await webhooks.queue_deliveries(event, ticket)
            wanted = await recipients(event, ticket)
            people = await _people([user_id for user_id, _kind in wanted])
            for user_id, kind in wanted:
                person = people.get(user_id)
                if person is None or not person["active"]:
                    continue
                mode = mode_of(person, kind)
                if mode == NotifyMode.ON:
                    with language(person["locale"]):
                        subject, body = message(event, ticket, kind)
                    await mail.enqueue(person["email"], subject, body, ticket_id=ticket["id"])
                elif mode == NotifyMode.DIGEST:
                    await fetch("INSERT INTO notification_digest_item (user_id, event_id, notify_kind) "
                                "VALUES ({}, {}, {})", user_id, event["id"], kind.value)
        await fetch("UPDATE notification_event SET dispatched_at = now() WHERE id = ANY({})",
                    [event["id"] for event in events])
    return len(events)


def _local_cutoff(moment: dt.datetime, weekday: int | None = None) -> dt.datetime:
    """The latest DIGEST_HOUR o'clock (on `weekday`, 0 = Monday, if given) at or before `moment`."""
    local = moment.astimezone(BERLIN)
    day = local.date()
    while True:
        cutoff = dt.datetime.combine(day, dt.time(DIGEST_HOUR), tzinfo=BERLIN)
        if cutoff <= local and (weekday is None or day.weekday() == weekday):
            return cutoff.astimezone(dt.UTC)
        day -= dt.timedelta(days=1)


async def send_digests(moment: dt.datetime | None = None) -> int:
    """Once a day (from 07:00): one mail per person with the events they chose to get as a digest.
    Returns how many digests were queued."""
    moment = moment or dt.datetime.now(dt.UTC)
    cutoff = _local_cutoff(moment)
    async with atomic():
        items = await fetch(
            "SELECT i.id, i.user_id, i.notify_kind, e.id AS event_id, e.kind, e.ticket_id, e.actor_user_id, e.data "
            "FROM notification_digest_item i JOIN notification_event e ON e.id = i.event_id "
            "WHERE i.sent_at IS NULL AND i.created_at < {} ORDER BY i.user_id, i.id FOR UPDATE OF i SKIP LOCKED",
            cutoff)
        if not items:
            return 0
        tickets = await _tickets({i["ticket_id"] for i in items})
        by_user: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for item in items:
            by_user[item["user_id"]].append(item)
        people = await _people(list(by_user))
        for user_id, mine in by_user.items():
            person = people[user_id]
            with language(person["locale"]):
                lines = []
                for item in mine:
                    ticket = tickets.get(item["ticket_id"])
                    if ticket is not None:
                        event = {**item, "data": _json(item["data"])}
                        lines.append(f"- {headline(event, ticket, NotifyKind(item['notify_kind']))}\n"
                                     f"  {ticket_url(ticket['id'])}")
                subject = ngettext("Your daily summary: %(num)s notification",
                                   "Your daily summary: %(num)s notifications", len(lines))
                body = (_("What happened since the last summary:") + "\n\n" + "\n".join(lines) + "\n\n-- \n"
                        + _("Choose which mails you get: %(url)s", url=settings_url()) + "\n")
            if lines and person["active"]:
                await mail.enqueue(person["email"], subject, body)
        await fetch("UPDATE notification_digest_item SET sent_at = {} WHERE id = ANY({})", moment,
                    [item["id"] for item in items])
    return len(by_user)


async def weekly_summaries(moment: dt.datetime | None = None) -> int:
    """On Mondays from 07:00: the past week of their county for each authority who asked for it
    (opened, resolved, still open, breached). Returns how many summaries were queued."""
    moment = moment or dt.datetime.now(dt.UTC)
    week_end = _local_cutoff(moment, weekday=0)
    week_start = week_end - dt.timedelta(days=7)
    monday = week_end.astimezone(BERLIN).date()
    queue_url = get_settings().public_url + "/tickets"
    sent = 0
    async with atomic():
        asked = await fetch("SELECT user_id FROM notification_profile WHERE modes->>'weekly_summary' = 'on' "
                            "AND (weekly_sent_on IS NULL OR weekly_sent_on < {}) FOR UPDATE SKIP LOCKED", monday)
        people = [person for person in (await _people([row["user_id"] for row in asked])).values()
                  if person["active"] and person["role"] == Role.AUTHORITY.value and person["county_id"]]
        counties = await directory.counties_by_id(person["county_id"] for person in people)
        for person in people:
            county_name = counties[person["county_id"]]["name"]
            figures = (await fetch(
                "SELECT count(*) FILTER (WHERE created_at >= {} AND created_at < {}) AS opened, "
                "count(*) FILTER (WHERE resolved_at >= {} AND resolved_at < {}) AS resolved, "
                "count(*) FILTER (WHERE status NOT IN ('resolved', 'closed')) AS open, "
                "count(*) FILTER (WHERE {}) AS breached "
                "FROM ticket WHERE county_id = {}", week_start, week_end, week_start, week_end,
                overdue.past_sla(moment, "ticket"), person["county_id"]))[0]
            with language(person["locale"]):
                subject = _("Weekly summary %(county)s", county=county_name)
                body = _("Tickets of %(county)s in the week before %(day)s:\n\n"
                         "opened: %(opened)s\nresolved: %(resolved)s\nstill open: %(open)s\n"
                         "of them past an SLA: %(breached)s\n", county=county_name,
                         day=day_text(monday), **figures)
                body += "\n" + _("The queue: %(url)s", url=queue_url) + "\n\n-- \n" + _(
                    "Choose which mails you get: %(url)s", url=settings_url()) + "\n"
            await mail.enqueue(person["email"], subject, body)
            await fetch("UPDATE notification_profile SET weekly_sent_on = {} WHERE user_id = {}", monday,
                        person["id"])
            sent += 1
    return sent


async def dispatch_all() -> int:
    """Dispatch until the outbox is empty; returns how many events were worked."""
    total = 0
    while worked := await dispatch():
        total += worked
    return total


# --- a person's own choices -----------------------------------------------------------------------


async def my_preferences(scope: Scope) -> dict[str, Any]:
    """The caller's language and, for each kind their role offers, the mode and its choices."""
    if scope.actor.user_id is None:
        raise NotFound(NO_SUCH_PERSON)
    people = await _people([scope.actor.user_id])
    person = people.get(scope.actor.user_id)
    if person is None:
        raise NotFound(NO_SUCH_PERSON)
    offered = ROLE_KINDS.get(Role(person["role"]), ())
    kinds = [{"kind": kind.value, "label": NOTIFY_LABELS[kind], "mode": mode_of(person, kind).value,
              "modes": [(mode.value, NOTIFY_MODE_LABELS[mode]) for mode in modes_for(kind)]} for kind in offered]
    return {"locale": person["locale"], "kinds": kinds,
            "digest": any(NotifyMode.DIGEST in modes_for(kind) for kind in offered)}


def preference_errors(scope: Scope, *, locale: str, modes: dict[str, str]) -> list[FieldError]:
    """Why a language and modes cannot be the caller's choices ([] when they can): an unknown language
    (whatever its length), a kind the role is not offered, a mode the kind does not have."""
    offered = {kind.value: kind for kind in ROLE_KINDS.get(scope.role, ())}
    errors = []
    if locale and locale not in LOCALES:
        errors.append(FieldError("locale", N_("unknown language")))
    for name, value in modes.items():
        kind = offered.get(name)
        if kind is None:
            errors.append(FieldError(name, N_("not a notification your role can choose")))
        elif value not in {mode.value for mode in modes_for(kind)}:
            errors.append(FieldError(name, N_("must be one of the offered choices")))
    return errors


async def save_my_preferences(scope: Scope, *, locale: str, modes: dict[str, str]) -> dict[str, Any]:
    """Store the caller's language ("" = default) and modes; unknown kinds or modes are field errors."""
    if scope.actor.user_id is None:
        raise NotFound(NO_SUCH_PERSON)
    if errors := preference_errors(scope, locale=locale, modes=modes):
        raise ValidationFailed(errors)
    async with atomic():
        before = await fetch("SELECT locale, modes FROM notification_profile WHERE user_id = {}", scope.actor.user_id)
        await fetch("INSERT INTO notification_profile (user_id, locale, modes) VALUES ({}, {}, {}::jsonb) "
                    "ON CONFLICT (user_id) DO UPDATE SET locale = excluded.locale, modes = excluded.modes",
                    scope.actor.user_id, locale, msgspec.json.encode(modes).decode())
        await audit.record(scope, "notification_profile.save", object_type="user", object_id=scope.actor.user_id,
                           before=({"locale": before[0]["locale"], "modes": _json(before[0]["modes"])}
                                   if before else None), after={"locale": locale, "modes": modes})
    return await my_preferences(scope)
