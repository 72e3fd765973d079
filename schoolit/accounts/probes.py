"""Probe records as accounts keeps them: registering a probe with its token, the Scope a probe acts
with, and when it last talked to the server. The probes domain calls these; the measurements are its own.
"""

from __future__ import annotations

from typing import Any

from schoolit import rules
from schoolit.accounts import audit, tenants
from schoolit.accounts.choices import ActorKind, Role
from schoolit.accounts.scope import Actor, Scope
from schoolit.accounts.security import new_token
from schoolit.accounts.services import TOUCH_EVERY
from schoolit.accounts.tables import ApiToken, Probe
from schoolit.db import atomic
from schoolit.errors import FieldError, ValidationFailed
from schoolit.kernel.access import Permission
from schoolit.sql import fetch


def scope_for_probe(probe: dict[str, Any], token_id: int | None) -> Scope:
    """The Scope a probe acts with: its county, and its school for a school's probe."""
    return Scope(role=Role.PROBE, actor=Actor(ActorKind.PROBE, probe["id"], f"probe:{probe['name']}", token_id),
                 county_ids=frozenset({probe["county_id"]}), school_id=probe["school_id"])


async def register_probe(scope: Scope, *, name: str, county_id: int,
                         school_id: int | None = None) -> tuple[str, dict[str, Any]]:
    """A new probe for a county (or one school) and its token, returned once."""
    scope.require(Permission.INVENTORY_WRITE)
    scope.check(county_id, missing=rules.COUNTY_NOT_FOUND)
    errors: list[FieldError] = []
    rules.not_empty(errors, "name", name)
    await tenants.refuse_retired_county(county_id, "school" if school_id is not None else "county", errors)
    if errors:
        raise ValidationFailed(errors)
    token, prefix, token_hash = new_token()
    async with atomic():
        probe = (await Probe.insert(Probe(name=name.strip(), county_id=county_id, school_id=school_id))
                 .returning(Probe.id, Probe.name, Probe.county_id, Probe.school_id))[0]
        await ApiToken.insert(ApiToken(name=f"probe {name.strip()}", prefix=prefix, token_hash=token_hash,
                                       probe_id=probe["id"]))
        await audit.record(scope, "probe.register", object_type="probe", object_id=probe["id"],
                           county_id=county_id, after=probe)
    return token, probe


async def touch_probe(probe_id: int) -> None:
    """Record that a probe talked to the server (for 'probe last seen' in dashboards and metrics).

    At most once per `TOUCH_EVERY`, as for tokens: a probe posts a batch every few seconds during a
    sweep, and each write would cost a row version, WAL and a commit that waits for the disk."""
    await fetch("UPDATE probe SET last_seen_at = now() WHERE id = {} "
                "AND (last_seen_at IS NULL OR last_seen_at < now() - {}::interval)", probe_id, TOUCH_EVERY)
