"""Pages for a person's own notification choices (`/account/notifications`): which mails they get
for each kind their role offers (each time, daily digest, off) and the language of those mails."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from schoolit import form_flow
from schoolit.accounts.auth import Caller
from schoolit.accounts.scope import Scope
from schoolit.kernel import form_limits
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.i18n import LOCALE_NAMES
from schoolit.tickets import notifications
from schoolit.tickets.choices import NOTIFY_LABELS, NotifyKind
from schoolit.tickets.fields import LABELS

# The form comes back with what was chosen and each problem at its field, a value too long for its column
# included (`schoolit.kernel.form_limits.at_fields`), instead of the 422 page.
READ_FORM = form_limits.at_fields(requires(Permission.TICKETS_READ))


class NotificationForm(msgspec.Struct):
    """The form's fields: the language and one mode per kind (only the caller's role's are sent)."""

    locale: str = ""
    new_ticket: str | None = None
    reporter_reply: str | None = None
    assigned: str | None = None
    sla_warning: str | None = None
    sla_breach: str | None = None
    school_offline: str | None = None
    outage: str | None = None
    own_ticket: str | None = None
    weekly_summary: str | None = None

    def modes(self) -> dict[str, str]:
        return {kind.value: value for kind in NotifyKind if (value := getattr(self, kind.value)) is not None}


class NotificationPages(Controller):
    path = "/account/notifications"
    include_in_schema = False

    async def _page(self, caller: Scope, *, status_code: int = 200, errors: dict[str, str] | None = None,
                    saved: bool = False, chosen: NotificationForm | None = None) -> Template:
        preferences = await notifications.my_preferences(caller)
        if chosen is not None:  # show what was sent again next to its errors
            modes = chosen.modes()
            preferences["locale"] = chosen.locale
            for kind in preferences["kinds"]:
                kind["mode"] = modes.get(kind["kind"], kind["mode"])
        errors = errors or {}
        # A problem of a field the page does not show (a kind the role is not offered) is listed by its name.
        shown = {"locale", *(kind["kind"] for kind in preferences["kinds"])}
        kinds = {kind.value: NOTIFY_LABELS[kind] for kind in NotifyKind}
        unshown = [(kinds.get(field) or LABELS.get(field) or field, message)
                   for field, message in errors.items() if field not in shown]
        return Template("tickets/notifications.html", status_code=status_code, context={
            "preferences": preferences, "errors": errors, "unshown_errors": unshown, "saved": saved,
            "locale_names": LOCALE_NAMES})

    @get("/", name="notifications", opt=requires(Permission.TICKETS_READ))
    async def show(self, caller: Caller, saved: FromQuery[bool] = False) -> Template:
        return await self._page(caller, saved=saved)

    @post("/", opt=READ_FORM, status_code=303)
    async def save(self, request: Request[Any, Any, Any], caller: Caller,
                   data: URLEncodedBody[NotificationForm]) -> Response[Any]:
        """Save the caller's choices. A refusal shows the form again (422) with what was chosen and each
        reason at its field, and saves nothing; the service's reason wins over the column's (an unknown
        language is "unknown language", not "at most 5 characters")."""
        modes = data.modes()
        outcome = await form_flow.attempt(
            request, lambda: notifications.save_my_preferences(caller, locale=data.locale, modes=modes),
            found=notifications.preference_errors(caller, locale=data.locale, modes=modes), checks_first=True)
        if isinstance(outcome, form_flow.Refused):
            return await self._page(caller, status_code=outcome.status, errors=outcome.errors, chosen=data)
        return Redirect(path="/account/notifications?saved=true", status_code=303)
