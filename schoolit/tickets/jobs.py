"""The tickets domain's scheduled jobs (`schoolit.jobs`): SLA breaches and 80 % warnings flagged every
five minutes, resolved tickets closed after their policy's close-after days (checked hourly), the
notification outbox worked every minute, daily digests and weekly summaries looked at every 15 minutes
(each goes out once, from 07:00), webhook deliveries posted every minute, the IMAP mailboxes read every
minute (failures retried after 30 s, doubling)."""

from __future__ import annotations

import datetime as dt

from schoolit.accounts.scope import Scope
from schoolit.jobs import Job
from schoolit.kernel.i18n import N_
from schoolit.tickets import inbound, notifications, services, webhooks

SYSTEM = Scope.system("maintenance")


async def sla() -> str:
    breached = await services.flag_breaches(SYSTEM)
    warned = await services.flag_warnings(SYSTEM)
    return f"flagged {breached} ticket(s) as SLA breached, {warned} at 80 % of the resolution time"


async def close_resolved() -> str:
    return f"closed {await services.close_resolved(SYSTEM)} resolved ticket(s)"


async def notify() -> str:
    return f"dispatched {await notifications.dispatch_all()} notification event(s)"


async def digests() -> str:
    digests = await notifications.send_digests()
    summaries = await notifications.weekly_summaries()
    return f"queued {digests} daily digest(s), {summaries} weekly summary(ies)"


async def deliver_webhooks() -> str:
    delivered, failed = await webhooks.deliver_due()
    return f"delivered {delivered} webhook post(s), {failed} failed (retried later)"


JOBS = (
    Job("sla-breaches", dt.timedelta(minutes=5), sla, N_("Flag SLA breaches and 80 % warnings")),
    Job("close-resolved", dt.timedelta(hours=1), close_resolved, N_("Close resolved tickets")),
    Job("notifications", dt.timedelta(minutes=1), notify, N_("Turn ticket events into notification mails")),
    Job("notification-digests", dt.timedelta(minutes=15), digests,
        N_("Send daily digests and weekly summaries")),
    Job("webhooks", dt.timedelta(minutes=1), deliver_webhooks, N_("Post ticket events to webhooks")),
    Job("mail-fetch", dt.timedelta(minutes=1), inbound.fetch_all, N_("Turn mails of the IMAP mailboxes into tickets"),
        retry=dt.timedelta(seconds=30)),
)
