"""The server's answers about probes and probe figures, and the decoding of posted sample batches.

The contract with the agent (targets, samples, batches, ingest answers) is `schoolit.probes.agent.wire`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import msgspec

from schoolit import limits
from schoolit.errors import DomainError, FieldError, ValidationFailed
from schoolit.probes.agent.wire import COLUMN_FIELDS, RunReport, Sample, SampleBatch, SampleColumns

_BATCH_DECODER = msgspec.json.Decoder(SampleBatch)

# What the columns of probe_sample and probe_run hold (smallint, integer, bigint, numeric(20, 0), real):
# the ingest route has a decoder of its own, so the app's input limits (schoolit.limits) do not see the
# batch; a value beyond its column is a 422 naming the sample's field, not a database error (500).
_INT16, _INT32, _INT64 = (-(2**15), 2**15 - 1), (-(2**31), 2**31 - 1), (-(2**63), 2**63 - 1)
# Octets are a Counter64's (below 2^64, as numeric(20, 0) and the binary COPY of `schoolit.binary_copy` take them).
_SAMPLE_INTS = {"asset_id": _INT32, "uptime_ticks": _INT64, "clients": _INT32, "in_octets": (0, 2**64 - 1),
                "out_octets": (0, 2**64 - 1), "counter_bits": _INT16, "if_speed_mbps": _INT32, "oper_status": _INT16}
# A sample's time as columns carry it (microseconds since 1970): within the years 1 to 9999, as a datetime is.
_POLLED_AT_US = ((datetime(1, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1),
                 (datetime.max.replace(tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1))
_COLUMN_INTS = {**_SAMPLE_INTS, "polled_at_us": _POLLED_AT_US}
_RUN_INTS = {"targets": _INT32, "reachable": _INT32, "failed": _INT32, "spool_replayed": _INT32,
             "spool_damaged": _INT32, "samples_refused": _INT32}
_REAL = 3.4e38  # PostgreSQL's `real`
_CONTROL_CHARACTERS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff"
_CONTROL = re.compile(f"[{_CONTROL_CHARACTERS}]")

# The same limits as msgspec constraints of the decoded types, checked in C while decoding: a batch
# within them (nearly every one) costs no Python loop over its thousands of samples. A batch beyond
# them is decoded again plainly, and `_problems` names every sample and field that does not fit.
Int16 = Annotated[int, msgspec.Meta(ge=_INT16[0], le=_INT16[1])]
Int32 = Annotated[int, msgspec.Meta(ge=_INT32[0], le=_INT32[1])]
Int64 = Annotated[int, msgspec.Meta(ge=_INT64[0], le=_INT64[1])]
# msgspec checks bounds within int64 only: a counter beyond (a Counter64 past 2^63) takes the plain way.
Octets = Annotated[int, msgspec.Meta(ge=0, le=_INT64[1])]
Real = Annotated[float, msgspec.Meta(ge=-_REAL, le=_REAL)]
Text = Annotated[str, msgspec.Meta(pattern=f"^[^{_CONTROL_CHARACTERS}]*$")]


class _CheckedSample(Sample, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    asset_id: Int32
    uptime_ticks: Int64 | None = None
    clients: Int32 | None = None
    in_octets: Octets | None = None
    out_octets: Octets | None = None
    counter_bits: Int16 | None = None
    if_speed_mbps: Int32 | None = None
    oper_status: Int16 | None = None
    response_ms: Real | None = None
    error: Text | None = None


def _checked_columns() -> type[msgspec.Struct]:
    """`SampleColumns` with the constraints of `_CheckedSample`, each on every value of its field's array."""
    fields: list[tuple[str, object] | tuple[str, object, object]] = [
        ("polled_at_us", list[Annotated[int, msgspec.Meta(ge=_POLLED_AT_US[0], le=_POLLED_AT_US[1])]])]
    for checked in msgspec.structs.fields(_CheckedSample):
        if checked.name in COLUMN_FIELDS:
            fields.append((checked.name, list[checked.type]) if checked.required  # type: ignore[name-defined]
                          else (checked.name, list[checked.type] | None, None))  # type: ignore[name-defined]
    return msgspec.defstruct("_CheckedColumns", fields, bases=(SampleColumns,), frozen=True, kw_only=True,
                             omit_defaults=True)


