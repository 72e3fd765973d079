"""The one rule of a ticket past its SLA, as SQL: the queue's "Overdue or due soon" view, the dashboards'
"past their SLA" figures, the weekly summary and the job that flags breaches all count by it.

It is worked out live from the stored due times at the moment asked about, so a figure never waits for the
scheduled job (`flag_breaches`, job sla-breaches) that stores the flag: a ticket is past its SLA when its
clock runs (new, assigned, in progress: not waiting, resolved or closed) and its resolution is due, or its
first response while none was given, or it was flagged so before (a late first answer stays a breach).

`state_of` is the same rule for one ticket row, for what the pages show: its deadline badge is "breached" or
"warning" exactly when `past_sla` or `due_soon` holds, "paused" while the clock stands (waiting); a done ticket
keeps whether it was done late; `missed_deadlines` names the deadlines a breach missed.
tests/integration/dashboards/test_sla_figures.py holds the two to each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from schoolit.sql import Fragment, fragment
from schoolit.tickets.choices import OPEN_STATUSES, RUNNING_STATUSES

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


def _before(when: dt.datetime | None, moment: dt.datetime) -> bool:
    return when is not None and when < moment


def response_missed(ticket: Mapping[str, Any], moment: dt.datetime) -> bool:
    """The first response of a running ticket is due and none was given (`past_sla`'s second clause)."""
    return (ticket["status"] in RUNNING and ticket["first_response_at"] is None
            and _before(ticket["response_due_at"], moment))


def _resolution_missed(ticket: Mapping[str, Any], moment: dt.datetime) -> bool:
    done_at = ticket["resolved_at"] or ticket["closed_at"]
    due = ticket["resolution_due_at"]
    if ticket["status"] in RUNNING:
        return _before(due, moment)
    return done_at is not None and due is not None and done_at > due


def missed_deadlines(ticket: Mapping[str, Any], moment: dt.datetime) -> tuple[str, ...]:
    """The deadlines a breached ticket missed, 'response' and/or 'resolution' (none when it is not breached): the
    response's while its first answer is overdue or when it came late, the resolution's when that is past. A breach
    flagged before a pause moved the due times shows in neither: it counts as the resolution's (as ever).

    The first is the one a single badge names (the queue, its file): a first answer still owed (the supporter can
    still give it), then the resolution, then a first answer that came late."""
    if state_of(ticket, moment) != "breached":
        return ()
    first = ticket["first_response_at"]
    answered_late = first is not None and ticket["response_due_at"] is not None and first > ticket["response_due_at"]
    missed = (*(("response",) if response_missed(ticket, moment) else ()),
              *(("resolution",) if _resolution_missed(ticket, moment) else ()),
              *(("response",) if answered_late else ()))
    return missed or ("resolution",)


def state_of(ticket: Mapping[str, Any], moment: dt.datetime) -> str:
    """'breached', 'warning', 'paused' or 'ok': the ticket's deadline at `moment` by the rule of `past_sla` and
    `due_soon`. A waiting ticket's clock stands, so it is "paused" however its stored due times lie; a resolved
    or closed one is "breached" when it was flagged or done after its resolution was due."""
    status = ticket["status"]
    if status in RUNNING:
        if ticket["sla_breached"] or _before(ticket["resolution_due_at"], moment) or response_missed(ticket, moment):
            return "breached"
        warn = ticket["resolution_warn_at"]
        return "warning" if warn is not None and warn <= moment else "ok"
    if status in OPEN_STATUSES:
        return "paused"
    return "breached" if ticket["sla_breached"] or _resolution_missed(ticket, moment) else "ok"
