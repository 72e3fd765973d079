"""Enumerations of the tickets domain: status, urgency, impact, priority, sources, event kinds."""

from enum import IntEnum, StrEnum

from schoolit.kernel.i18n import N_


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"  # waiting for the school or a vendor: the SLA clock stops
    RESOLVED = "resolved"
    CLOSED = "closed"


STATUS_LABELS = {
    Status.NEW: N_("New"),
    Status.ASSIGNED: N_("Assigned"),
    Status.IN_PROGRESS: N_("In progress"),
    Status.WAITING: N_("Waiting"),
    Status.RESOLVED: N_("Resolved"),
    Status.CLOSED: N_("Closed"),
}
OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING)
# The SLA clock does not run while a ticket waits for someone else or is resolved (it may reopen).
PAUSED_STATUSES = (Status.WAITING, Status.RESOLVED, Status.CLOSED)
# ... and runs while it is new, assigned or in progress.
RUNNING_STATUSES = tuple(status for status in Status if status not in PAUSED_STATUSES)


class Level(StrEnum):
    """Urgency (how soon, said by the reporter) and impact (how many are hit, said by the supporter)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


LEVEL_LABELS = {Level.LOW: N_("low"), Level.MEDIUM: N_("medium"), Level.HIGH: N_("high")}


class Priority(IntEnum):
    """1 is the most urgent; the queue sorts by it."""

    CRITICAL = 1
    HIGH = 2
    MEDIUM = 3
    LOW = 4


PRIORITY_LABELS = {
    Priority.CRITICAL: N_("critical"),
    Priority.HIGH: N_("high"),
    Priority.MEDIUM: N_("medium"),
    Priority.LOW: N_("low"),
}


class Source(StrEnum):
    WEB_FORM = "web_form"  # the public /report form
    UI = "ui"  # a logged-in person in the web UI
    API = "api"
    PROBE = "probe"  # an outage seen by a probe
    EMAIL = "email"  # a mail fetched from an IMAP mailbox (`inbound.py`)


SOURCE_LABELS = {Source.WEB_FORM: N_("fault form"), Source.UI: N_("web UI"), Source.API: N_("API"),
                 Source.PROBE: N_("probe"), Source.EMAIL: N_("e-mail")}


class EventKind(StrEnum):
    CREATED = "created"
    COMMENT = "comment"  # public: the reporter sees it
    NOTE = "note"  # internal: supporters and authorities only
    REPLY = "reply"  # the reporter, through the tracking page
    STATUS = "status"
    ASSIGNMENT = "assignment"
    PRIORITY = "priority"
    ATTACHMENT = "attachment"
    TIME = "time"
    SLA_WARNING = "sla_warning"  # 80 % of the resolution time used (internal; set by the SLA job)


EVENT_LABELS = {
    EventKind.CREATED: N_("reported"),
    EventKind.COMMENT: N_("public comment"),
    EventKind.NOTE: N_("internal note"),
    EventKind.REPLY: N_("reply from the reporter"),
    EventKind.STATUS: N_("status changed"),
    EventKind.ASSIGNMENT: N_("assignment changed"),
    EventKind.PRIORITY: N_("priority changed"),
    EventKind.ATTACHMENT: N_("attachment added"),
    EventKind.SLA_WARNING: N_("80 %% of the resolution time used"),  # templates %-format what they translate
    EventKind.TIME: N_("time logged"),
}
# How an event names the reporter, who has no account here (the fault form, the tracking page, mail): by
# their e-mail address, or by this when there is none (a report without one, or once `retention` erased it).
# Pages show the name they gave instead (`services.events_of`).
REPORTER_LABEL = "reporter"
# How the timeline names what acted without a person (`services.actor_names`): the system's own work by its
# Scope's label (`Scope.system(...)`, what it does), a probe by its name after PROBE_PREFIX (accounts.probes).
# Any other label (a job of a test, say) is shown as recorded.
SYSTEM_ACTORS = {
    "system": N_("system"),
    "maintenance": N_("system (automatic)"),
    "probe-silence": N_("system (probe monitoring)"),
    "mail": N_("system (mail intake)"),
    "retention": N_("system (data retention)"),
    "cli": N_("system (command line)"),
    "setup": N_("system (setup)"),
    "seed": N_("system (setup)"),
    "demo": N_("demo data"),
}
PROBE_PREFIX = "probe:"
# Kinds a reporter sees on the tracking page (never internal notes).
PUBLIC_KINDS = (EventKind.CREATED, EventKind.COMMENT, EventKind.REPLY, EventKind.STATUS)
# What only the team (supporters, authorities, admins) sees, in every API and page: internal notes,
# booked time (the time entries themselves too), who works on a ticket, its priority, SLA warnings.
INTERNAL_KINDS = frozenset({EventKind.NOTE, EventKind.TIME, EventKind.ASSIGNMENT, EventKind.PRIORITY,
                            EventKind.SLA_WARNING})


class AssetKind(StrEnum):
    ACCESS_POINT = "access_point"
    DEVICE = "device"
    UPLINK = "uplink"
    ROOM = "room"


DEFAULT_CATEGORIES = ("WLAN/Netzwerk", "Internet/Anschluss", "Endgerät", "Präsentationstechnik", "Konto/Passwort",
                      "Software", "Sonstiges")


class Happening(StrEnum):
    """Domain events in the notification outbox (what happened to a ticket or a school)."""

    TICKET_CREATED = "ticket_created"
    REPORTER_REPLY = "reporter_reply"
    ASSIGNED = "assigned"
    STATUS_CHANGED = "status_changed"
    SLA_WARNING = "sla_warning"  # 80 % of the resolution time used
    SLA_BREACH = "sla_breach"
    SCHOOL_OFFLINE = "school_offline"


class NotifyKind(StrEnum):
    """What a person may choose to be told about (one setting each)."""

    NEW_TICKET = "new_ticket"  # supporters: a new ticket in their counties
    REPORTER_REPLY = "reporter_reply"  # supporters: the reporter answered
    ASSIGNED = "assigned"  # supporters: a ticket was given to them
    SLA_WARNING = "sla_warning"  # supporters: 80 % of an SLA reached
    SLA_BREACH = "sla_breach"  # supporters: an SLA was breached
    SCHOOL_OFFLINE = "school_offline"  # supporters: nothing at a school answers
    OUTAGE = "outage"  # school contacts: an outage at their school opened or resolved
    OWN_TICKET = "own_ticket"  # school contacts: status changes of the tickets they filed
    WEEKLY_SUMMARY = "weekly_summary"  # authorities: the county's week in figures (optional)


NOTIFY_LABELS = {
    NotifyKind.NEW_TICKET: N_("A new ticket in my counties"),
    NotifyKind.REPORTER_REPLY: N_("The reporter replied"),
    NotifyKind.ASSIGNED: N_("A ticket was assigned to me"),
    NotifyKind.SLA_WARNING: N_("80 %% of an SLA reached"),  # shown through a template, which %-formats
    NotifyKind.SLA_BREACH: N_("SLA breached"),
    NotifyKind.SCHOOL_OFFLINE: N_("A whole school is offline"),
    NotifyKind.OUTAGE: N_("An outage at my school opened or resolved"),
    NotifyKind.OWN_TICKET: N_("My tickets: status changes"),
    NotifyKind.WEEKLY_SUMMARY: N_("Weekly summary of my county"),
}


class NotifyMode(StrEnum):
    ON = "on"  # a mail for each event
    OFF = "off"
    DIGEST = "digest"  # one mail a day with everything


NOTIFY_MODE_LABELS = {NotifyMode.ON: N_("each time"), NotifyMode.DIGEST: N_("daily digest"), NotifyMode.OFF: N_("off")}
