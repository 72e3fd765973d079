"""The inventory domain's panel on the start page (schoolit.web.start): for school contacts, the loans
that are overdue or due within two weeks, from the loans service with the caller's Scope."""

from __future__ import annotations

import datetime as dt

from schoolit.accounts.choices import Role
from schoolit.accounts.scope import Scope
from schoolit.inventory import services
from schoolit.kernel.i18n import gettext
from schoolit.kernel.start import Panel

DUE_WITHIN = dt.timedelta(days=14)
LIMIT = 10


async def panels(scope: Scope) -> list[Panel]:
    if scope.role != Role.SCHOOL:
        return []
    day = services.today()
    overdue, overdue_total = await services.list_loans(scope, state="overdue", sort="due_on", limit=LIMIT, on=day)
    # Open loans due by then, earliest first: the overdue ones come first, so skip them.
    soon, soon_total = await services.list_loans(scope, state="open", due_before=day + DUE_WITHIN, sort="due_on",
                                                 limit=LIMIT, offset=overdue_total, on=day)
    return [Panel(order=30, title=gettext("Loans due and overdue"), template="inventory/_start_loans.html",
                  context={"overdue": overdue, "overdue_total": overdue_total, "soon": soon,
                           "soon_total": soon_total - overdue_total},
                  link="/loans?state=overdue", testid="start-loans")]
