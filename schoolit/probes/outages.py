"""Outage tickets from the state per asset, looked at after each derivation pass.

An access point or uplink that failed `OUTAGE_AFTER_FAILURES` polls in a row (default 3) opens one
ticket (source probe, category WLAN/Netzwerk or Internet/Anschluss, linked to the asset), never a second
while it is open. When the device answered but refused the probe's SNMP credentials (the agent marks
such samples, `CREDENTIALS_REJECTED`), the ticket says "SNMP-Zugangsdaten abgelehnt" instead of
"antwortet nicht", and such a device never makes a school count as offline. An access point polled
through its WLAN controller that the controller no longer lists, or lists with every radio down, gets a
ticket that says which. When every monitored asset
of a school is down, that is one school-level outage: one ticket (on the uplink when the school has
one), not one per access point; when its devices went down one after another, the oldest of their
tickets is promoted to that school-level ticket and the others are folded into it. When the assets of a
ticket answer again, a public comment is added and the ticket is resolved unless a person has worked on
it. Opening, promoting and resolving are the tickets domain's services; this module only decides when,
and remembers the ticket on the assets' state. It runs after each derivation pass
(`schoolit.probes.derivation`) for the schools whose samples the pass took in: an outage that began and
ended within one pass (a replayed backlog) opens nothing.

A WLAN controller that has not answered `OUTAGE_AFTER_FAILURES` polls in a row opens a ticket of its own
("WLAN-Controller … antwortet nicht", or "SNMP-Zugangsdaten abgelehnt"), at its school or, for a county's
controller, at the school with most of the access points it manages; it is resolved when the controller
answers again (`handle_controller_outages`, after each batch with controller reports). Its access points
keep their last state meanwhile: a silent controller says nothing about them (unknown is not down), and
the agent sends no samples for them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from schoolit.accounts import probes as accounts
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.inventory.wlan_controllers import controller_ticket_places
from schoolit.kernel.times import berlin_time
from schoolit.logs import get_logger
from schoolit.probes.agent.wire import CREDENTIALS_REJECTED, NOT_LISTED, RADIOS_DOWN
from schoolit.probes.choices import AssetKind
from schoolit.settings import get_settings
from schoolit.sql import fetch, lock
from schoolit.tickets import outages as tickets

log = get_logger("schoolit.probes")
CATEGORY = {AssetKind.ACCESS_POINT: "WLAN/Netzwerk", AssetKind.UPLINK: "Internet/Anschluss"}


async def touch_probe(scope: Scope) -> None:
    """Record that the probe talked to us (the probe row is accounts': `accounts.probes.touch_probe`)."""
    if scope.actor.id is not None:
        await accounts.touch_probe(scope.actor.id)


# The monitored assets of some schools: those with a state row whose access point is active or whose
# uplink is live.
_MONITORED_FROM = (
    "FROM probe_asset_state s "
    "LEFT JOIN access_point ap ON s.asset_kind = {} AND ap.id = s.asset_id AND ap.status = 'active' "
    "LEFT JOIN uplink u ON s.asset_kind = {} AND u.id = s.asset_id AND u.status = 'live' ")
_MONITORED_WHERE = "WHERE s.school_id = ANY({}) AND (ap.id IS NOT NULL OR u.id IS NOT NULL) "
_MONITORED = _MONITORED_FROM + _MONITORED_WHERE
_KINDS = (int(AssetKind.ACCESS_POINT), int(AssetKind.UPLINK))
# What a down asset's latest poll ran into, and whether the device answered a ping then (through the
# samples' (kind, id, time) index; few rows here).
_LAST_ERROR = ("l.error AS last_error, l.icmp_reachable ")
_LATEST_SAMPLE = ("LEFT JOIN LATERAL (SELECT p.error, p.icmp_reachable FROM probe_sample p WHERE NOT s.reachable "
                  "AND p.asset_kind = s.asset_kind AND p.asset_id = s.asset_id AND p.polled_at = s.last_polled_at "
                  "LIMIT 1) l ON true ")


async def _outage_assets(school_ids: list[int], threshold: int) -> list[dict[str, Any]]:
    """The monitored assets of these schools that tickets are about: down long enough, or on a ticket.

    Only these, not every asset of the schools: this runs after the derivation passes, and nearly
    always nothing is down."""
    return await fetch(
        "SELECT s.asset_kind, s.asset_id, s.school_id, s.reachable, s.consecutive_failures, s.down_since, "
        "s.outage_ticket_id, coalesce(ap.name, u.provider) AS name, " + _LAST_ERROR + _MONITORED_FROM + _LATEST_SAMPLE
        + _MONITORED_WHERE
        + "AND (s.outage_ticket_id IS NOT NULL OR (NOT s.reachable AND s.consecutive_failures >= {})) "
        "ORDER BY s.asset_kind DESC, s.asset_id", *_KINDS, school_ids, threshold)


async def _monitored_counts(school_ids: list[int]) -> dict[int, int]:
    """How many assets each of these schools monitors (is everything there down?)."""
    rows = await fetch("SELECT s.school_id, count(*) AS assets " + _MONITORED + "GROUP BY s.school_id",
                       *_KINDS, school_ids)
    return {row["school_id"]: row["assets"] for row in rows}


async def _remember(ticket_id: int | None, assets: list[dict[str, Any]]) -> None:
    await fetch("UPDATE probe_asset_state SET outage_ticket_id = {} WHERE (asset_kind, asset_id) IN "
                "(SELECT * FROM unnest({}::smallint[], {}::integer[]))",
                ticket_id, [a["asset_kind"] for a in assets], [a["asset_id"] for a in assets])


def _rejected(asset: dict[str, Any]) -> bool:
    """The asset's latest poll was answered with a refusal of the credentials (not silence)."""
    return str(asset.get("last_error") or "").startswith(CREDENTIALS_REJECTED)


def _since(moment: dt.datetime | None) -> str:
    return f" seit {berlin_time(moment, zone=False)}" if moment else ""


async def _open(scope: Scope, school_id: int, carrier: dict[str, Any], summary: str) -> int:
    kind = AssetKind(carrier["asset_kind"])
    ticket = await tickets.open_or_get_outage_ticket(
        scope, school_id=school_id, asset_kind=kind.wire, asset_id=carrier["asset_id"], category=CATEGORY[kind],
        summary=summary)
    return int(ticket["id"])


async def handle_outages(scope: Scope, school_ids: list[int], threshold: int | None = None) -> None:
    """At these schools: open tickets for assets down long enough; resolve those whose assets all answer again."""
    if not school_ids:
        return
    threshold = threshold or get_settings().outage_after_failures
    by_school: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for asset in await _outage_assets(school_ids, threshold):
        by_school[asset["school_id"]].append(asset)
    downs = {school_id: [a for a in assets if not a["reachable"] and a["consecutive_failures"] >= threshold]
             for school_id, assets in by_school.items()}
    news = {school_id: [a for a in down if a["outage_ticket_id"] is None] for school_id, down in downs.items()}
    newly_down = [school_id for school_id, new in news.items() if new]
    monitored = await _monitored_counts(newly_down) if newly_down else {}

    for school_id, assets in by_school.items():
        down, new = downs[school_id], news[school_id]
        if new and len(down) == monitored[school_id] and not any(map(_rejected, down)):
            # Nothing at the school answers: one school-level ticket, on the uplink if there is one.
            carrier = next((a for a in down if a["asset_kind"] == AssetKind.UPLINK), down[0])
            summary = (f"Schule nicht erreichbar: keines der {len(down)} überwachten Geräte antwortet"
                       f"{_since(min((a['down_since'] for a in down if a['down_since']), default=None))}.")
            # Devices that went down one after another have tickets: the oldest becomes the school's, the
            # others are folded into it, so the school ends with one ticket however many passes it took.
            existing = sorted({a["outage_ticket_id"] for a in down if a["outage_ticket_id"]})
            ticket_id = existing[0] if existing else await _open(scope, school_id, carrier, summary)
            kind = AssetKind(carrier["asset_kind"])
            await tickets.promote_to_school_outage(
                scope, ticket_id, uplink_id=carrier["asset_id"] if kind == AssetKind.UPLINK else None,
                category=CATEGORY[kind], summary=summary, merged=existing[1:])
            await _remember(ticket_id, down)
        else:
            for asset in new:
                kind = AssetKind(asset["asset_kind"])
                what = "Access Point" if kind == AssetKind.ACCESS_POINT else "Internetanschluss"
                if _rejected(asset):
                    # The device answers but refuses the profile's credentials: a configuration fault.
                    reason = asset["last_error"].removeprefix(CREDENTIALS_REJECTED)
                    summary = (f"{what} „{asset['name']}“: SNMP-Zugangsdaten abgelehnt{_since(asset['down_since'])} "
                               f"({reason}; {asset['consecutive_failures']} Abfragen in Folge). "
                               "Bitte das SNMP-Profil prüfen.")
                elif str(asset["last_error"] or "").startswith((RADIOS_DOWN, NOT_LISTED)):
                    # Polled through its WLAN controller: all radios off, or the controller lost it.
                    state = ("sendet nicht: alle Funkmodule sind laut WLAN-Controller aus"
                             if asset["last_error"].startswith(RADIOS_DOWN)
                             else "fehlt in der Liste des WLAN-Controllers (nicht verbunden oder entfernt)")
                    summary = (f"{what} „{asset['name']}“ {state}{_since(asset['down_since'])} "
                               f"({asset['consecutive_failures']} Abfragen in Folge).")
                else:
                    # The agent's ping tells a device that is down from one whose SNMP agent is not answering.
                    ping = {True: " auf SNMP, ist aber per Ping erreichbar (SNMP-Dienst oder -Profil prüfen)",
                            False: " und ist auch per Ping nicht erreichbar", None: ""}[asset["icmp_reachable"]]
                    summary = (f"{what} „{asset['name']}“ antwortet nicht{ping}{_since(asset['down_since'])} "
                               f"({asset['consecutive_failures']} Abfragen in Folge).")
                ticket_id = await _open(scope, school_id, asset, summary)
                await _remember(ticket_id, [asset])

        # A ticket is done when every asset it stands for answers again.
        open_tickets: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for asset in assets:
            if asset["outage_ticket_id"] is not None:
                open_tickets[asset["outage_ticket_id"]].append(asset)
        for ticket_id, members in open_tickets.items():
            if all(m["reachable"] for m in members):
                await tickets.resolve_outage_ticket(
                    scope, ticket_id, "Die Sonde meldet: alle betroffenen Geräte antworten wieder.")
                await _remember(None, members)
                log.info("outage resolved", ticket_id=ticket_id, school_id=school_id)


_CONTROLLERS_DUE = (
    "SELECT controller_id, reachable, consecutive_failures, down_since, outage_ticket_id, error "
    "FROM probe_controller_state WHERE controller_id = ANY({}) "
    "AND (outage_ticket_id IS NOT NULL OR (NOT reachable AND consecutive_failures >= {}))")


async def handle_controller_outages(scope: Scope, controller_ids: list[int], threshold: int | None = None) -> None:
    """Open a ticket for each of these controllers silent long enough; resolve those that answer again."""
    if not controller_ids:
        return
    threshold = threshold or get_settings().outage_after_failures
    due = await fetch(_CONTROLLERS_DUE, sorted(set(controller_ids)), threshold)
    if not due:
        return
    places = await controller_ticket_places([row["controller_id"] for row in due])
    for row in due:
        place = places.get(row["controller_id"])
        if place is None or not scope.sees(place["county_id"], place["school_id"]):
            continue
        async with atomic():
            # One opener per controller: two batches at once cannot open two tickets.
            await lock(f"outage:controller:{row['controller_id']}")
            (state,) = await fetch("SELECT reachable, consecutive_failures, down_since, outage_ticket_id, error "
                                   "FROM probe_controller_state WHERE controller_id = {}", row["controller_id"])
            await _controller_outage(scope, row["controller_id"], place, dict(state), threshold)


async def _controller_outage(scope: Scope, controller_id: int, place: dict[str, Any], state: dict[str, Any],
                             threshold: int) -> None:
    name = place["name"]
    if state["outage_ticket_id"] is not None:
        if state["reachable"]:
            await tickets.resolve_outage_ticket(
                scope, state["outage_ticket_id"], f"Die Sonde meldet: der WLAN-Controller „{name}“ antwortet wieder.")
            await _remember_controller(controller_id, None)
            log.info("controller outage resolved", controller_id=controller_id, ticket_id=state["outage_ticket_id"])
        return
    if state["reachable"] or state["consecutive_failures"] < threshold:
        return
    if place["school_id"] is None:
        log.warning("controller silent, no school to file a ticket at", controller_id=controller_id)
        return
    polls = f"{state['consecutive_failures']} Abfragen in Folge"
    if str(state["error"] or "").startswith(CREDENTIALS_REJECTED):
        reason = state["error"].removeprefix(CREDENTIALS_REJECTED)
        summary = (f"WLAN-Controller „{name}“: SNMP-Zugangsdaten abgelehnt{_since(state['down_since'])} "
                   f"({reason}; {polls}). Bitte das SNMP-Profil prüfen.")
    else:
        summary = (f"WLAN-Controller „{name}“ antwortet nicht{_since(state['down_since'])} ({polls}): "
                   "der Zustand seiner Access Points ist unbekannt, bis er wieder antwortet.")
    ticket = await tickets.open_probe_ticket(scope, school_id=place["school_id"],
                                             category=CATEGORY[AssetKind.ACCESS_POINT], summary=summary)
    await _remember_controller(controller_id, int(ticket["id"]))
    log.warning("controller silent", controller_id=controller_id, ticket_id=ticket["id"])


async def _remember_controller(controller_id: int, ticket_id: int | None) -> None:
    await fetch("UPDATE probe_controller_state SET outage_ticket_id = {} WHERE controller_id = {}",
                ticket_id, controller_id)
