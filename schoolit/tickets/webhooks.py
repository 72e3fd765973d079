"""Webhooks: ticket events posted as signed JSON to URLs an admin registered (chat bridges).

The notification dispatcher hands each event to `queue_deliveries()`, in its own transaction: one
`webhook_delivery` row per active webhook that wants the event's kind, holding the exact JSON body.
The `webhooks` job (`deliver_due()`) posts due rows with `FOR UPDATE SKIP LOCKED`:

- header `X-Schoolit-Signature: sha256=<hex>` is HMAC-SHA256 of the body with the webhook's secret
  (generated, shown once, kept Fernet-encrypted like the SNMP secrets); `X-Schoolit-Event` names the
  kind, `X-Schoolit-Delivery` the delivery id (receivers use it to drop a repeat);
- a 2xx answer delivers; anything else (status, refused connection, time-out) is retried after 30 s,
  1 min, 2 min, … up to one hour (the e-mail outbox's back-off), and given up after `MAX_ATTEMPTS`;
- the admin page shows each webhook's latest deliveries with status, attempts and last error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec

from schoolit import rules
from schoolit.accounts import audit
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.errors import FieldError, NotFound, ValidationFailed
from schoolit.inventory import secrets as vault
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.logs import get_logger
from schoolit.settings import get_settings
from schoolit.sql import fetch
from schoolit.tickets import mail
from schoolit.tickets.choices import Happening

log = get_logger("schoolit.webhooks")

MAX_ATTEMPTS = 10
BATCH = 50
TIMEOUT_SECONDS = 10.0
SIGNATURE_HEADER = "X-Schoolit-Signature"

HAPPENING_LABELS = {
    Happening.TICKET_CREATED: N_("ticket created"),
    Happening.REPORTER_REPLY: N_("reply from the reporter"),
    Happening.ASSIGNED: N_("ticket assigned"),
    Happening.STATUS_CHANGED: N_("status changed"),
    Happening.SLA_WARNING: N_("80 %% of the resolution time used"),  # shown through a template (%-formats)
    Happening.SLA_BREACH: N_("SLA breached"),
    Happening.SCHOOL_OFFLINE: N_("school offline"),
}


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- admin: registering ---------------------------------------------------------------------------


def _check(name: str, url: str, events: list[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    rules.one_to(errors, "name", name, 120)
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        errors.append(FieldError("url", N_("must be an http or https address")))
    if not events:
        errors.append(FieldError("events", N_("choose at least one event")))
    elif not set(events) <= {h.value for h in Happening}:
        errors.append(FieldError("events", N_("unknown event")))
    return errors


async def create_webhook(scope: Scope, *, name: str, url: str, events: list[str]) -> tuple[dict[str, Any], str]:
    """Register a webhook; returns it and its signing secret (shown once, stored encrypted)."""
    scope.require(Permission.USERS_MANAGE)
    errors = _check(name, url, events)
    if errors:
        raise ValidationFailed(errors)
    secret = "whsec_" + secrets.token_urlsafe(32)
    async with atomic():
        rows = await fetch("INSERT INTO webhook (name, url, events, secret, active) VALUES ({}, {}, {}::jsonb, {}, "
                           "true) RETURNING id, name, url, events, active, created_at", name.strip(), url.strip(),
                           msgspec.json.encode(sorted(set(events))).decode(), vault.encrypt(secret))
        row = _decoded(rows[0])
        await audit.record(scope, "webhook.create", object_type="webhook", object_id=row["id"], after=row)
    return row, secret


async def set_active(scope: Scope, webhook_id: int, active: bool) -> None:
    scope.require(Permission.USERS_MANAGE)
    async with atomic():
        rows = await fetch("UPDATE webhook SET active = {} WHERE id = {} RETURNING id", active, webhook_id)
        if not rows:
            raise NotFound(N_("webhook not found"))
        await audit.record(scope, "webhook.update", object_type="webhook", object_id=webhook_id,
                           after={"active": active})


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    events = row["events"]
    return {**row, "events": msgspec.json.decode(events) if isinstance(events, str | bytes) else events}


async def list_webhooks(scope: Scope, deliveries: int = 10) -> list[dict[str, Any]]:
    """Every webhook (never its secret) with its latest deliveries and counts of failures."""
    scope.require(Permission.USERS_MANAGE)
    hooks = [_decoded(row) for row in await fetch(
        "SELECT w.id, w.name, w.url, w.events, w.active, w.created_at, "
        "count(d.id) FILTER (WHERE d.delivered_at IS NOT NULL) AS delivered, "
        "count(d.id) FILTER (WHERE d.delivered_at IS NULL AND d.attempts > 0) AS failing "
        "FROM webhook w LEFT JOIN webhook_delivery d ON d.webhook_id = w.id GROUP BY w.id ORDER BY w.name, w.id")]
    for hook in hooks:
        hook["deliveries"] = await fetch(
            "SELECT id, kind, attempts, next_attempt_at, delivered_at, last_status, last_error, created_at "
            "FROM webhook_delivery WHERE webhook_id = {} ORDER BY id DESC LIMIT {}", hook["id"], deliveries)
    return hooks


# --- queueing and delivering ----------------------------------------------------------------------


def payload(event: dict[str, Any], ticket: dict[str, Any]) -> bytes:
    """The JSON body about one event (the ticket's public facts, a link; never personal data)."""
    data = event["data"] or {}
    body = {
        "event": event["kind"],
        "event_id": event["id"],
        "ticket": {"id": ticket["id"], "number": ticket["number"], "subject": ticket["subject"],
                   "status": ticket["status"], "school": ticket["school_name"], "county_id": ticket["county_id"],
                   "url": f"{get_settings().public_url}/tickets/{ticket['id']}"},
        "data": {key: data[key] for key in ("from", "to") if key in data},
    }
    return msgspec.json.encode(body)


async def queue_deliveries(event: dict[str, Any], ticket: dict[str, Any]) -> int:
    """One delivery per active webhook that wants this event's kind (in the caller's transaction)."""
    rows = await fetch("INSERT INTO webhook_delivery (webhook_id, event_id, kind, payload) SELECT id, {}, {}, {} "
                       "FROM webhook WHERE active AND events ? {} RETURNING id", event["id"], event["kind"],
                       payload(event, ticket).decode(), event["kind"])
    return len(rows)


async def _post(url: str, secret: str, delivery: dict[str, Any]) -> tuple[int | None, str]:
    body = delivery["payload"].encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
               "X-Schoolit-Event": delivery["kind"], "X-Schoolit-Delivery": str(delivery["id"]),
               "User-Agent": "schoolit-webhooks"}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"


