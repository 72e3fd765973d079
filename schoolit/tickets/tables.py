"""Tickets tables: tickets and their per-year numbers, categories, the timeline, attachments, time
entries, SLA policies and business calendars, saved views, presence, the e-mail outbox, the public
form's rate limit, notifications (the event outbox, per-person choices, digest items), webhooks, and
the inbound mail channel (IMAP mailboxes, every message taken from them, senders mapped to schools).

Tenant rows carry `county_id` next to `school_id`; a composite foreign key `(school_id, county_id)
-> school (id, county_id)` (raw migration) keeps the two consistent, like the inventory tables.
"""

from piccolo.columns import (
    JSONB,
    BigSerial,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    SmallInt,
    Text,
    Time,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from schoolit.accounts.tables import Arrangement, County, User
from schoolit.inventory.tables import School
from schoolit.tickets.choices import EventKind, Level, Source, Status


class TicketCategory(Table):
    """What a fault is about (WLAN/Netzwerk, Endgerät, …); admins edit the list, the migration seeds it."""

    id: Serial  # added by Piccolo; declared for the type checker
    name = Varchar(length=80, unique=True)
    position = Integer(default=0)
    active = Boolean(default=True)


class TicketCounter(Table):
    """The last number handed out per year; bumped with UPDATE … RETURNING in the ticket's own
    transaction, so numbers have no gaps and concurrent inserts never share one."""

    id: Serial  # added by Piccolo; declared for the type checker
    year = Integer(unique=True)
    last_value = Integer(default=0)


class Ticket(Table):
    id: Serial  # added by Piccolo; declared for the type checker
    number = Varchar(length=20, unique=True)  # SIT-2026-00042
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict, index=True)
    school_id = ForeignKey(School, null=False, on_delete=OnDelete.restrict, index=True)
    category_id = ForeignKey(TicketCategory, null=False, on_delete=OnDelete.restrict)
    source = Varchar(length=10, choices=Source, default=Source.UI.value)
    subject = Varchar(length=200)
    description = Text(default="")
    urgency = Varchar(length=10, choices=Level, default=Level.MEDIUM.value)
    impact = Varchar(length=10, choices=Level, default=Level.MEDIUM.value)
    priority = SmallInt(default=3)
    status = Varchar(length=15, choices=Status, default=Status.NEW.value)
    assignee_id = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    reporter_user_id = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    reporter_email = Varchar(length=254, default="")
    reporter_name = Varchar(length=120, default="")
    # Only a SHA-256 of the tracking token is kept (like API tokens): the link is the secret.
    tracking_hash = Varchar(length=64, unique=True, secret=True)
    # Optional link to one asset of the same school (composite keys in the raw migration).
    access_point_id = Integer(null=True, default=None)
    device_id = Integer(null=True, default=None)
    uplink_id = Integer(null=True, default=None)
    room_id = Integer(null=True, default=None)
    device_serial = Varchar(length=80, default="")  # as typed in the public form
    room_text = Varchar(length=60, default="")
    # SLA: due times stored, recomputed on status changes; paused business seconds while waiting.
    response_due_at = Timestamptz(null=True, default=None)
    resolution_due_at = Timestamptz(null=True, default=None)
    resolution_warn_at = Timestamptz(null=True, default=None)
    paused_seconds = Integer(default=0)
    paused_since = Timestamptz(null=True, default=None)
    first_response_at = Timestamptz(null=True, default=None)
    sla_breached = Boolean(default=False)
    sla_warned_at = Timestamptz(null=True, default=None)  # the 80 % warning was recorded (once per ticket)
    worked_by_person = Boolean(default=False)  # a person acted on it (probes then leave it open)
    resolved_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    # The retention job erased the reporter's traces (`schoolit.tickets.retention`).
    reporter_erased_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class TicketEvent(Table):
    """The timeline: comments (public), notes (internal), replies, status/assignment/priority changes."""

    id = BigSerial(primary_key=True)
    # In the database only the composite key (ticket_id, county_id) -> ticket (id, county_id) remains: the
    # single-column keys were dropped by a migration, because the one to `county` share-locked the county's
    # row on every timeline write (bench/claim.py). Declared here for Piccolo's joins.
    ticket_id = ForeignKey(Ticket, null=False, on_delete=OnDelete.cascade, index=True)
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict)
    at = Timestamptz(default=TimestamptzNow())
    kind = Varchar(length=15, choices=EventKind)
    public = Boolean(default=False)
    actor_id = Integer(null=True, default=None)  # a user id; none for the reporter and probes
    actor_label = Varchar(length=254, default="")
    body = Text(default="")
    data = JSONB(null=True, default=None)  # {"from": …, "to": …} of a change


