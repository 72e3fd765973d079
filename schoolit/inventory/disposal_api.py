"""The disposal (Aussonderung) API under /api/v1: request the disposal of a device or an access point with its
data-wipe certificate, list disposals, approve or reject one (four eyes), download the certificate. Thin: the
work is `schoolit.inventory.disposals`'s."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody, MultipartBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from schoolit import uploads
from schoolit.accounts.auth import Caller
from schoolit.inventory import disposals
from schoolit.inventory.http import READ, WRITE
from schoolit.inventory.schemas import DisposalDecisionIn, DisposalOut, DisposalRequestForm
from schoolit.kernel.access import Permission, requires
from schoolit.schemas import Page

DECIDE = requires(Permission.DISPOSALS_DECIDE)
# `state` is a name Litestar reserves (the app state), so the filter arrives under another name.
State = Annotated[str | None, QueryParameter(name="state", description="pending, approved or rejected")]


class DisposalsApi(Controller):
    path = "/disposals"
    tags = ["inventory"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/", opt=READ, summary="List disposals (pending first)")
    async def list_disposals(self, caller: Caller, disposal_state: State = None) -> Page[DisposalOut]:
        rows = await disposals.list_disposals(caller, state=disposal_state or None)
        return Page(items=msgspec.convert(rows, list[DisposalOut]), total=len(rows))

    @get("/{disposal_id:int}", opt=READ, summary="One disposal")
    async def get_disposal(self, caller: Caller, disposal_id: FromPath[int]) -> DisposalOut:
        return msgspec.convert(await disposals.get_disposal(caller, disposal_id), DisposalOut)

    @post("/{disposal_id:int}/approve", opt=DECIDE, status_code=200, summary="Approve a disposal")
    async def approve(self, caller: Caller, disposal_id: FromPath[int],
                      data: JSONBody[DisposalDecisionIn]) -> DisposalOut:
        """Four eyes: 403 for the disposal's requester. 409 when the device has been lent meanwhile or the access
        point set active again."""
        row = await disposals.decide_disposal(caller, disposal_id, True, {"note": data.note})
        return msgspec.convert(row, DisposalOut)

    @post("/{disposal_id:int}/reject", opt=DECIDE, status_code=200, summary="Reject a disposal")
    async def reject(self, caller: Caller, disposal_id: FromPath[int],
                     data: JSONBody[DisposalDecisionIn]) -> DisposalOut:
        row = await disposals.decide_disposal(caller, disposal_id, False, {"note": data.note})
        return msgspec.convert(row, DisposalOut)

    @get("/{disposal_id:int}/certificate", opt=READ, summary="The data-wipe certificate")
    async def certificate(self, caller: Caller, disposal_id: FromPath[int]) -> Response[bytes]:
        return uploads.download(*await disposals.certificate(caller, disposal_id))


async def _request(caller: Caller, kind: str, asset_id: int, data: DisposalRequestForm) -> DisposalOut:
    content = await data.certificate.read()
    row = await disposals.request_disposal(caller, kind, asset_id, {"reason": data.reason, "note": data.note},
                                           data.certificate.filename or "datei", content)
    return msgspec.convert(row, DisposalOut)


class DeviceDisposalApi(Controller):
    path = "/devices"
    tags = ["inventory"]  # noqa: RUF012

    @post("/{device_id:int}/disposal", opt=WRITE, status_code=HTTP_201_CREATED, summary="Request a disposal",
          request_max_body_size=uploads.UPLOAD_LIMIT)
    async def request(self, caller: Caller, device_id: FromPath[int],
                      data: MultipartBody[DisposalRequestForm]) -> DisposalOut:
        """Multipart: `reason` (defective, obsolete, lost, lease_return, other), `note` (needed for other),
        `certificate` (the data-wipe certificate: PDF or image, checked by its bytes, at most 10 MiB).
        409 naming the loan when the device is lent."""
        return await _request(caller, "device", device_id, data)


class AccessPointDisposalApi(Controller):
    path = "/access-points"
    tags = ["inventory"]  # noqa: RUF012

    @post("/{access_point_id:int}/disposal", opt=WRITE, status_code=HTTP_201_CREATED,
          summary="Request an access point's disposal", request_max_body_size=uploads.UPLOAD_LIMIT)
    async def request(self, caller: Caller, access_point_id: FromPath[int],
                      data: MultipartBody[DisposalRequestForm]) -> DisposalOut:
        """Multipart, as a device's: `reason`, `note`, `certificate` (the record of its factory reset). 409 while
        the access point is active: it is taken down and set to retired first."""
        return await _request(caller, "access_point", access_point_id, data)


HANDLERS: list[Any] = [DisposalsApi, DeviceDisposalApi, AccessPointDisposalApi]
