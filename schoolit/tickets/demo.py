"""Demo tickets: the arrangement's business calendar (RLP holidays 2026/2027), its support policy, and
open and closed tickets across its counties (plus a few in Ludwigsburg) with comments and time entries.
The deadline jobs run once at the end, so timelines hold SLA warnings and breaches, and one running ticket
is always due soon (answered in time, its resolution deadline close).

Idempotent: each demo ticket is known by its reporter address; one that exists is left as it is.
Deterministic: the same tickets, texts and times (relative to the day of seeding) every time.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from schoolit.accounts import directory
from schoolit.accounts import services as accounts
from schoolit.accounts.scope import Scope
from schoolit.errors import NotFound
from schoolit.inventory import figures as inventory_figures
from schoolit.sql import fetch
from schoolit.tickets import policy, services, worktime
from schoolit.tickets.categories import list_categories
from schoolit.tickets.choices import Level, Source, Status
from schoolit.tickets.schemas import PolicyIn
from schoolit.tickets.sla import Due, due_times, priority_of, public_holidays

CALENDAR = "Schul-IT-Verbund Donnersberg–Kaiserslautern–Kusel"
SUPPORTER = "support@verbund.demo.schoolit.example"
MEMBER_COUNTIES = ("donnersbergkreis", "kaiserslautern", "kusel")


@dataclass(frozen=True)
class DemoTicket:
    category: str
    subject: str
    description: str
    urgency: Level
    status: Status
    comment: str = ""
    minutes: int = 0


FAULTS: tuple[DemoTicket, ...] = (
    DemoTicket("WLAN/Netzwerk", "WLAN im Neubau fällt zeitweise aus", "Im 2. OG des Neubaus bricht das WLAN "
               "mehrmals pro Stunde ab, besonders in den Räumen 2.14 bis 2.18.", Level.HIGH, Status.IN_PROGRESS,
               "Controller-Log zeigt Neustarts von AP-2.16, Tausch ist bestellt.", 50),
    DemoTicket("Internet/Anschluss", "Internet sehr langsam seit Montag", "Downloads im Computerraum laufen nur "
               "mit wenigen Mbit/s.", Level.MEDIUM, Status.WAITING, "Störung beim Provider gemeldet, "
               "wir warten auf die Rückmeldung.", 35),
    DemoTicket("Endgerät", "Tablet startet nicht mehr", "Ein Schülertablet aus der 7b bleibt beim Logo hängen.",
               Level.LOW, Status.RESOLVED, "Gerät per MDM zurückgesetzt, es läuft wieder.", 25),
    DemoTicket("Präsentationstechnik", "Beamer in Raum A 1.12 ohne Bild", "Der Beamer zeigt 'Kein Signal', "
               "obwohl das HDMI-Kabel steckt.", Level.HIGH, Status.NEW),
    DemoTicket("Konto/Passwort", "Lehrkraft kann sich nicht anmelden", "Nach der Passwortänderung geht die "
               "Anmeldung am Lehrerrechner nicht mehr.", Level.MEDIUM, Status.CLOSED,
               "Konto entsperrt und Passwort zurückgesetzt.", 15),
    DemoTicket("Software", "Lernsoftware fehlt auf den Laptops", "Auf den Leihlaptops der Oberstufe fehlt "
               "GeoGebra.", Level.LOW, Status.ASSIGNED),
    DemoTicket("WLAN/Netzwerk", "Access Point im Lehrerzimmer blinkt rot", "Der AP an der Decke des "
               "Lehrerzimmers blinkt seit heute Morgen rot.", Level.MEDIUM, Status.NEW),
    DemoTicket("Sonstiges", "Dokumentenkamera defekt", "Die Dokumentenkamera im Chemieraum zeigt Streifen.",
               Level.LOW, Status.CLOSED, "Gerät unter Garantie getauscht.", 40),
)


def _reporter(index: int) -> str:
    return f"meldung-{index:03d}@schule.demo.schoolit.example"


async def _calendar_and_policy(system: Scope) -> None:
    await policy.ensure_calendar(system, name=CALENDAR, day_start=dt.time(7, 30), day_end=dt.time(16))
    await policy.add_holidays(system, CALENDAR, public_holidays("RP", 2026) + public_holidays("RP", 2027))
    county_id = await directory.county_id_by_slug("donnersbergkreis")
    arrangement_id = await directory.arrangement_of_county(county_id) if county_id is not None else None
    arrangement = await directory.arrangement(arrangement_id) if arrangement_id is not None else None
    if arrangement is not None and arrangement["lead_county_id"] == county_id:
        await policy.set_policy(system, PolicyIn(arrangement=arrangement["slug"], calendar=CALENDAR,
                                                 close_after_days=7))


async def _supporter_scope() -> Scope | None:
    try:
        user = await accounts.get_user_by_email(Scope.system("demo"), SUPPORTER)
    except NotFound:
        return None
    return await accounts.scope_for_user(user)


async def _due_times_of(ticket_id: int, county_id: int) -> tuple[dt.datetime, Callable[[dt.datetime], Due]]:
    """A ticket's creation time, and the due times its county's policy gives it for a creation time."""
    rows = await fetch("SELECT created_at, urgency, impact FROM ticket WHERE id = {}", ticket_id)
    support = await policy.policy_for_county(county_id)
    target = support.target(priority_of(rows[0]["urgency"], rows[0]["impact"], support.matrix))
    return rows[0]["created_at"], lambda created: due_times(support.calendar, created, target)


async def _backdate(ticket_id: int, county_id: int, days: int) -> None:
    """Move a fresh ticket into the past, with the due times that creation time gives."""
    created_at, due_for = await _due_times_of(ticket_id, county_id)
    created = created_at - dt.timedelta(days=days, hours=days % 5)
    due = due_for(created)
    await fetch("UPDATE ticket SET created_at = {}, response_due_at = {}, resolution_due_at = {}, "
                "resolution_warn_at = {} WHERE id = {}", created, due.response_due_at, due.resolution_due_at,
                due.resolution_warn_at, ticket_id)
    await fetch("UPDATE ticket_event SET at = {} WHERE ticket_id = {} AND kind = 'created'", created, ticket_id)


async def _due_soon(ticket_id: int, county_id: int) -> None:
    """Move a worked ticket back until its resolution is due soon but not yet (the warning, not a breach), its
    first answer given in time: the latest creation time, hour by hour, whose warning time has passed."""
    _, due_for = await _due_times_of(ticket_id, county_id)
    moment = services.now()
    for hours in range(1, 24 * 60):
        created = moment - dt.timedelta(hours=hours)
        due = due_for(created)
        if due.resolution_warn_at <= moment:
            break
    else:
        return
    if due.resolution_due_at <= moment:
        return  # no calendar moment lies between (cannot happen with business hours every weekday)
    answered = min(created + dt.timedelta(minutes=20), due.response_due_at)
    await fetch("UPDATE ticket SET created_at = {}, response_due_at = {}, resolution_due_at = {}, "
                "resolution_warn_at = {}, first_response_at = {}, sla_breached = false WHERE id = {}",
                created, due.response_due_at, due.resolution_due_at, due.resolution_warn_at, answered, ticket_id)
    # Its timeline then: reported, and worked on from its first answer.
    await fetch("UPDATE ticket_event SET at = CASE WHEN kind = 'created' THEN {}::timestamptz ELSE {}::timestamptz END "
                "WHERE ticket_id = {}", created, answered, ticket_id)


async def _work(worker: Scope | None, ticket_id: int, fault: DemoTicket) -> None:
    if worker is None:  # without the demo logins nobody works the tickets
        return
    if fault.status == Status.NEW:
        return
    await services.assign(worker, ticket_id, worker.actor.user_id)
    if fault.minutes:
        await worktime.log_time(worker, ticket_id, fault.minutes, note="Demo")
    if fault.comment:
        await services.add_comment(worker, ticket_id, fault.comment)
    path = {Status.ASSIGNED: [], Status.IN_PROGRESS: [Status.IN_PROGRESS],
            Status.WAITING: [Status.IN_PROGRESS, Status.WAITING],
            Status.RESOLVED: [Status.IN_PROGRESS, Status.RESOLVED],
            Status.CLOSED: [Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]}[fault.status]
    for status in path:
        await services.change_status(worker, ticket_id, status.value)


async def seed_demo_tickets() -> int:
    """Create the demo tickets that do not exist yet; returns how many demo tickets there are."""
    system = Scope.system("demo")
    await _calendar_and_policy(system)
    worker = await _supporter_scope()
    categories = {c["name"]: c["id"] for c in await list_categories(active_only=False)}
    counties = {county["id"]: county["slug"] for county in await directory.counties(system)
                if county["slug"] in {*MEMBER_COUNTIES, "ludwigsburg"}}
    schools = [{**school, "slug": counties[school["county_id"]]}
               for school in sorted(await inventory_figures.schools(system, list(counties)),
                                    key=lambda school: school["school_number"])]
    arrangement_schools = [s for s in schools if s["slug"] in MEMBER_COUNTIES]
    ludwigsburg = [s for s in schools if s["slug"] == "ludwigsburg"]
    if not arrangement_schools:
        return 0
    rng = random.Random(2026)  # noqa: S311 (demo data, not secrets)
    plan = [(rng.choice(arrangement_schools), FAULTS[i % len(FAULTS)]) for i in range(24)]
    plan += [(ludwigsburg[i % len(ludwigsburg)], FAULTS[i]) for i in range(3) if ludwigsburg]
    existing = {r["reporter_email"] for r in await fetch(
        "SELECT reporter_email FROM ticket WHERE reporter_email LIKE 'meldung-%@schule.demo.schoolit.example'")}
    for index, (school, fault) in enumerate(plan):
        if _reporter(index) in existing:
            continue
        ticket, _token = await services.create_ticket(system, services.NewTicket(
            school_id=school["id"], category_id=categories.get(fault.category, categories["Sonstiges"]),
            subject=fault.subject, description=fault.description, urgency=fault.urgency.value,
            source=Source.WEB_FORM if index % 3 else Source.UI, reporter_email=_reporter(index),
            reporter_name="Demo-Lehrkraft"))
        await _backdate(ticket["id"], school["county_id"], rng.randint(0, 20))
        await _work(worker if school["slug"] in MEMBER_COUNTIES else None, ticket["id"], fault)
        if index == 0 and worker is not None:  # FAULTS[0] is in progress
            await _due_soon(ticket["id"], school["county_id"])
    # What the scheduler's deadline jobs would do first thing: the warnings and breaches, with their events.
    await services.flag_warnings(system)
    await services.flag_breaches(system)
    # The demo never sends its mails: they stay in the outbox as examples.
    await fetch("UPDATE outbox_mail SET sent_at = now(), last_error = 'demo' WHERE sent_at IS NULL "
                "AND recipient LIKE '%demo.schoolit.example'")
    return len(plan)
