"""The accounts domain's panel on the start page (schoolit.web.start): for school authorities, what
changed in their county this week, as audit entries counted by action, from the audit service with the
caller's Scope."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from schoolit.accounts import audit
from schoolit.accounts.audit_labels import action_label
from schoolit.accounts.choices import Role
from schoolit.accounts.scope import Scope
from schoolit.kernel.i18n import gettext
from schoolit.kernel.start import Panel

WEEK = dt.timedelta(days=7)
LIMIT = 2000  # entries counted; a county's week stays well below


async def panels(scope: Scope) -> list[Panel]:
    if scope.role != Role.AUTHORITY:
        return []
    since = dt.datetime.now(dt.UTC) - WEEK
    rows, total = await audit.list_events(scope, since=since, limit=LIMIT)
    counts = Counter(action_label(row["action"]) for row in rows)
    return [Panel(order=20, title=gettext("What changed this week"), template="accounts/_start_changes.html",
                  context={"counts": counts.most_common(12), "total": total},
                  link=f"/audit?since={since.date().isoformat()}", testid="start-changes")]
