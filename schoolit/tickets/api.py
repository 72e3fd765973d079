"""The JSON API of the tickets domain under /api/v1: the queue, tickets, their timeline, time and
attachments, the time and cost reports; ticket categories and policies.

Thin: parse, call a service with the caller's Scope, shape the answer.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Response, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody
from litestar.status_codes import HTTP_201_CREATED

from schoolit import uploads
from schoolit.accounts.auth import Caller
from schoolit.kernel.access import Permission, authenticated, requires
from schoolit.replica import READ_ONLY
from schoolit.schemas import IdFilter, Limit, Offset, Page, given
from schoolit.tickets import metrics as _metrics  # noqa: F401 (registers the ticket gauges)
from schoolit.tickets import policy, queue, reports, services, worktime
from schoolit.tickets.attachments import add_attachment, get_attachment, list_attachments
from schoolit.tickets.categories import list_categories, save_category
from schoolit.tickets.choices import Source
from schoolit.tickets.schemas import (
    AttachmentOut,
    CategoryIn,
    CategoryOut,
    CommentIn,
    EventOut,
    PolicyIn,
    PolicyOut,
    TicketCreated,
    TicketIn,
    TicketOut,
    TicketPatch,
    TimeEntryOut,
    TimeIn,
)

OptionalText = FromQuery[str | None]


def _ticket_out(row: dict[str, Any]) -> TicketOut:
    return msgspec.convert(row, TicketOut, from_attributes=True, strict=False)


def _csv(filename: str, content: bytes) -> Response[bytes]:
    return Response(content=content, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


class TicketsApi(Controller):
    """`/api/v1/tickets`: the queue, tickets, their timeline, time and attachments; reports."""

    path = "/tickets"
    tags = ["tickets"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/", opt=requires(Permission.TICKETS_READ))
    async def list_tickets(
        self, caller: Caller, view: FromQuery[str] = "open", status: OptionalText = None,
        county_id: IdFilter = None, school_id: IdFilter = None, category_id: IdFilter = None,
        assignee_id: IdFilter = None, q: OptionalText = None, limit: Limit = 50, offset: Offset = 0,
    ) -> Page[TicketOut]:
        rows, total = await queue.list_tickets(caller, queue.Filters(
            view=view, status=status, county_id=county_id, school_id=school_id, category_id=category_id,
            assignee_id=assignee_id, q=q), limit=limit, offset=offset)
        return Page(items=[_ticket_out(r) for r in rows], total=total)

    @post("/", opt=requires(Permission.TICKETS_REPORT), status_code=HTTP_201_CREATED)
    async def create(self, caller: Caller, data: JSONBody[TicketIn]) -> TicketCreated:
        ticket, token = await services.create_ticket(caller, services.NewTicket(
            school_id=data.school_id, category_id=data.category_id, subject=data.subject,
            description=data.description, urgency=data.urgency, impact=data.impact, source=Source.API,
            reporter_email=data.reporter_email, reporter_name=data.reporter_name, asset_kind=data.asset_kind,
            asset_id=data.asset_id))
        return TicketCreated(ticket=_ticket_out(ticket), tracking_token=token,
                             tracking_url=services.tracking_url(token))

    @post("/claim-next", opt=requires(Permission.TICKETS_WORK), status_code=200)
    async def claim_next(self, caller: Caller) -> Response[TicketOut | None]:
        """The most urgent unassigned ticket in your queue, now yours; 204 when there is none."""
        claimed = await queue.claim_next(caller)
        if claimed is None:
            return Response(content=None, status_code=204)
        return Response(content=_ticket_out(await services.get_ticket(caller, claimed["id"])))

    @get("/{ticket_id:int}", opt=requires(Permission.TICKETS_READ))
    async def get_ticket(self, caller: Caller, ticket_id: FromPath[int]) -> TicketOut:
        return _ticket_out(await services.get_ticket(caller, ticket_id))

    @patch("/{ticket_id:int}", opt=requires(Permission.TICKETS_WORK))
    async def update(self, caller: Caller, ticket_id: FromPath[int], data: JSONBody[TicketPatch]) -> TicketOut:
        if data.impact is not None or data.urgency is not None or data.category_id is not None:
            await services.reprioritise(caller, ticket_id, impact=data.impact, urgency=data.urgency,
                                        category_id=data.category_id)
        if data.assignee_id is not msgspec.UNSET:
            await services.assign(caller, ticket_id, data.assignee_id)
        if data.status is not None:
            await services.change_status(caller, ticket_id, data.status, comment=data.comment)
        return _ticket_out(await services.get_ticket(caller, ticket_id))

    @get("/{ticket_id:int}/events", opt=requires(Permission.TICKETS_READ))
    async def events(self, caller: Caller, ticket_id: FromPath[int]) -> list[EventOut]:
        return msgspec.convert(await services.timeline(caller, ticket_id), list[EventOut])

    @post("/{ticket_id:int}/comments", opt=requires(Permission.TICKETS_REPORT), status_code=HTTP_201_CREATED)
    async def comment(self, caller: Caller, ticket_id: FromPath[int], data: JSONBody[CommentIn]) -> TicketOut:
        return _ticket_out(await services.add_comment(caller, ticket_id, data.body, public=data.public))

    @get("/{ticket_id:int}/time", opt=requires(Permission.TICKETS_READ))
    async def time_entries(self, caller: Caller, ticket_id: FromPath[int]) -> list[TimeEntryOut]:
        return msgspec.convert(await worktime.time_entries(caller, ticket_id), list[TimeEntryOut])

    @post("/{ticket_id:int}/time", opt=requires(Permission.TICKETS_WORK), status_code=HTTP_201_CREATED)
    async def log_time(self, caller: Caller, ticket_id: FromPath[int], data: JSONBody[TimeIn]) -> TimeEntryOut:
        row = await worktime.log_time(caller, ticket_id, data.minutes, worked_on=data.worked_on, note=data.note)
        return msgspec.convert(row, TimeEntryOut)

    @get("/{ticket_id:int}/attachments", opt=requires(Permission.TICKETS_READ))
    async def attachments(self, caller: Caller, ticket_id: FromPath[int]) -> list[AttachmentOut]:
        return msgspec.convert(await list_attachments(caller, ticket_id), list[AttachmentOut])

    @post("/{ticket_id:int}/attachments", opt=requires(Permission.TICKETS_REPORT), status_code=HTTP_201_CREATED,
          request_max_body_size=uploads.UPLOAD_LIMIT)
    async def upload(self, caller: Caller, ticket_id: FromPath[int],
                     data: MultipartBody[uploads.UploadForm]) -> AttachmentOut:
        content = await data.file.read()
        row = await add_attachment(caller, ticket_id, data.file.filename or "datei", content)
        return msgspec.convert(row, AttachmentOut)

    @get("/attachments/{attachment_id:int}", opt=requires(Permission.TICKETS_READ))
    async def download(self, caller: Caller, attachment_id: FromPath[int]) -> Response[bytes]:
        return uploads.download(*await get_attachment(caller, attachment_id))

    @get("/reports/time.csv", opt={**requires(Permission.EXPORT), **READ_ONLY})
    async def time_report(self, caller: Caller, month: OptionalText = None,
                          county_id: IdFilter = None) -> Response[bytes]:
        """Minutes per county and ticket in a month (`month=2026-11`, default this month)."""
        return _csv(*await reports.monthly_time_csv(caller, month, county_id))

    @get("/reports/cost-split.csv", opt={**requires(Permission.EXPORT), **READ_ONLY})
    async def cost_split(self, caller: Caller, month: OptionalText = None,
                         arrangement_id: IdFilter = None) -> Response[bytes]:
        """Hours per member county of an arrangement and each county's share of the total."""
        return _csv(*await reports.cost_split_csv(caller, month, arrangement_id))


