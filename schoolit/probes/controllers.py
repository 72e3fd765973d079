"""HTTP layer of the probes domain: the probe's two endpoints and the network figures of a school."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.dto import MsgspecDTO
from litestar.params import FromPath, JSONBody

from schoolit.accounts.auth import Caller
from schoolit.kernel.access import Permission, requires
from schoolit.kernel.form_limits import OPT_KEY, OWN_DECODER
from schoolit.probes import derivation, figures, health, ingest, outages, targets
from schoolit.probes.agent.wire import IngestOut, SampleBatch, TargetList
from schoolit.probes.metrics import INGEST_BATCHES, INGEST_REFUSED_SAMPLES, INGEST_SAMPLES
from schoolit.probes.schemas import ProbeStatusOut, SchoolNetworkOut, decode_batch


class SampleBatchBody(MsgspecDTO[SampleBatch]):
    """The posted batch decoded by msgspec straight from the body into its Structs, in one pass.

    Without it Litestar decodes the JSON into dicts and lists and converts those afterwards: for the
    thousands of samples of a batch about a fifth of the server's time on ingest. The DTO keeps the
    request body documented in the OpenAPI schema."""

    def decode_bytes(self, value: bytes) -> SampleBatch:
        return decode_batch(value)


class ProbeApi(Controller):
    """`/api/v1/probe`: what to poll, and where the results go (probe tokens only)."""

    path = "/probe"
    tags = ["probes"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/targets", opt=requires(Permission.PROBE_INGEST))
    async def targets(self, caller: Caller, request: Request[Any, Any, Any]) -> Response[TargetList | bytes]:
        """The targets of this probe; answers 304 when `If-None-Match` carries the current ETag."""
        target_list = await targets.targets_for(caller)
        await outages.touch_probe(caller)
        headers = {"ETag": target_list.etag, "Cache-Control": "no-store"}
        if request.headers.get("if-none-match") == target_list.etag:
            return Response(b"", status_code=304, headers=headers)
        return Response(target_list, headers=headers)

    # The batch has a decoder of its own (schemas.decode_batch): not decoded twice for input limits.
    @post("/samples", opt={**requires(Permission.PROBE_INGEST), OPT_KEY: OWN_DECODER}, status_code=200,
          dto=SampleBatchBody, return_dto=None)
    async def samples(self, caller: Caller, data: JSONBody[SampleBatch]) -> IngestOut:
        """Store a batch once per idempotency key; samples of assets unknown or outside the probe's
        scope are refused one by one (listed in `refused`), the others stored.

        A 2xx means the stored samples are durable; state, rollups and outage tickets follow within
        moments (the derivation worker is woken here)."""
        result = await ingest.ingest(caller, data)
        INGEST_BATCHES.labels("duplicate" if result.duplicate else "stored").inc()
        INGEST_SAMPLES.inc(result.stored)
        if result.refused:
            INGEST_REFUSED_SAMPLES.inc(len(result.refused))
        if not result.duplicate:
            derivation.wake()
        await outages.touch_probe(caller)
        return IngestOut(stored=result.stored, duplicate=result.duplicate, refused=result.refused)


class NetworkStatsApi(Controller):
    """`/api/v1/stats`: live status, availability and coverage figures."""

    path = "/stats"
    tags = ["probes"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/probes", opt=requires(Permission.INVENTORY_WRITE))
    async def probes(self, caller: Caller) -> list[ProbeStatusOut]:
        """The probes in scope: last contact, last reported run (targets, answered, failed), silence ticket."""
        return msgspec.convert(await health.probe_statuses(caller), list[ProbeStatusOut])

    @get("/schools/{school_id:int}/network", opt=requires(Permission.INVENTORY_READ))
    async def school_network(self, caller: Caller, school_id: FromPath[int]) -> SchoolNetworkOut:
        return msgspec.convert(await figures.school_network(caller, school_id), SchoolNetworkOut, from_attributes=True)
