"""The one rule of a ticket past its SLA, as SQL: the queue's "Overdue or due soon" view, the dashboards'
"past their SLA" figures, the weekly summary and the job that flags breaches all count by it.

It is worked out live from the stored due times at the moment asked about, so a figure never waits for the
scheduled job (`flag_breaches`, job sla-breaches) that stores the flag: a ticket is past its SLA when its
clock runs (new, assigned, in progress: not waiting, resolved or closed) and its resolution is due, or its
first response while none was given, or it was flagged so before (a late first answer stays a breach).
"""

from __future__ import annotations

import datetime as dt

from schoolit.sql import Fragment, fragment
from schoolit.tickets.choices import RUNNING_STATUSES

RUNNING = [status.value for status in RUNNING_STATUSES]


def past_sla(moment: dt.datetime, ticket: str = "t") -> Fragment:
    """The condition on the ticket table (named `ticket` in the statement) that a ticket is past its SLA at
    `moment`."""
    return fragment(
        f"({ticket}.status = ANY({{}}) AND ({ticket}.sla_breached OR {ticket}.resolution_due_at < {{}} "
        f"OR ({ticket}.first_response_at IS NULL AND {ticket}.response_due_at < {{}})))", RUNNING, moment, moment)


def due_soon(moment: dt.datetime, ticket: str = "t") -> Fragment:
    """... or it will be soon: running and past the warning time (80 % of its resolution time used)."""
    return fragment(f"({{}} OR ({ticket}.status = ANY({{}}) AND {ticket}.resolution_warn_at <= {{}}))",
                    past_sla(moment, ticket), RUNNING, moment)