async def deliver_due(moment: dt.datetime | None = None) -> tuple[int, int]:
    """Post the due deliveries; returns (delivered, failed). Failures are retried with back-off."""
    moment = moment or dt.datetime.now(dt.UTC)
    delivered = failed = 0
    async with atomic():
        rows = await fetch(
            "SELECT d.id, d.kind, d.payload, d.attempts, w.url, w.secret FROM webhook_delivery d "
            "JOIN webhook w ON w.id = d.webhook_id WHERE d.delivered_at IS NULL AND w.active "
            "AND d.next_attempt_at <= {} ORDER BY d.next_attempt_at, d.id LIMIT {} FOR UPDATE OF d SKIP LOCKED",
            moment, BATCH)
        for row in rows:
            attempts = row["attempts"] + 1
            status, error = await _post(row["url"], vault.decrypt(row["secret"]) or "", row)
            if not error:
                await fetch("UPDATE webhook_delivery SET attempts = {}, delivered_at = {}, last_status = {}, "
                            "last_error = '' WHERE id = {}", attempts, moment, status, row["id"])
                delivered += 1
                continue
            final = attempts >= MAX_ATTEMPTS
            log.warning("webhook not delivered", delivery_id=row["id"], attempts=attempts, error=error[:200])
            await fetch("UPDATE webhook_delivery SET attempts = {}, last_status = {}, last_error = {}, "
                        "next_attempt_at = CASE WHEN {} THEN 'infinity'::timestamptz ELSE {} END WHERE id = {}",
                        attempts, status, (("given up: " if final else "") + error)[:500], final,
                        moment + mail.backoff(attempts), row["id"])
            failed += 1
    return delivered, failed
