"""Wire contract between the probe agent and the server (msgspec Structs, JSON on the wire).

`GET /api/v1/probe/targets` answers a `TargetList` (with an `ETag` header; the agent sends
`If-None-Match` and accepts 304). `POST /api/v1/probe/samples` takes a `SampleBatch`; the server stores
a batch at most once per `idempotency_key` (the agent also sends it as the `Idempotency-Key` header),
so a batch replayed from the agent's spool after a lost answer is not stored twice. A batch carries its
samples as objects (`samples`, one per poll) or as columns (`columns`, one array per field, which the agent
sends: the server then stores them without an object per sample).

Secrets (community, v3 keys) travel only server -> probe, over HTTPS in production; samples carry none.
Unknown fields are ignored on decode, so either side may add optional fields first.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import msgspec

from schoolit.probes.agent.controller_profiles import CONTROLLER_PROFILES
from schoolit.probes.agent.profiles import PROFILES
from schoolit.snmp_protocols import AuthProtocol, PrivProtocol

# A controller is polled as one target; it answers with the samples of the access points it manages.
AssetKind = Literal["access_point", "uplink", "controller"]
SnmpVersion = Literal["2c", "3"]
UtcDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class ControllerMember(msgspec.Struct, frozen=True, kw_only=True):
    """An inventory access point a controller should list, found in its table by MAC or serial."""

    asset_id: int
    mac: str | None = None  # aa:bb:cc:dd:ee:ff
    serial: str | None = None  # upper case


class ProbeTarget(msgspec.Struct, frozen=True, kw_only=True):
    """One device to poll: an access point (vendor profile), an uplink router (one interface), or a WLAN
    controller (controller profile, `schoolit.probes.agent.controller_profiles`) with the access points it
    should list (`members`).

    SNMP v2c needs `community`; v3 needs `v3_user` and, per security level, an auth protocol and key
    (authNoPriv) and a privacy protocol and key as well (authPriv); protocols: `schoolit.snmp_protocols`.
    `row_index` selects this access point's rows when a controller answers for many (the AP's MAC as
    six decimal arcs for Cisco AireOS and Aruba Instant); empty means all rows.
    """

    asset_kind: AssetKind
    asset_id: int
    host: str
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 161
    snmp_version: SnmpVersion = "2c"
    community: str | None = None
    v3_user: str | None = None
    auth_protocol: AuthProtocol | None = None
    auth_key: str | None = None
    priv_protocol: PrivProtocol | None = None
    priv_key: str | None = None
    profile: str = "generic"
    row_index: str = ""
    if_index: Annotated[int, msgspec.Meta(ge=1)] | None = None
    if_name: str | None = None  # an uplink's interface by ifName/ifAlias/ifDescr, when no if_index is given
    members: list[ControllerMember] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        # Raised here, msgspec reports these as validation errors of the decoded document.
        if self.snmp_version == "2c" and not self.community:
            raise ValueError("SNMP v2c needs a community")
        if self.snmp_version == "3":
            if not self.v3_user:
                raise ValueError("SNMP v3 needs a user")
            if bool(self.auth_protocol) != bool(self.auth_key):
                raise ValueError("SNMP v3 authentication needs both a protocol and a key")
            if bool(self.priv_protocol) != bool(self.priv_key):
                raise ValueError("SNMP v3 privacy needs both a protocol and a key")
            if self.priv_protocol and not self.auth_protocol:
                raise ValueError("SNMP v3 privacy needs authentication (authPriv)")
        if self.asset_kind == "uplink" and self.if_index is None and not self.if_name:
            raise ValueError("an uplink target needs if_index or if_name")
        if self.asset_kind == "controller":
            if self.profile not in CONTROLLER_PROFILES:
                raise ValueError(f"unknown controller profile {self.profile!r}")
        elif self.profile not in PROFILES:
            raise ValueError(f"unknown vendor profile {self.profile!r}")

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


class TargetList(msgspec.Struct, frozen=True, kw_only=True):
    """What a probe polls; `etag` repeats the response's ETag so a cached copy knows its version."""

    targets: list[ProbeTarget]
    etag: str = ""


# The start of a failed sample's `error` when the device refused the probe's credentials (SNMPv3
# report, access denied): the server's outage ticket then says so instead of "does not answer".
CREDENTIALS_REJECTED = "credentials rejected: "


