"""The server's answers about probes and probe figures, and the decoding of posted sample batches.

The contract with the agent (targets, samples, batches, ingest answers) is `schoolit.probes.agent.wire`.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from schoolit.errors import DomainError, FieldError, ValidationFailed
from schoolit.probes.agent.wire import SampleBatch

_BATCH_DECODER = msgspec.json.Decoder(SampleBatch)


def decode_batch(body: bytes) -> SampleBatch:
    """A posted batch from its JSON body; invalid input names the field (`samples[3].asset_id`) and why.

    Strict as msgspec is by default: a number sent as a string ("12") is refused, not converted."""
    try:
        return _BATCH_DECODER.decode(body)
    except msgspec.ValidationError as error:
        message, _, path = str(error).partition(" - at `$")
        raise ValidationFailed([FieldError(path.rstrip("`").lstrip("."), message)]) from None
    except msgspec.DecodeError as error:
        raise DomainError(f"the body is not valid JSON: {error}") from None


Share = float | None  # 0..1, None without samples


class AvailabilityOut(msgspec.Struct):
    h24: Share = msgspec.field(name="24h")
    d7: Share = msgspec.field(name="7d")
    d30: Share = msgspec.field(name="30d")


class AccessPointStatusOut(msgspec.Struct):
    id: int
    name: str
    vendor: str
    status: str
    live: bool
    reachable: bool | None
    last_polled_at: datetime | None
    clients: int | None
    reboots: int | None
    last_reboot_at: datetime | None
    down_since: datetime | None
    availability: AvailabilityOut
    up_since: datetime | None = None  # from sysUpTime, while it answers


class UplinkStatusOut(msgspec.Struct):
    id: int
    provider: str
    down_mbps: int
    up_mbps: int
    status: str
    live: bool
    reachable: bool | None
    last_polled_at: datetime | None
    in_mbps: float | None
    out_mbps: float | None
    utilisation: float | None
    utilisation_peak_7d: float | None
    availability: AvailabilityOut
    up_since: datetime | None = None  # the router's sysUpTime, while it answers


class RoomRef(msgspec.Struct):
    id: int
    name: str


class CoverageOut(msgspec.Struct):
    teaching_rooms: int
    planned: Share
    live: Share
    rooms_without_working_wlan: list[RoomRef]


class SchoolNetworkOut(msgspec.Struct):
    school_id: int
    access_points: list[AccessPointStatusOut]
    uplinks: list[UplinkStatusOut]
    coverage: CoverageOut


class ProbeStatusOut(msgspec.Struct):
    """A probe as the server sees it: last contact, last reported run, silence ticket."""

    id: int
    name: str
    county_id: int
    county_name: str
    school_id: int | None
    school_name: str | None
    active: bool
    last_seen_at: datetime | None
    silent: bool | None
    last_run_at: datetime | None
    last_run_seconds: float | None
    targets: int | None
    reachable: int | None
    failed: int | None
    samples_refused: int | None
    spool_replayed: int | None  # batches of earlier runs the last run delivered
    spool_damaged: int | None
    version: str | None
    silence_ticket_id: int | None
