"""Words and links for audit log entries: an action code such as `ticket.assign` becomes "Ticket:
assigned", an object such as (`ticket`, 42) a link to the ticket's page. Codes without a label are shown
as they are, so a new action is never hidden.
"""

from __future__ import annotations

from schoolit.kernel.i18n import N_, gettext

OBJECTS = {
    "access_point": N_("Access point"), "arrangement": N_("Arrangement"), "building": N_("Building"),
    "calendar": N_("Calendar"), "county": N_("County"), "device": N_("Device"), "import": N_("Import"),
    "loan": N_("Loan"), "login": N_("Login"), "notification_profile": N_("Notification settings"),
    "probe": N_("Probe"), "room": N_("Room"), "saved_view": N_("Saved view"), "school": N_("School"),
    "sign_in_mapping": N_("Sign-in mapping"), "sign_in_provider": N_("Sign-in provider"),
    "snmp_profile": N_("SNMP profile"), "support_policy": N_("Support policy"), "ticket": N_("Ticket"),
    "ticket_category": N_("Ticket category"), "ticket_policy": N_("Support policy"), "ticket_view": N_("Saved view"),
    "text_module": N_("Text module"), "token": N_("API token"), "uplink": N_("Uplink"), "user": N_("User"),
    "webhook": N_("Webhook"), "wlan_controller": N_("WLAN controller"),
}
VERBS = {
    "assign": N_("assigned"), "attachment": N_("file attached"), "claim": N_("claimed"),
    "code_failure": N_("wrong code"),
    "comment": N_("comment"), "coverage": N_("coverage changed"), "create": N_("created"), "delete": N_("deleted"),
    "disable": N_("disabled"), "enable": N_("enabled"), "failure": N_("failed"), "holidays": N_("holidays loaded"),
    "lend": N_("lent"), "member_add": N_("member added"), "member_remove": N_("member removed"), "move": N_("moved"),
    "password_change": N_("password changed"), "password_change_failure": N_("password change failed"),
    "password_reset": N_("password reset"), "password_reset_link": N_("password reset link sent"),
    "recovery_code": N_("recovery code used"), "refused": N_("refused"), "register": N_("registered"),
    "retention": N_("personal data erased"), "return": N_("returned"), "revoke": N_("revoked"), "save": N_("saved"),
    "second_factor": N_("second factor confirmed"), "set": N_("set"), "sla_breach": N_("deadline missed"),
    "success": N_("succeeded"), "throttled": N_("throttled"), "time": N_("time logged"),
    "totp_enrol": N_("authenticator app set up"), "totp_reset": N_("authenticator app reset"),
    "update": N_("changed"), "upsert": N_("saved"), "status": N_("status changed"), "reopen": N_("reopened"),
    "disposal_request": N_("disposal requested"), "disposal_approve": N_("disposal approved"),
    "disposal_reject": N_("disposal rejected"), "dispose": N_("disposed of"),
}
# Pages an object of a type has, by its id; the admin pages only for those who manage users.
LINKS = {
    "ticket": "/tickets/{id}", "school": "/schools/{id}", "device": "/devices/{id}",
    "access_point": "/access-points/{id}", "loan": "/loans/{id}/agreement",
}
ADMIN_LINKS = {"county": "/admin/counties/{id}", "arrangement": "/admin/arrangements/{id}", "user": "/admin/users/{id}"}


# Prefixes of actions that are no object type of their own (a login is recorded on the user).
ACTION_ONLY = frozenset({"import", "login", "ticket_view", "ticket_policy"})


def object_types() -> list[tuple[str, str]]:
    """Every labelled object type with its label, for a filter, sorted by label."""
    return sorted(((code, gettext(label)) for code, label in OBJECTS.items() if code not in ACTION_ONLY),
                  key=lambda pair: pair[1])


def action_kinds() -> list[tuple[str, str]]:
    """Every kind of action (the part of the code before the dot) with its label, for a filter."""
    return sorted(((code, gettext(label)) for code, label in OBJECTS.items()), key=lambda pair: (pair[1], pair[0]))


def action_prefix(kind: str) -> str:
    """The start of every action code of a kind: `ticket` -> `ticket.` (not `ticket_view.`)."""
    return kind + "."


def object_label(object_type: str) -> str:
    label = OBJECTS.get(object_type)
    return gettext(label) if label else object_type


def action_label(action: str) -> str:
    """`ticket.assign` -> "Ticket: assigned" (in the page's language)."""
    kind, _, verb = action.partition(".")
    if kind == "import":
        return f"{gettext(OBJECTS['import'])}: {object_label(verb)}"
    if kind not in OBJECTS or verb not in VERBS:
        return action
    return f"{object_label(kind)}: {gettext(VERBS[verb])}"


def object_href(object_type: str, object_id: str | None, *, admin: bool = False) -> str | None:
    """The page of the object, when it has one (for this viewer) and the id is a number."""
    pattern = LINKS.get(object_type) or (ADMIN_LINKS.get(object_type) if admin else None)
    if pattern is None or not object_id or not str(object_id).isdigit():
        return None
    return pattern.format(id=object_id)