class Sample(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One poll of one asset. Figures the device did not give are absent (null).

    Only scalars, so no reference cycles: untracked by the garbage collector (`gc=False`), which
    would otherwise walk the thousands of samples of every batch."""

    asset_kind: AssetKind
    asset_id: int
    polled_at: UtcDatetime
    reachable: bool
    response_ms: float | None = None
    uptime_ticks: int | None = None  # sysUpTime, 1/100 s; going back means a reboot
    clients: int | None = None  # access points
    radio_up: bool | None = None  # access points
    in_octets: int | None = None  # uplinks: ifHCInOctets (Counter64), or ifInOctets (see counter_bits)
    out_octets: int | None = None  # uplinks: ifHCOutOctets (Counter64), or ifOutOctets
    counter_bits: int | None = None  # 32: the octets are the 32-bit counters (no HC ones), wrapping at 2^32
    if_speed_mbps: int | None = None  # uplinks: ifHighSpeed
    oper_status: int | None = None  # uplinks: ifOperStatus, 1 = up
    error: str | None = None
    icmp_reachable: bool | None = None  # not reachable by SNMP: did it answer a ping? (None: not pinged)


class RunReport(msgspec.Struct, frozen=True, kw_only=True):
    """What one run of the agent did, sent with the run's last batch (an empty batch if it polled
    nothing): the server shows it per probe, and a probe whose reports stop is itself an outage."""

    started_at: UtcDatetime
    duration_s: float
    targets: int
    reachable: int
    failed: int
    spool_replayed: int = 0
    spool_damaged: int = 0  # spool entries set aside as unreadable or not a batch
    samples_refused: int = 0  # by the server, in this run's earlier batches
    version: str = ""


# The start of a controller-polled access point's `error` when the controller does not list it, and
# when it lists it with every radio down (no WLAN from it): such a sample is not reachable.
NOT_LISTED = "not listed by the controller: "
RADIOS_DOWN = "radios down: "


class ListedAccessPoint(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An access point a controller lists that matches no inventory access point (for adoption)."""

    mac: str
    serial: str | None = None
    name: str | None = None
    model: str | None = None
    up: bool | None = None


class ControllerReport(msgspec.Struct, frozen=True, kw_only=True):
    """One poll of a controller: did it answer, how many access points it listed, and those it lists
    that the inventory does not know (their own samples travel as access-point samples)."""

    controller_id: int
    polled_at: UtcDatetime
    reachable: bool
    error: str | None = None
    listed: int = 0
    matched: int = 0
    unknown: list[ListedAccessPoint] = msgspec.field(default_factory=list)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# The fields of `Sample` that `SampleColumns` holds under the same name; `polled_at` is `polled_at_us`.
COLUMN_FIELDS = tuple(name for name in Sample.__struct_fields__ if name != "polled_at")
_REQUIRED = {field.name for field in msgspec.structs.fields(Sample) if field.required}


class SampleColumns(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The samples of a batch as one array per field of `Sample`: sample i is position i of every array.

    `polled_at_us` is `polled_at` as microseconds since 1970-01-01 UTC. An optional field's array holds null
    where a sample has no value, and is left out (null) when no sample has one. Decoded, a batch of thousands
    of samples is a few arrays of numbers instead of an object per sample, and the server stores it so."""

    asset_kind: list[AssetKind]
    asset_id: list[int]
    polled_at_us: list[int]
    reachable: list[bool]
    response_ms: list[float | None] | None = None
    uptime_ticks: list[int | None] | None = None
    clients: list[int | None] | None = None
    radio_up: list[bool | None] | None = None
    in_octets: list[int | None] | None = None
    out_octets: list[int | None] | None = None
    counter_bits: list[int | None] | None = None
    if_speed_mbps: list[int | None] | None = None
    oper_status: list[int | None] | None = None
    error: list[str | None] | None = None
    icmp_reachable: list[bool | None] | None = None

    def __len__(self) -> int:
        return len(self.asset_id)

    def rows(self) -> list[Sample]:
        """The samples as objects, in order."""
        present = {name: column for name in COLUMN_FIELDS if (column := getattr(self, name)) is not None}
        return [Sample(polled_at=_EPOCH + polled_at_us * _MICROSECOND,
                       **{name: column[index] for name, column in present.items()})
                for index, polled_at_us in enumerate(self.polled_at_us)]


def columns_of(samples: Sequence[Sample]) -> SampleColumns:
    """`samples` as columns (an optional field that no sample has is left out)."""
    # One tuple per sample, transposed: a third of the time of a getattr per field and sample.
    rows = map(msgspec.structs.astuple, samples)
    fields = zip(*rows, strict=True) if samples else ([] for _ in Sample.__struct_fields__)
    columns: dict[str, list[object]] = {}
    polled_at_us: list[int] = []
    for name, values in zip(Sample.__struct_fields__, fields, strict=True):
        if name == "polled_at":
            polled_at_us = [(moment - _EPOCH) // _MICROSECOND for moment in values]
        elif name in _REQUIRED or values.count(None) < len(values):
            columns[name] = list(values)
    return SampleColumns(polled_at_us=polled_at_us, **columns)  # type: ignore[arg-type]


class SampleBatch(msgspec.Struct, frozen=True, kw_only=True):
    """Samples posted together, as objects (`samples`) or as columns (`columns`), not both; stored at most
    once per idempotency key."""

    idempotency_key: uuid.UUID
    sent_at: UtcDatetime  # when the probe made the batch (a replayed batch keeps it)
    samples: list[Sample] = msgspec.field(default_factory=list)
    columns: SampleColumns | None = None
    run: RunReport | None = None
    controllers: list[ControllerReport] = msgspec.field(default_factory=list)

    def as_samples(self) -> list[Sample]:
        """The batch's samples as objects, whichever way it carries them."""
        return self.columns.rows() if self.columns is not None else self.samples


class RefusedSample(msgspec.Struct, frozen=True):
    """A sample the server did not store: its position in the batch, its asset, and why."""

    index: int
    asset_kind: str
    asset_id: int
    reason: str


class IngestOut(msgspec.Struct):
    """The answer to a posted batch: how many samples were stored (0 for a replayed batch), and each
    sample it refused (an asset deleted meanwhile, or not this probe's); the rest are stored."""

    stored: int
    duplicate: bool
    refused: list[RefusedSample] = msgspec.field(default_factory=list)