class TicketAttachment(Table):
    """A file on a ticket (images, PDF). Stored under DATA_DIR/attachments/ by content digest."""

    id: Serial  # added by Piccolo; declared for the type checker
    ticket_id = ForeignKey(Ticket, null=False, on_delete=OnDelete.cascade, index=True)
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict)
    filename = Varchar(length=200)
    content_type = Varchar(length=60)
    size = Integer()
    sha256 = Varchar(length=64)
    uploaded_by = Varchar(length=254, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class TimeEntry(Table):
    """Minutes a supporter worked on a ticket; the monthly and cost-split reports add them up."""

    id: Serial  # added by Piccolo; declared for the type checker
    ticket_id = ForeignKey(Ticket, null=False, on_delete=OnDelete.cascade, index=True)
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict)
    user_id = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    minutes = Integer()
    worked_on = Date()
    note = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class BusinessCalendar(Table):
    """Working days and hours of a support team; holidays in `Holiday`."""

    id: Serial  # added by Piccolo; declared for the type checker
    name = Varchar(length=120, unique=True)
    timezone = Varchar(length=60, default="Europe/Berlin")
    weekdays = Varchar(length=7, default="01234")  # 0 = Monday
    day_start = Time()
    day_end = Time()


class Holiday(Table):
    id: Serial  # added by Piccolo; declared for the type checker
    calendar_id = ForeignKey(BusinessCalendar, null=False, on_delete=OnDelete.cascade, index=True)
    day = Date()
    name = Varchar(length=120, default="")


class SupportPolicy(Table):
    """Per arrangement (or per county outside one): priority matrix, SLA targets per priority, the
    business calendar and after how many days resolved tickets close. Code defaults apply without one."""

    id: Serial  # added by Piccolo; declared for the type checker
    arrangement_id = ForeignKey(Arrangement, null=True, default=None, on_delete=OnDelete.cascade, unique=True)
    county_id = ForeignKey(County, null=True, default=None, on_delete=OnDelete.cascade, unique=True)
    calendar_id = ForeignKey(BusinessCalendar, null=True, default=None, on_delete=OnDelete.set_null)
    matrix = JSONB(null=True, default=None)  # {"high": {"low": 3, …}, …}
    targets = JSONB(null=True, default=None)  # {"1": [response_hours, resolution_hours], …}
    close_after_days = Integer(default=7)


class SavedView(Table):
    """A person's named queue filter (status, county, school, assignee, …)."""

    id: Serial  # added by Piccolo; declared for the type checker
    user_id = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=80)
    filters = JSONB(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())


class TicketPresence(Table):
    """Who has a ticket page open (last poll); drives the 'someone else is on it' hint."""

    id: Serial  # added by Piccolo; declared for the type checker
    ticket_id = ForeignKey(Ticket, null=False, on_delete=OnDelete.cascade)
    user_id = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    last_seen_at = Timestamptz(default=TimestamptzNow())


