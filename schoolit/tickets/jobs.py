"""The tickets domain's scheduled jobs (`schoolit.jobs`): SLA breaches and 80 % warnings flagged every
five minutes, resolved tickets closed after their policy's close-after days (checked hourly), the
notification outbox worked every minute, daily digests and weekly summaries looked at every 15 minutes
(each goes out once, from 07:00), webhook deliveries posted every minute, the IMAP mailboxes read every
minute (failures retried after 30 s, doubling), reporters of tickets past their retention erased daily
(`schoolit.tickets.retention`)."""

from __future__ import annotations

import datetime as dt

from schoolit.accounts.scope import Scope
from schoolit.jobs import Job, outcome
from schoolit.kernel.i18n import N_
from schoolit.tickets import inbound, notifications, retention, services, webhooks

SYSTEM = Scope.system("maintenance")


async def sla() -> str:
    breached = await services.flag_breaches(SYSTEM)
    warned = await services.flag_warnings(SYSTEM)
    return outcome(N_("tickets flagged as SLA breached: %(breached)s; at 80 %% of the resolution time: %(warned)s"),
                   breached=breached, warned=warned)


async def close_resolved() -> str:
    return outcome(N_("resolved tickets closed: %(count)s"), count=await services.close_resolved(SYSTEM))


async def notify() -> str:
    return outcome(N_("notification events dispatched: %(count)s"), count=await notifications.dispatch_all())


async def digests() -> str:
    digests = await notifications.send_digests()
    summaries = await notifications.weekly_summaries()
    return outcome(N_("daily digests queued: %(digests)s; weekly summaries queued: %(summaries)s"),
                   digests=digests, summaries=summaries)


async def deliver_webhooks() -> str:
    delivered, failed = await webhooks.deliver_due()
    return outcome(N_("webhook posts delivered: %(delivered)s; failed (retried later): %(failed)s"),
                   delivered=delivered, failed=failed)


async def fetch_mail() -> str:
    return outcome(N_("mailboxes read: %(mailboxes)s; new tickets: %(ticket)s; comments: %(comment)s; "
                      "to the triage: %(triage)s; ignored: %(ignored)s; taken before: %(duplicate)s"),
                   **await inbound.fetch_all())


async def ticket_retention() -> str:
    report = await retention.erase_reporters(Scope.system("retention"))
    return outcome(N_("reporters erased: %(tickets)s (tickets closed before %(cutoff)s); audit rows pseudonymised: "
                      "%(rows)s; mails of unknown senders erased: %(mails)s"),
                   tickets=report.tickets, cutoff=f"{report.closed_before:%Y-%m-%d}", rows=report.audit_rows,
                   mails=report.mails)


JOBS = (
    Job("sla-breaches", dt.timedelta(minutes=5), sla, N_("Flag SLA breaches and 80-percent warnings")),
    Job("close-resolved", dt.timedelta(hours=1), close_resolved, N_("Close resolved tickets")),
    Job("notifications", dt.timedelta(minutes=1), notify, N_("Turn ticket events into notification mails")),
    Job("notification-digests", dt.timedelta(minutes=15), digests,
        N_("Send daily digests and weekly summaries")),
    Job("webhooks", dt.timedelta(minutes=1), deliver_webhooks, N_("Post ticket events to webhooks")),
    Job("mail-fetch", dt.timedelta(minutes=1), fetch_mail, N_("Turn mails of the IMAP mailboxes into tickets"),
        retry=dt.timedelta(seconds=30)),
    Job("ticket-retention", dt.timedelta(days=1), ticket_retention,
        N_("Erase reporters' details from tickets past their retention")),
)
