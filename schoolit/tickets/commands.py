"""`schoolit maintenance …` and `schoolit calendar …`: the tickets domain's jobs on the command line.

`close-resolved` closes tickets resolved longer ago than their policy's close-after days;
`sla-breaches` flags running tickets past a due time and records the 80 % warnings; `notifications`
works the notification outbox, `notification-digests` sends digests and weekly summaries, `webhooks`
posts webhook deliveries, `mail-fetch` reads the IMAP mailboxes into tickets and replies,
`ticket-retention` erases the reporters of tickets past their retention (all are run by the server's
scheduler, `schoolit.tickets.jobs`; the commands run them now);
`calendar import-holidays` reads the VEVENT dates of an iCalendar file as holidays.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from schoolit.accounts.scope import Scope
from schoolit.commandline import job_command, with_database
from schoolit.kernel.i18n import counted
from schoolit.tickets import jobs as scheduled
from schoolit.tickets import policy

CLI_SCOPE = Scope.system("cli")


async def create_calendar(args: argparse.Namespace) -> int:
    try:
        calendar_id = await policy.ensure_calendar(
            CLI_SCOPE, name=args.name, weekdays=args.weekdays, day_start=dt.time.fromisoformat(args.start),
            day_end=dt.time.fromisoformat(args.end))
    except ValueError as exc:  # a bad time or weekday string
        print(f"schoolit: error: {exc}", file=sys.stderr)
        return 1
    print(f"calendar {calendar_id} '{args.name}'")
    return 0


async def import_holidays(args: argparse.Namespace) -> int:
    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")  # noqa: ASYNC240 (a CLI reading one small file)
    except OSError as exc:
        print(f"schoolit: error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(f"schoolit: error: {args.file} is not UTF-8 text", file=sys.stderr)
        return 1
    added = await policy.import_holidays_ical(CLI_SCOPE, args.calendar, text)
    print(f"imported {counted(added, 'new holiday', 'new holidays')} into '{args.calendar}'")
    return 0


def register_maintenance(jobs: Any) -> None:
    """`schoolit maintenance close-resolved`, `… sla-breaches`, `… notifications`, `… notification-digests`,
    `… webhooks`, `… mail-fetch`."""
    job = jobs.add_parser("close-resolved", help="close tickets resolved longer ago than the policy allows",
                          description="Close resolved tickets after their policy's close-after days (default 7).")
    job.set_defaults(handler=job_command(scheduled.JOBS[1]))
    job = jobs.add_parser("sla-breaches", help="flag running tickets past a due time",
                          description="Set the SLA breach flag on running tickets past their due times, and record "
                                      "the 80 % warning on those past 80 % of their resolution time.")
    job.set_defaults(handler=job_command(scheduled.JOBS[0]))
    job = jobs.add_parser("notifications", help="turn ticket events into notification mails",
                          description="Work the notification outbox: mails (or digest items) for everyone each event "
                                      "concerns, as they chose.")
    job.set_defaults(handler=job_command(scheduled.JOBS[2]))
    job = jobs.add_parser("notification-digests", help="send daily digests and weekly summaries",
                          description="Queue the daily digests and the authorities' weekly summaries that are due "
                                      "(each once, from 07:00 local time).")
    job.set_defaults(handler=job_command(scheduled.JOBS[3]))
    job = jobs.add_parser("webhooks", help="post due webhook deliveries",
                          description="Post the due webhook deliveries (signed JSON); failures are retried later.")
    job.set_defaults(handler=job_command(scheduled.JOBS[4]))
    job = jobs.add_parser("mail-fetch", help="read the IMAP mailboxes into tickets and replies",
                          description="Fetch the unread mail of every active IMAP mailbox: new tickets, replies as "
                                      "comments, unknown senders into the triage, auto-replies ignored.")
    job.set_defaults(handler=job_command(scheduled.JOBS[5]))
    job = jobs.add_parser("ticket-retention", help="erase reporters of tickets closed before the retention period",
                          description="Erase the reporter's name and e-mail address from tickets closed longer "
                                      "than TICKET_RETENTION_DAYS ago, and pseudonymise their e-mail and IP "
                                      "address in the audit log.")
    job.set_defaults(handler=job_command(scheduled.JOBS[6]))


def register(commands: Any) -> None:
    """`schoolit calendar create|import-holidays`."""
    handler = with_database
    calendar = commands.add_parser("calendar", help="business calendars of the SLAs",
                                   description="Business calendars (working days, hours, holidays).")
    actions = calendar.add_subparsers(dest="calendar_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create or update a calendar",
                                description="Create or update a business calendar by name.")
    create.add_argument("name")
    create.add_argument("--weekdays", default="01234", help="working weekdays, 0 = Monday (default 01234)")
    create.add_argument("--start", default="08:00", help="start of the working day (default 08:00)")
    create.add_argument("--end", default="16:00", help="end of the working day (default 16:00)")
    create.set_defaults(handler=handler(create_calendar))
    imported = actions.add_parser("import-holidays", help="import holidays from an iCalendar (.ics) file",
                                  description="Add every VEVENT's start date in an .ics file as a holiday.")
    imported.add_argument("calendar", help="calendar name")
    imported.add_argument("file", help="path of the .ics file")
    imported.set_defaults(handler=handler(import_holidays))
