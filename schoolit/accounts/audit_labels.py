"""Words and links for audit log entries: an action code such as `ticket.assign` becomes "Ticket:
assigned", an object such as (`access_point`, 42) "Access point “AP Raum 112” (Gymnasium X)" with a link
to its page. Codes without a label are shown as they are, so a new action is never hidden.

The audit log is accounts', the objects it names are every domain's: accounts may neither import the
other domains nor read their tables. So each domain registers the kinds of object it records (`register`,
at import, like `kernel/navigation.register`): their label and, where it can name them, a function of the
viewer's Scope and a page's ids that returns, in one query, what each object still there and in the
viewer's scope is called, where it is and which page shows it (`Named`). The audit page asks each kind
once per page (`name_objects`); an object its domain does not return (deleted, or not the viewer's) is
shown by kind and number, without a link.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from schoolit.accounts.scope import Scope
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_, gettext
from schoolit.sql import Fragment, all_of, fetch


@dataclass(frozen=True)
class Named:
    """What an object of the log is called now: its name, where it is (a school, a county; may be empty) and
    the page that shows it to this viewer (None: no page, or not for them)."""

    name: str
    where: str = ""
    href: str | None = None


# The viewer's Scope and the ids of one kind on a page -> the objects found, by id (one query).
NameObjects = Callable[[Scope, Sequence[int]], Awaitable[Mapping[int, Named]]]


@dataclass(frozen=True)
class ObjectKind:
    code: str
    label: str  # English message id ("Access point")
    names: NameObjects | None = None
    objects: bool = True  # entries record objects of this kind (`object_type`): a choice of the object filter
    actions: bool = True  # action codes start with it (`access_point.update`): a choice of the action filter
    # the kind's own action verbs with their labels (`import.devices` -> "Devices"), besides the shared VERBS
    verbs: Mapping[str, str] = field(default_factory=dict)


_KINDS: dict[str, ObjectKind] = {}


def register(*kinds: ObjectKind) -> None:
    """The domains' kinds of object (the composition root hands them over: `app.create_app`); a kind
    registered again replaces the earlier one, so each code is one choice of a filter."""
    for kind in kinds:
        _KINDS[kind.code] = kind


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
    "dismiss": N_("dismissed"),
}
NAMED = N_("%(kind)s “%(name)s” (%(where)s)")
NAMED_NOWHERE = N_("%(kind)s “%(name)s”")
# A name that says its kind itself ("Landkreis Kusel"): not "Landkreis „Landkreis Kusel“".
NAMED_ITSELF = N_("“%(name)s” (%(where)s)")
NAMED_ITSELF_NOWHERE = N_("“%(name)s”")


def object_types() -> list[tuple[str, str]]:
    """Every kind of object entries record, with its label, for a filter, sorted by label."""
    return sorted(((k.code, gettext(k.label)) for k in _KINDS.values() if k.objects), key=lambda pair: pair[1])


def action_kinds() -> list[tuple[str, str]]:
    """Every kind of action (the part of the code before the dot) with its label, for a filter."""
    return sorted(((k.code, gettext(k.label)) for k in _KINDS.values() if k.actions),
                  key=lambda pair: (pair[1], pair[0]))


def action_prefix(kind: str) -> str:
    """The start of every action code of a kind: `ticket` -> `ticket.` (not `ticket_view.`)."""
    return kind + "."


def is_action_kind(kind: str) -> bool:
    return kind in _KINDS and _KINDS[kind].actions


def object_label(object_type: str) -> str:
    kind = _KINDS.get(object_type)
    return gettext(kind.label) if kind else object_type


def action_label(action: str) -> str:
    """`ticket.assign` -> "Ticket: assigned" (in the page's language)."""
    kind, _, verb = action.partition(".")
    known = _KINDS.get(kind)
    said = (known.verbs.get(verb) or VERBS.get(verb)) if known is not None else None
    return f"{object_label(kind)}: {gettext(said)}" if said else action


_LONGEST_ID = 18  # an id of more digits is no row's (bigint)


async def name_objects(scope: Scope, objects: Iterable[tuple[str | None, str | None]]) -> dict[tuple[str, str], Named]:
    """The objects of a page's entries ((object_type, object_id) pairs) as their domains name them for
    this viewer, by (object_type, object_id): one call, so one query, per kind on the page."""
    wanted: dict[str, set[int]] = {}
    for object_type, object_id in objects:
        kind = _KINDS.get(object_type or "")
        if kind is not None and kind.names is not None and object_id and object_id.isdigit() \
                and len(object_id) <= _LONGEST_ID:
            wanted.setdefault(kind.code, set()).add(int(object_id))
    found: dict[tuple[str, str], Named] = {}
    for code, ids in wanted.items():
        names = _KINDS[code].names
        assert names is not None
        for row_id, named in (await names(scope, sorted(ids))).items():
            found[(code, str(row_id))] = named
    return found


def object_text(object_type: str | None, object_id: str | None, named: Named | None) -> str:
    """An entry's object in words: "Access point “AP Raum 112” (Gymnasium X)" when its domain named it,
    else its kind and number ("Access point 42": deleted, or not the viewer's)."""
    kind = object_label(object_type or "")
    if named is not None:
        if named.name.casefold().startswith(kind.casefold() + " "):
            return gettext(NAMED_ITSELF if named.where else NAMED_ITSELF_NOWHERE, name=named.name, where=named.where)
        return gettext(NAMED if named.where else NAMED_NOWHERE, kind=kind, name=named.name, where=named.where)
    return " ".join(part for part in (kind, object_id or "") if part)


# --- accounts' own kinds ----------------------------------------------------------------------------


def _names(sql: str, *, where: Callable[[Scope], Fragment] | None = None, href: str | None = None,
           admin_only: bool = False) -> NameObjects:
    """A kind's `names` from one statement over accounts' tables (`id`, `name`, `where_` of the rows whose
    id is in `{}`, and `{}` the scope's condition); `href` its admin page (for those who manage users)."""
    async def names(scope: Scope, ids: Sequence[int]) -> Mapping[int, Named]:
        manages = scope.can(Permission.USERS_MANAGE)
        if admin_only and not manages:
            return {}
        rows = await fetch(sql, list(ids), where(scope) if where is not None else all_of())
        return {row["id"]: Named(row["name"], row["where_"] or "",
                                 href.format(id=row["id"]) if href and manages else None) for row in rows}
    return names


KINDS = (ObjectKind("county", N_("County"), _names(
    "SELECT c.id, c.name, '' AS where_ FROM county c WHERE c.id = ANY({}) AND {}",
    where=lambda scope: scope.where("c.id", school=None), href="/admin/counties/{id}")),
    ObjectKind("arrangement", N_("Arrangement"), _names(
    "SELECT a.id, a.name, '' AS where_ FROM arrangement a WHERE a.id = ANY({}) AND {}",
    href="/admin/arrangements/{id}", admin_only=True)),
    ObjectKind("user", N_("User"), _names(
    "SELECT u.id, u.display_name AS name, u.email AS where_ FROM app_user u WHERE u.id = ANY({}) AND {}",
    href="/admin/users/{id}", admin_only=True)),
    ObjectKind("token", N_("API token"), _names(
    "SELECT t.id, t.name, t.prefix || '…' AS where_ FROM api_token t WHERE t.id = ANY({}) AND {}",
    href="/admin/tokens", admin_only=True)),
    ObjectKind("probe", N_("Probe"), _names(
    "SELECT p.id, p.name, c.name AS where_ FROM probe p JOIN county c ON c.id = p.county_id "
    "WHERE p.id = ANY({}) AND {}", where=lambda scope: scope.where("p.county_id", school=None))),
    ObjectKind("login", N_("Login"), objects=False),  # recorded on the user
    ObjectKind("sign_in_provider", N_("Sign-in provider")),
    ObjectKind("sign_in_mapping", N_("Sign-in mapping")),
)
register(*KINDS)
