"""The status state machine: who may move a ticket where, and reopening by reply."""

from __future__ import annotations

import datetime as dt
import itertools

from schoolit.accounts.choices import Role
from schoolit.tickets.choices import Status
from schoolit.tickets.workflow import (
    allowed_targets,
    may_transition,
    needs_assignee,
    needs_reason,
    reopened_status,
    reopens_on_reply,
)


def test_supporters_work_tickets_through_their_life() -> None:
    path = [Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING, Status.IN_PROGRESS, Status.RESOLVED,
            Status.CLOSED]
    for current, target in itertools.pairwise(path):
        assert may_transition(Role.SUPPORTER, current, target), (current, target)


def test_nobody_skips_back_from_closed_except_admins() -> None:
    assert allowed_targets(Role.SUPPORTER, Status.CLOSED) == frozenset()
    assert may_transition(Role.ADMIN, Status.CLOSED, Status.IN_PROGRESS)
    assert not may_transition(Role.SUPPORTER, Status.WAITING, Status.NEW)
    assert not may_transition(Role.SUPPORTER, Status.RESOLVED, Status.WAITING)


def test_closing_what_was_not_resolved_needs_a_reason() -> None:
    """Spam and duplicates are closed straight from new, and the reporter is told why; a resolved ticket is
    closed without one (the reporter confirms, or the job closes it after the policy's days)."""
    assert may_transition(Role.SUPPORTER, Status.NEW, Status.CLOSED)
    assert needs_reason(Status.NEW, Status.CLOSED) and needs_reason(Status.ASSIGNED, Status.CLOSED)
    assert not needs_reason(Status.RESOLVED, Status.CLOSED)
    assert not any(needs_reason(current, target) for current in Status for target in Status
                   if target != Status.CLOSED)


def test_other_roles() -> None:
    assert allowed_targets(Role.SCHOOL, Status.RESOLVED) == {Status.CLOSED}
    assert allowed_targets(Role.SCHOOL, Status.NEW) == frozenset()
    for status in Status:
        assert allowed_targets(Role.AUTHORITY, status) == frozenset()
        assert allowed_targets(Role.PROBE, status) == frozenset()


def test_reopen_window_is_fourteen_days() -> None:
    now = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
    assert reopens_on_reply(Status.RESOLVED, now - dt.timedelta(days=13), now)
    assert reopens_on_reply(Status.RESOLVED, now - dt.timedelta(days=14), now)
    assert not reopens_on_reply(Status.RESOLVED, now - dt.timedelta(days=14, seconds=1), now)
    assert not reopens_on_reply(Status.CLOSED, now, now)
    assert reopened_status(7) == Status.IN_PROGRESS
    assert reopened_status(None) == Status.NEW


def test_assigned_states_need_an_assignee() -> None:
    assert needs_assignee(Status.ASSIGNED) and needs_assignee(Status.IN_PROGRESS)
    assert not needs_assignee(Status.WAITING) and not needs_assignee(Status.NEW)