_CheckedColumns = _checked_columns()


class _CheckedRun(RunReport, frozen=True, kw_only=True):
    duration_s: Real
    targets: Int32
    reachable: Int32
    failed: Int32
    spool_replayed: Int32 = 0
    spool_damaged: Int32 = 0
    samples_refused: Int32 = 0
    version: Text = ""


class _CheckedBatch(SampleBatch, frozen=True, kw_only=True):
    samples: list[_CheckedSample] = msgspec.field(default_factory=list)  # type: ignore[assignment]  # narrowed
    columns: _CheckedColumns | None = None  # type: ignore[valid-type]
    run: _CheckedRun | None = None


_CHECKED_DECODER = msgspec.json.Decoder(_CheckedBatch)


def _number_problem(value: float | None, bounds: tuple[int, int] | None = None) -> str | None:
    if value is None:
        return None
    if bounds is None:
        return None if abs(value) <= _REAL else f"at most {_REAL:g}"  # NaN fails too
    low, high = bounds
    if value < low:
        return f"at least {low}"
    return f"at most {high}" if value > high else None


def _value_problem(name: str, value: object) -> str | None:
    """What is wrong with one value of a sample's field (checked ones: numbers and the error text)."""
    if name == "error":
        return limits.CONTROL if isinstance(value, str) and _CONTROL.search(value) else None
    return _number_problem(value, _COLUMN_INTS.get(name))  # type: ignore[arg-type]


_CHECKED_FIELDS = (*_SAMPLE_INTS, "response_ms", "error")


def _shape_problems(batch: SampleBatch) -> list[FieldError]:
    """Columns of another length than the batch's, or samples sent both ways."""
    if batch.columns is None:
        return []
    if batch.samples:
        return [FieldError("columns", "a batch carries its samples as `samples` or as `columns`, not both")]
    count = len(batch.columns)
    return [FieldError(f"columns.{name}", f"{len(column)} values for {count} samples")
            for name in ("polled_at_us", *COLUMN_FIELDS)
            if (column := getattr(batch.columns, name)) is not None and len(column) != count]


def _problems(batch: SampleBatch) -> list[FieldError]:
    errors: list[FieldError] = []
    for index, sample in enumerate(batch.samples):
        for name in _CHECKED_FIELDS:
            if (problem := _value_problem(name, getattr(sample, name))) is not None:
                errors.append(FieldError(f"samples[{index}].{name}", problem))
    if batch.columns is not None:
        for name in ("polled_at_us", *_CHECKED_FIELDS):
            for index, value in enumerate(getattr(batch.columns, name) or ()):
                if (problem := _value_problem(name, value)) is not None:
                    errors.append(FieldError(f"columns.{name}[{index}]", problem))
    if batch.run is not None:
        for name, bounds in _RUN_INTS.items():
            if (problem := _number_problem(getattr(batch.run, name), bounds)) is not None:
                errors.append(FieldError(f"run.{name}", problem))
        if (problem := _number_problem(batch.run.duration_s)) is not None:
            errors.append(FieldError("run.duration_s", problem))
        if _CONTROL.search(batch.run.version):
            errors.append(FieldError("run.version", limits.CONTROL))
    return errors


def decode_batch(body: bytes) -> SampleBatch:
    """A posted batch from its JSON body; invalid input names the field (`samples[3].asset_id`,
    `columns.clients[3]`) and why: every sample whose number does not fit its column, or whose text holds a
    control character, and columns of another length than the batch's.

    Strict as msgspec is by default: a number sent as a string ("12") is refused, not converted."""
    try:
        checked = _CHECKED_DECODER.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        pass  # decoded again below: the same error for malformed input, every problem for numbers and text
    else:
        if errors := _shape_problems(checked):
            raise ValidationFailed(errors)
        return checked
    try:
        batch = _BATCH_DECODER.decode(body)
    except msgspec.ValidationError as error:
        message, _, path = str(error).partition(" - at `$")
        raise ValidationFailed([FieldError(path.rstrip("`").lstrip("."), message)]) from None
    except msgspec.DecodeError as error:
        raise DomainError(f"the body is not valid JSON: {error}") from None
    errors = _shape_problems(batch) + _problems(batch)
    if errors:
        raise ValidationFailed(errors)
    return batch


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
