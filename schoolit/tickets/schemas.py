"""API input and output of the tickets domain (msgspec Structs). Tracking tokens appear only once,
in the answer that creates a ticket; their digests never leave the database. A category's Structs
derive from its description (`schoolit.tickets.categories.CATEGORY`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, ClassVar

import msgspec

from schoolit.schemas import Input
from schoolit.tickets import fields
from schoolit.tickets.categories import CATEGORY

Text200 = Annotated[str, msgspec.Meta(max_length=200)]
LongText = Annotated[str, msgspec.Meta(max_length=10_000)]


class TicketOut(msgspec.Struct):
    id: int
    number: str
    county_id: int
    county_name: str
    school_id: int
    school_name: str
    school_number: str
    category_id: int
    category: str
    source: str
    subject: str
    description: str
    urgency: str
    impact: str
    priority: int
    status: str
    assignee_id: int | None
    assignee_name: str | None
    reporter_email: str
    reporter_name: str
    access_point_id: int | None
    device_id: int | None
    uplink_id: int | None
    room_id: int | None
    device_serial: str
    room_text: str
    response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    first_response_at: dt.datetime | None
    sla_state: str
    sla_breached: bool
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class TicketCreated(msgspec.Struct):
    ticket: TicketOut
    tracking_token: str  # shown once; only its digest is stored
    tracking_url: str


class TicketIn(msgspec.Struct, forbid_unknown_fields=True):
    school_id: int
    category_id: int
    subject: Text200
    description: LongText = ""
    urgency: str = "medium"
    impact: str | None = None  # supporters only
    reporter_email: str = ""
    reporter_name: str = ""
    asset_kind: str | None = None  # access_point, device, uplink, room
    asset_id: int | None = None


class TicketPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Change what is given: status, assignee (null unassigns), impact, urgency, category."""

    status: str | None = None
    assignee_id: int | msgspec.UnsetType | None = msgspec.UNSET
    impact: str | None = None
    urgency: str | None = None
    category_id: int | None = None
    comment: LongText | None = None  # a public comment with a status change


class CommentIn(msgspec.Struct, forbid_unknown_fields=True):
    body: LongText
    public: bool = True


class TimeIn(msgspec.Struct, forbid_unknown_fields=True):
    minutes: int
    worked_on: dt.date | None = None
    note: Text200 = ""


class EventOut(msgspec.Struct):
    id: int
    at: dt.datetime
    kind: str
    public: bool
    # Who acted, as pages show it: a person's display name, the name the reporter gave, the system or a probe
    # in the reader's language. Never an e-mail address: the recorded label stays in the database.
    actor_name: str
    body: str
    data: dict[str, object] | None


class TimeEntryOut(msgspec.Struct):
    id: int
    ticket_id: int
    user_id: int | None
    minutes: int
    worked_on: dt.date
    note: str
    created_at: dt.datetime


class AttachmentOut(msgspec.Struct):
    id: int
    ticket_id: int
    filename: str
    content_type: str
    size: int
    created_at: dt.datetime


if TYPE_CHECKING:  # the checker sees the bases, the app the Structs derived from the description
    CategoryIn = Input
    CategoryOut = msgspec.Struct
else:
    # A create or a change (PUT) names the whole category: a field left out takes its default (position 0,
    # active).
    CategoryIn = CATEGORY.input_struct("CategoryIn", Input)
    CategoryOut = CATEGORY.output_struct("CategoryOut", __name__)


class PolicyIn(msgspec.Struct, forbid_unknown_fields=True):
    """A policy for an arrangement (slug) or a county (slug); omitted parts keep the defaults."""

    arrangement: str | None = None
    county: str | None = None
    calendar: str | None = None  # business calendar name
    matrix: dict[str, dict[str, int]] | None = None
    targets: dict[str, tuple[float, float]] | None = None  # priority -> (response h, resolution h)
    close_after_days: int = 7


class PolicyOut(msgspec.Struct):
    id: int
    arrangement_id: int | None
    county_id: int | None
    calendar_id: int | None
    close_after_days: int


class ReportForm(msgspec.Struct):
    """The public fault form as typed in (all text, as browsers send it)."""

    field_labels: ClassVar[dict[str, str]] = fields.REPORT_FORM

    school_number: str = ""
    category_id: str = ""
    urgency: str = "medium"
    subject: str = ""
    description: str = ""
    device_serial: str = ""
    room: str = ""
    email: str = ""
    name: str = ""
    consent: str = ""  # the checkbox: any value means ticked
    website: str = ""  # the honeypot: people never see it, bots fill it in