class TicketSettingsApi(Controller):
    """`/api/v1/ticket-categories` and `/api/v1/ticket-policies` (changes by admins)."""

    tags = ["tickets"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/ticket-categories", opt=authenticated())
    async def categories(self, caller: Caller) -> list[CategoryOut]:
        return msgspec.convert(await list_categories(active_only=False), list[CategoryOut])

    @post("/ticket-categories", opt=requires(Permission.USERS_MANAGE), status_code=HTTP_201_CREATED)
    async def create_category(self, caller: Caller, data: JSONBody[CategoryIn]) -> CategoryOut:
        return msgspec.convert(await save_category(caller, given(data)), CategoryOut)

    @put("/ticket-categories/{category_id:int}", opt=requires(Permission.USERS_MANAGE))
    async def update_category(self, caller: Caller, category_id: FromPath[int],
                              data: JSONBody[CategoryIn]) -> CategoryOut:
        return msgspec.convert(await save_category(caller, given(data), category_id=category_id), CategoryOut)

    @put("/ticket-policies", opt=requires(Permission.USERS_MANAGE))
    async def set_policy(self, caller: Caller, data: JSONBody[PolicyIn]) -> PolicyOut:
        """Priority matrix, SLA targets (business hours), calendar and close-after days of an arrangement
        or a county."""
        return msgspec.convert(await policy.set_policy(caller, data), PolicyOut)
