"""The audit log: services record every change in the same transaction as the change itself.

Rows are append-only: the app's database role may only INSERT and SELECT them, and a trigger rejects
UPDATE, DELETE and TRUNCATE by anyone else. Secrets are redacted before they are written: passwords,
keys, communities and tokens never reach the log. The one change a row ever sees is the pseudonymisation
of a reporter's e-mail and IP address when their ticket's retention ends (`pseudonymise_ticket_reporters`,
done by a function of the owner of the tables).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import msgspec

from schoolit import lists
from schoolit.accounts.scope import Scope
from schoolit.accounts.tables import AuditEvent
from schoolit.errors import FieldError, ValidationFailed
from schoolit.sql import fetch

_SECRET_KEY = re.compile(r"pass|secret|token|community|key|hash|session", re.IGNORECASE)
_NOT_SECRET = ("_id", "_at", "prefix")  # ids, times and token prefixes name secrets without being one
REDACTED = "***"


def _is_secret(key: str) -> bool:
    return bool(_SECRET_KEY.search(key)) and not key.endswith(_NOT_SECRET)


def redact(value: Any) -> Any:
    """A copy of the value with every secret-looking field replaced by '***'."""
    if isinstance(value, dict):
        return {k: (REDACTED if _is_secret(str(k)) and v not in (None, "") else redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def _to_json(value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None
    return msgspec.json.encode(redact(value), enc_hook=str).decode()


def actor_values(scope: Scope) -> tuple[str, int | None, str, str, str | None]:
    """The actor's kind, id, label, request id and client address, cut to their columns, for a
    statement built with `insert_sql` (the values `record` writes)."""
    return (scope.actor.kind.value, scope.actor.id, scope.actor.label[:254], scope.request_id[:64],
            scope.client_ip)


def json_sql(names: Iterable[str], alias: str) -> str:
    """SQL building the `before`/`after` object of `alias`'s columns, secrets redacted as `record` does."""
    return "jsonb_build_object(" + ", ".join(
        f"'{name}', " + (f"CASE WHEN coalesce({alias}.{name}::text, '') = '' THEN {alias}.{name}::text "
                         f"ELSE '{REDACTED}' END"
                         if _is_secret(name) else f"{alias}.{name}")
        for name in names) + ")"


def insert_sql(source: str, *, actor_kind: str, actor_id: str, actor_label: str, request_id: str,
               client_ip: str, action: str, object_type: str, object_id: str, county_id: str,
               before: str, after: str, at: str | None = None) -> str:
    """`INSERT INTO audit_log … SELECT … FROM source`: the audit rows of a write that must stay one
    statement (a data-modifying CTE beside the write), each column an SQL expression over `source`'s
    rows or a parameter of the caller's statement (`actor_values` gives the actor's). Everything else
    writes the log through `record`; only this module names the table."""
    columns = {"actor_kind": actor_kind, "actor_id": actor_id, "actor_label": actor_label, "request_id": request_id,
               "client_ip": client_ip, "action": action, "object_type": object_type, "object_id": object_id,
               "county_id": county_id, "before": before, "after": after}
    if at is not None:
        columns["at"] = at
    return (f"INSERT INTO audit_log ({', '.join(columns)}) "  # noqa: S608 (column names are constants)
            f"SELECT {', '.join(columns.values())} FROM {source}")


async def record(scope: Scope, action: str, *, object_type: str = "", object_id: object = "",
                 county_id: int | None = None, before: dict[str, Any] | None = None,
                 after: dict[str, Any] | None = None, actor_label: str | None = None) -> None:
    """Append one audit row for an action taken within `scope`."""
    await AuditEvent.insert(AuditEvent(
        actor_kind=scope.actor.kind.value,
        actor_id=scope.actor.id,
        actor_label=(actor_label if actor_label is not None else scope.actor.label)[:254],
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id != "" else "",
        county_id=county_id,
        before=_to_json(before),
        after=_to_json(after),
        request_id=scope.request_id[:64],
        client_ip=scope.client_ip,
    ))


async def pseudonymise_ticket_reporters(closed_before: dt.datetime) -> int:
    """Replace reporters' e-mail and IP addresses in the audit rows of tickets closed before
    `closed_before` by stable keyed pseudonyms; returns how many rows changed. The function of the
    owner (tickets migration of 2026-12-05T22:00:01) picks the rows itself and writes nothing but
    pseudonyms made with a key the app cannot read."""
    rows = await fetch("SELECT ticket_audit_pseudonymise({}) AS changed", closed_before)
    return int(rows[0]["changed"])


# The audit list's sort keys (its column headers); "-key" sorts descending.
SORTS = {"at": AuditEvent.id, "actor": AuditEvent.actor_label, "action": AuditEvent.action,
         "object": AuditEvent.object_type}
DEFAULT_SORT = "-at"


def searched_too_long(**typed: str | None) -> list[FieldError]:
    """The audit log's text filters (actor, object id) longer than a list's search text may be."""
    return [error for field, text in typed.items() for error in lists.search_errors(text, field)]


async def list_events(scope: Scope, *, actor: str | None = None, action: str | None = None,
                      object_type: str | None = None, object_id: str | None = None,
                      since: dt.datetime | None = None, until: dt.datetime | None = None,
                      limit: int = 50, offset: int = 0, sort: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """Audit rows in the caller's scope (admins: all; authorities: their county), newest first unless
    sorted otherwise (`sort`: a key of SORTS, "-key" descending; ties newest first)."""
    from schoolit.kernel.access import Permission

    scope.require(Permission.AUDIT_READ)
    if errors := searched_too_long(actor=actor, object_id=object_id):
        raise ValidationFailed(errors)
    key, descending = lists.sort_key(sort, SORTS, DEFAULT_SORT)
    column = SORTS[key]
    query = AuditEvent.select()
    if column is not AuditEvent.id:
        query = query.order_by(column, ascending=not descending)
    query = query.order_by(AuditEvent.id, ascending=column is AuditEvent.id and not descending)
    count = AuditEvent.count()
    filters = []
    if actor:
        filters.append(AuditEvent.actor_label.ilike(f"%{actor}%"))
    if action:
        filters.append(AuditEvent.action.like(f"{action}%"))
    if object_type:
        filters.append(AuditEvent.object_type == object_type)
    if object_id:
        filters.append(AuditEvent.object_id == object_id)
    if since:
        filters.append(AuditEvent.at >= since)
    if until:
        filters.append(AuditEvent.at < until)
    for condition in filters:
        query = query.where(condition)
        count = count.where(condition)
    query = scope.apply(query, AuditEvent.county_id, school_column=None)
    count = scope.apply(count, AuditEvent.county_id, school_column=None)
    rows = await query.limit(limit).offset(offset).output(load_json=True)
    return rows, await count