class OutboxMail(Table):
    """An e-mail to send; the background sender delivers it with retries and backoff."""

    id: Serial  # added by Piccolo; declared for the type checker
    ticket_id = ForeignKey(Ticket, null=True, default=None, on_delete=OnDelete.set_null)
    recipient = Varchar(length=254)
    subject = Varchar(length=250)
    body = Text()
    # The Message-ID the mail goes out with: a reply names it in In-Reply-To/References, which is how
    # the inbound channel finds the ticket (`schoolit.tickets.inbound`).
    message_id = Varchar(length=250, default="", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    last_error = Varchar(length=500, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class ReportAttempt(Table):
    """Submissions of the public fault form per client address (the per-IP rate limit lives in the
    database, so it holds across worker processes)."""

    id = BigSerial(primary_key=True)
    client_key = Varchar(length=64, index=True)
    at = Timestamptz(default=TimestamptzNow())


class NotificationEvent(Table):
    """The outbox of domain events (ticket created, reporter reply, assigned, status changed, SLA at
    80 %, SLA breached, school offline): written in the transaction of the change, turned into mails
    (per recipient's setting) by the dispatcher afterwards (`schoolit.tickets.notifications`)."""

    id = BigSerial(primary_key=True)
    kind = Varchar(length=30)
    ticket_id = ForeignKey(Ticket, null=True, default=None, on_delete=OnDelete.cascade, index=True)
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.cascade)
    school_id = Integer(null=True, default=None)
    actor_user_id = Integer(null=True, default=None)  # who caused it (not told about their own doing)
    data = JSONB(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    dispatched_at = Timestamptz(null=True, default=None)


class NotificationProfile(Table):
    """A person's notification choices: a mode (on, off, digest) per kind where it differs from the
    default, the language of their mails, and when their last weekly summary went out."""

    id: Serial  # added by Piccolo; declared for the type checker
    user_id = ForeignKey(User, null=False, unique=True, on_delete=OnDelete.cascade)
    locale = Varchar(length=5, default="")  # "" = the installation's default language
    modes = JSONB(default="{}")  # {"new_ticket": "digest", …}
    weekly_sent_on = Date(null=True, default=None)


class NotificationDigestItem(Table):
    """An event a person chose to get in their daily digest, until the digest goes out."""

    id = BigSerial(primary_key=True)
    user_id = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    event_id = ForeignKey(NotificationEvent, null=False, on_delete=OnDelete.cascade)
    notify_kind = Varchar(length=30)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class Webhook(Table):
    """A URL that receives ticket events as signed JSON (chat bridges: Matrix, Teams, Rocket.Chat).
    Installation-wide, kept by admins; the signing secret is encrypted at rest and shown once."""

    id: Serial  # added by Piccolo; declared for the type checker
    name = Varchar(length=120)
    url = Varchar(length=500)
    events = JSONB(default="[]")  # ["ticket_created", "school_offline", …]
    secret = Text(secret=True)  # Fernet-encrypted (schoolit.inventory.secrets)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class WebhookDelivery(Table):
    """One event for one webhook: posted with retries and exponential back-off until it is answered
    with 2xx or given up; the admin page lists deliveries and failures."""

    id = BigSerial(primary_key=True)
    webhook_id = ForeignKey(Webhook, null=False, on_delete=OnDelete.cascade, index=True)
    event_id = ForeignKey(NotificationEvent, null=True, default=None, on_delete=OnDelete.set_null)
    kind = Varchar(length=30)
    payload = Text()  # the exact JSON body that is signed and posted
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    delivered_at = Timestamptz(null=True, default=None)
    last_status = Integer(null=True, default=None)  # HTTP status of the last attempt
    last_error = Varchar(length=500, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Mailbox(Table):
    """An IMAP mailbox the app fetches mail from, kept by admins for a support arrangement or a county
    (exactly one of the two): its mails open tickets of that team's schools. The password is encrypted
    at rest (`schoolit.tickets.mailboxes`) and never shown again."""

    id: Serial  # added by Piccolo; declared for the type checker
    name = Varchar(length=120)
    arrangement_id = ForeignKey(Arrangement, null=True, default=None, on_delete=OnDelete.cascade)
    county_id = ForeignKey(County, null=True, default=None, on_delete=OnDelete.cascade)
    host = Varchar(length=253)
    port = Integer(default=993)
    tls = Varchar(length=10, default="tls")  # tls (implicit, IMAPS), starttls, off (loopback and tests)
    username = Varchar(length=254)
    password = Text(secret=True)  # Fernet-encrypted
    folder = Varchar(length=200, default="INBOX")
    done_folder = Varchar(length=200, default="")  # processed mail is moved here; "" = only marked \Seen
    active = Boolean(default=True)
    last_fetch_at = Timestamptz(null=True, default=None)
    last_error = Varchar(length=500, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class InboundMail(Table):
    """Every message taken from a mailbox, once per Message-ID (the idempotence record, written in the
    transaction of the ticket or comment it became): a ticket, a comment, ignored (auto-reply, bounce,
    loop) or waiting in the triage for a supporter to name its school (then the raw message is kept
    until the ticket is opened)."""

    id = BigSerial(primary_key=True)
    mailbox_id = ForeignKey(Mailbox, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    message_id = Varchar(length=250, unique=True)
    sender = Varchar(length=254, default="")
    subject = Varchar(length=250, default="")
    outcome = Varchar(length=10)  # ticket, comment, triage, ignored
    reason = Varchar(length=200, default="")
    ticket_id = ForeignKey(Ticket, null=True, default=None, on_delete=OnDelete.set_null)
    raw_message = Bytea(null=True, default=None)  # only while in the triage
    received_at = Timestamptz(default=TimestamptzNow())
    assigned_by = Varchar(length=254, default="")


class MailSender(Table):
    """A sender address (`name@domain`) or a whole mail domain (`@domain`) whose mails belong to a
    school; set by supporters in the triage. School contacts' own addresses need no row."""

    id: Serial  # added by Piccolo; declared for the type checker
    pattern = Varchar(length=254, unique=True)
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.cascade)
    school_id = ForeignKey(School, null=False, on_delete=OnDelete.cascade)
    created_by = Varchar(length=254, default="")
    created_at = Timestamptz(default=TimestamptzNow())
