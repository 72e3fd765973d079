"""The tickets' objects as the audit log names them: each kind's label and, for a page of entries, what
a ticket (or category) is called now and where it is, one query per kind, in the viewer's scope
(`KINDS`, which `app.create_app` registers with `schoolit.accounts.audit_labels`: the audit log is
accounts', which neither imports tickets nor reads their tables).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from schoolit.accounts.audit_labels import Named, ObjectKind
from schoolit.accounts.scope import Scope
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.sql import fetch


async def ticket_names(scope: Scope, ids: Sequence[int]) -> Mapping[int, Named]:
    """A ticket by its subject, with its number and school; its page for those who read tickets."""
    if not scope.can(Permission.TICKETS_READ):
        return {}
    rows = await fetch("SELECT t.id, t.subject, t.number, sd.name AS school FROM ticket t "
                       "JOIN school_directory sd ON sd.id = t.school_id WHERE t.id = ANY({}) AND {}",
                       list(ids), scope.where("t.county_id", school="t.school_id"))
    return {row["id"]: Named(row["subject"], f"{row['number']}, {row['school']}", f"/tickets/{row['id']}")
            for row in rows}


async def category_names(scope: Scope, ids: Sequence[int]) -> Mapping[int, Named]:
    """A ticket category by its name (installation-wide); the list of categories for those who edit it."""
    rows = await fetch("SELECT c.id, c.name FROM ticket_category c WHERE c.id = ANY({})", list(ids))
    page = "/admin/ticket-categories" if scope.can(Permission.USERS_MANAGE) else None
    return {row["id"]: Named(row["name"], href=page) for row in rows}


KINDS = (
    ObjectKind("ticket", N_("Ticket"), ticket_names),
    ObjectKind("ticket_category", N_("Ticket category"), category_names),
    ObjectKind("calendar", N_("Calendar")),
    # A support policy's changes are recorded as `ticket_policy.set` on the `support_policy`, a saved view's as
    # `ticket_view.save` on the `saved_view`: one label each in the action filter and one in the object filter.
    ObjectKind("support_policy", N_("Support policy"), actions=False),
    ObjectKind("ticket_policy", N_("Support policy"), objects=False),
    ObjectKind("saved_view", N_("Saved view"), actions=False),
    ObjectKind("ticket_view", N_("Saved view"), objects=False),
    ObjectKind("text_module", N_("Text module")),
    ObjectKind("webhook", N_("Webhook")),
    ObjectKind("mailbox", N_("Mailbox")),
    ObjectKind("inbound_mail", N_("Incoming mail")),
    ObjectKind("notification_profile", N_("Notification settings")),
)
