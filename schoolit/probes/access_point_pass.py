"""The access points' part of a derivation pass, computed in the app with numpy instead of in PostgreSQL.

The general statement (`derivation.PASS`) cost the database ~4 µs of CPU per sample in windows, sorts and
joins: a pass of 35,000 samples of 2,000 access points took 140 ms, most of a pass, and the derivation is
what ingest waits for. Access points have no counters, so their part is array work: a running maximum per
access point (stragglers), one lag over the answered polls (reboots), sums and maxima per access point and
hour or day (rollups), and the few rows that decide the state. numpy does that in well under a microsecond
a sample; what costs is moving the data, so both directions avoid a Python object per value:

- reading, the samples of the pass's batches that `SIMPLE` did not take, and the state of their access
  points before it, come as one bytea of fixed-width rows in PostgreSQL's binary form (`arrays_of`,
  `decode`), the booleans and null flags packed into one integer per row;
- writing, the state rows and the ended hours and days go as binary COPY (`encode`) into temporary tables,
  and from there by one upsert each (the same as the SQL's).

The rules are those in `schoolit.probes.derivation`'s docstring; tests/integration/probes/test_ingest_model.py
holds this pass, `SIMPLE` and `PASS` (now the uplinks' only) alike to the reference model
(tests/unit/probes/model.py). Uplinks (counter rates, one or two per school) stay with the SQL statement.

Times are microseconds since 2000-01-01 UTC (PostgreSQL's own binary timestamp), hours are whole hours
since then (`date_bin` on that origin), days are days since 2000-01-01 (a binary date).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from schoolit import binary_copy
from schoolit.kernel.times import BERLIN
from schoolit.probes.choices import AssetKind

Array = npt.NDArray[Any]  # the columns are of several dtypes

US_PER_HOUR = 3_600_000_000
ORIGIN = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # PostgreSQL's epoch of binary timestamps and dates
ORIGIN_DAY = ORIGIN.date()
ORIGIN_SQL = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
ORIGIN_DAY_SQL = "DATE '2000-01-01'"
WRAP = 4294967296  # sysUpTime (TimeTicks) wraps at 2^32; so do 32-bit counters
_BINARY = binary_copy.DTYPES
_SEND = {"smallint": "int2send", "integer": "int4send", "bigint": "int8send", "real": "float4send",
         "timestamptz": "timestamptz_send", "date": "date_send"}  # each type's binary form, as in `_BINARY`
_ZERO = {"smallint": "0", "integer": "0", "bigint": "0", "boolean": "false", "real": "0",
         "timestamptz": ORIGIN_SQL, "date": ORIGIN_DAY_SQL}


@dataclass(frozen=True)
class Column:
    """A column read or written as arrays: its name, SQL expression (of a read) and type. Read, a nullable one
    comes with its flag `<name>_null`, and a null value is the type's zero; so is the value of an `outer` one,
    null only where an outer join found no row."""

    name: str
    sql: str
    type: str
    nullable: bool = False
    outer: bool = False

    def value(self) -> str:
        """Its expression as read: never null."""
        if self.type == "boolean":
            return f"coalesce({self.sql}, false)" if self.nullable or self.outer else self.sql
        if self.nullable or self.outer:
            return f"coalesce(({self.sql})::{self.type}, {_ZERO[self.type]})"
        return self.sql


def _bits(columns: tuple[Column, ...]) -> list[tuple[str, str]]:
    """The flags a read packs into one integer per row: booleans' values and every nullable column's null."""
    bits = [(column.name, column.value()) for column in columns if column.type == "boolean"]
    bits += [(f"{column.name}_null", f"({column.sql}) IS NULL") for column in columns if column.nullable]
    assert len(bits) < 64, "one bigint of flags per row"
    return bits


def _flag_kind(bits: list[tuple[str, str]]) -> str:
    return "integer" if len(bits) < 31 else "bigint"


def arrays_of(columns: tuple[Column, ...]) -> str:
    """The select list that reads `columns` of many rows as one value, `packed`: every row's values in
    PostgreSQL's binary form one after the other (each column that is not boolean, coalesced to its type's
    zero, then one integer of flags, see `decode`), all rows in one bytea by one aggregate. Read so, a sample
    costs the database and the app far less than as a row of its own (binary COPY: asyncpg spent ~1 µs on
    each row's message), and a third less than as one array per column (an aggregate call per column and
    row: 87 of 135 ms for 100,000 samples)."""
    values = [f"{_SEND[column.type]}(({column.value()})::{column.type})" for column in columns
              if column.type != "boolean"]
    bits = _bits(columns)
    kind = _flag_kind(bits)
    flags = " | ".join(f"(({bit})::{kind} << {index})" if index else f"({bit})::{kind}"
                       for index, (_, bit) in enumerate(bits))
    values.append(f"{_SEND[kind]}(({flags or '0'})::{kind})")
    return f"coalesce(string_agg({' || '.join(values)}, ''::bytea), ''::bytea) AS packed"


def decode(row: dict[str, bytes], columns: tuple[Column, ...]) -> dict[str, Array]:
    """The arrays of a row selected by `arrays_of(columns)`: integers as int64 (times and days are compared and
    combined with each other), reals as float64, booleans and null flags as booleans."""
    bits = _bits(columns)
    kind = _flag_kind(bits)
    fields = [(column.name, _BINARY[column.type]) for column in columns if column.type != "boolean"]
    rows = np.frombuffer(row["packed"], dtype=np.dtype([*fields, ("flags", _BINARY[kind])]))
    arrays: dict[str, Array] = {}
    for column in columns:
        if column.type != "boolean":
            arrays[column.name] = rows[column.name].astype(np.float64 if column.type == "real" else np.int64)
    flags = rows["flags"].astype(np.int64)
    for index, (name, _) in enumerate(bits):
        arrays[name] = (flags >> index) & 1 == 1
    return arrays


def encode(arrays: dict[str, Array], columns: tuple[Column, ...]) -> bytes:
    """`arrays` (a nullable column's with its flag `<name>_null`) as a binary COPY whose rows are `columns`, each
    nullable one followed by its flag (never null: a table of `table_of`)."""
    fields = []
    for column in columns:
        fields.append(binary_copy.Field(column.type, arrays[column.name]))
        if column.nullable:
            fields.append(binary_copy.Field("boolean", arrays[f"{column.name}_null"]))
    return binary_copy.rows(fields)


def table_of(name: str, columns: tuple[Column, ...]) -> str:
    """A temporary table whose rows are `columns`, emptied at every commit: what `encode` writes is copied into
    it and taken from there by one statement."""
    definitions = ", ".join(f"{column.name} {column.type}" + (f", {column.name}_null boolean" if column.nullable
                                                              else "") for column in columns)
    return f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({definitions}) ON COMMIT DELETE ROWS"


def value_of(column: Column, alias: str = "u") -> str:
    """A column of such a table as a value: NULL where its flag says so."""
    return f"CASE WHEN NOT {alias}.{column.name}_null THEN {alias}.{column.name} END" if column.nullable \
        else f"{alias}.{column.name}"


def _octets(name: str, source: str) -> tuple[Column, Column]:
    """A Counter64 (numeric, up to 2^64) as two exact bigints: its high and low 32 bits."""
    return (Column(f"{name}_hi", f"trunc({source}.{name} / {WRAP})", "bigint", nullable=True),
            Column(f"{name}_lo", f"mod({source}.{name}, {WRAP})", "bigint", nullable=True))


# A sample as the pass reads it. Access points have no counters: the octets a sample of one may still carry
# (nothing sends them) are read apart, only when there are any (`OCTETS`).
SAMPLE_COLUMNS = (
    Column("asset_id", "s.asset_id", "integer"), Column("batch_id", "s.batch_id", "bigint"),
    Column("polled_at", "s.polled_at", "timestamptz"), Column("reachable", "s.reachable", "boolean"),
    Column("probe_id", "s.probe_id", "integer", nullable=True), Column("county_id", "s.county_id", "integer"),
    Column("clients", "s.clients", "integer", nullable=True),
    Column("uptime_ticks", "s.uptime_ticks", "bigint", nullable=True),
    Column("radio_up", "s.radio_up", "boolean", nullable=True),
    Column("octets", "s.in_octets IS NOT NULL OR s.out_octets IS NOT NULL", "boolean"))
_AP = int(AssetKind.ACCESS_POINT)
SAMPLES = f"""SELECT {arrays_of(SAMPLE_COLUMNS)}
  FROM probe_sample s
 WHERE s.batch_id = ANY({{}}::bigint[]) AND s.asset_kind + 0 = {_AP}  -- `+ 0`: never by the index on the kind
   AND NOT EXISTS (SELECT FROM unnest({{}}::integer[]) AS done(id) WHERE done.id = s.asset_id)
"""  # noqa: S608 (only constants)
OCTETS = f"""SELECT asset_id, polled_at, in_octets, out_octets FROM probe_sample
 WHERE batch_id = ANY({{}}::bigint[]) AND asset_kind + 0 = {_AP} AND (in_octets IS NOT NULL OR out_octets IS NOT NULL)
"""  # noqa: S608 (only constants)
# The figures of a rollup and their types; maxima are merged by the larger, the rest by addition (so any split
# into batches or passes gives the same rollup).
ROLLUP_TYPES = {"samples": "integer", "up_samples": "integer", "clients_sum": "bigint", "clients_max": "integer",
                "rate_samples": "integer", "in_mbps_sum": "real", "out_mbps_sum": "real", "in_mbps_max": "real",
                "out_mbps_max": "real", "utilisation_max": "real"}
MAXIMA = frozenset({"clients_max", "in_mbps_max", "out_mbps_max", "utilisation_max"})
# The figures an access point has. It has no counters, so its rates' figures are nothing (zero sums and counts,
# no maxima) in every rollup and open period: this pass reads none of them and writes them as such.
AP_FIGURES = {name: kind for name, kind in ROLLUP_TYPES.items() if name in ("samples", "up_samples", "clients_sum",
                                                                           "clients_max")}
OPEN_PERIODS = ("hour", "day")
# The state before the pass; without a state row every value is its type's zero (and every nullable one null).
PRIOR_COLUMNS = (
    Column("asset_id", "a.id", "integer"), Column("school_id", "ap.school_id", "integer"),
    Column("last_polled_at", "st.last_polled_at", "timestamptz", nullable=True),
    Column("consecutive_failures", "st.consecutive_failures", "integer", outer=True),
    Column("down_since", "st.down_since", "timestamptz", nullable=True),
    Column("last_up_at", "st.last_up_at", "timestamptz", nullable=True),
    Column("uptime_ticks", "st.uptime_ticks", "bigint", nullable=True),
    Column("reboots", "st.reboots", "integer", outer=True),
    Column("last_reboot_at", "st.last_reboot_at", "timestamptz", nullable=True),
    Column("clients", "st.clients", "integer", nullable=True),
    Column("radio_up", "st.radio_up", "boolean", nullable=True),
    *_octets("in_octets", "st"), *_octets("out_octets", "st"),
    Column("county_id", "st.county_id", "integer", outer=True),
    Column("state_school_id", "st.school_id", "integer", outer=True),
    Column("hour_at", "st.hour_at", "timestamptz", nullable=True), Column("day", "st.day", "date", nullable=True),
    *(Column(f"{period}_{name}", f"st.{period}_{name}", kind, nullable=name in MAXIMA, outer=True)
      for period in OPEN_PERIODS for name, kind in AP_FIGURES.items()))
# Each access point's row and state by their unique indexes, one probe each (never a scan of all of them).
PRIOR = f"""SELECT {arrays_of(PRIOR_COLUMNS)}
  FROM unnest({{}}::integer[]) AS a(id)
  CROSS JOIN LATERAL (SELECT school_id FROM access_point WHERE id = a.id OFFSET 0) ap
  LEFT JOIN LATERAL (SELECT * FROM probe_asset_state WHERE asset_kind = {_AP} AND asset_id = a.id OFFSET 0) st ON true
"""  # noqa: S608 (only constants)
# The reads' plans: the state by nested loops over its unique index, SIMPLE's access points out by a hash.
SETTINGS = "SET LOCAL enable_nestloop = on; SET LOCAL enable_hashjoin = on"

# An ended hour's (day's) row as this pass writes it: the period in hours (days) since 2000-01-01.
ROLLUP_COLUMNS = (Column("asset_id", "", "integer"), Column("period", "", "bigint"), Column("county_id", "", "integer"),
                  Column("school_id", "", "integer"),
                  *(Column(name, "", kind, nullable=name in MAXIMA) for name, kind in AP_FIGURES.items()))


@dataclass
class Rollups:
    """Rollup rows of one period kind: per access point and hour (or day), its county and school, and the
    figures as floats (a maximum without a value is NaN)."""

    asset_id: Array
    period: Array  # hours (days) since 2000-01-01
    county_id: Array
    school_id: Array
    figures: dict[str, Array]

    def __len__(self) -> int:
        return len(self.asset_id)

    def where(self, mask: Array) -> Rollups:
        return Rollups(self.asset_id[mask], self.period[mask], self.county_id[mask], self.school_id[mask],
                       {name: values[mask] for name, values in self.figures.items()})

    def copy(self) -> bytes:
        """The rows as a binary COPY of `ROLLUP_COLUMNS`."""
        arrays: dict[str, Array] = {"asset_id": self.asset_id, "period": self.period, "county_id": self.county_id,
                                    "school_id": self.school_id}
        for name in AP_FIGURES:
            arrays[name] = np.nan_to_num(self.figures[name], nan=0.0)
            arrays[f"{name}_null"] = np.isnan(self.figures[name])
        return encode(arrays, ROLLUP_COLUMNS)

    def merged(self, *others: Rollups) -> Rollups:
        """One row per access point and period: sums added, maxima the larger, county and school the larger."""
        rows = [self, *others]
        asset_id = np.concatenate([r.asset_id for r in rows]).astype(np.int64)
        period = np.concatenate([r.period for r in rows]).astype(np.int64)
        if not len(asset_id):
            return self
        key = (asset_id << 32) | (period - period.min())
        unique, inverse = np.unique(key, return_inverse=True)
        first = np.zeros(len(unique), np.int64)
        first[inverse] = np.arange(len(key))  # a row of each key, for its asset and period
        figures: dict[str, Array] = {}
        for name in AP_FIGURES:
            values = np.concatenate([r.figures[name] for r in rows])
            if name in MAXIMA:
                figures[name] = np.full(len(unique), np.nan)
                np.fmax.at(figures[name], inverse, values)
            else:
                figures[name] = np.bincount(inverse, weights=values, minlength=len(unique))
        return Rollups(asset_id[first], period[first], _largest(inverse, len(unique), rows, "county_id"),
                       _largest(inverse, len(unique), rows, "school_id"), figures)


def _largest(inverse: Array, size: int, rows: list[Rollups], name: str) -> Array:
    largest = np.full(size, np.iinfo(np.int64).min)
    np.maximum.at(largest, inverse, np.concatenate([getattr(r, name) for r in rows]).astype(np.int64))
    return largest


@dataclass
class Derived:
    """What the access points' part of a pass writes: the state rows (arrays of `STATE_COLUMNS`), the ended
    hours and days, and the (probe, school) pairs it saw."""

    states: dict[str, Array]
    ended_hours: Rollups
    ended_days: Rollups
    touched: set[tuple[int | None, int]]

    def state_copy(self) -> bytes:
        """The state rows as a binary COPY of `STATE_COLUMNS`."""
        return encode(self.states, STATE_COLUMNS)


NO_TIME = np.int64(np.iinfo(np.int64).min)  # before any time: no state, no earlier sample
# The state rows as this pass writes them (times and the open day in PostgreSQL's binary form already).
STATE_COLUMNS = (
    Column("asset_id", "", "integer"), Column("county_id", "", "integer"), Column("school_id", "", "integer"),
    Column("probe_id", "", "integer", nullable=True), Column("last_polled_at", "", "timestamptz"),
    Column("reachable", "", "boolean"), Column("consecutive_failures", "", "integer"),
    Column("down_since", "", "timestamptz", nullable=True), Column("last_up_at", "", "timestamptz", nullable=True),
    Column("uptime_ticks", "", "bigint", nullable=True), Column("reboots", "", "integer"),
    Column("last_reboot_at", "", "timestamptz", nullable=True), Column("clients", "", "integer", nullable=True),
    Column("radio_up", "", "boolean", nullable=True), *_octets("in_octets", ""), *_octets("out_octets", ""),
    Column("hour_at", "", "timestamptz"), Column("day", "", "date"),
    *(Column(f"{period}_{name}", "", kind, nullable=name in MAXIMA)
      for period in OPEN_PERIODS for name, kind in AP_FIGURES.items()))


def nothing(name: str) -> str:
    """A figure an access point does not have (a rate's), as written."""
    return "NULL" if name in MAXIMA else "0"


def state_value(name: str, alias: str = "u") -> str:
    """A state column's value from the table `STATE_COLUMNS` were copied into (the counters from their halves,
    nothing for a rate's figure)."""
    period, _, figure = name.partition("_")
    if period in OPEN_PERIODS and figure in ROLLUP_TYPES.keys() - AP_FIGURES.keys():
        return nothing(figure)
    if name in ("in_octets", "out_octets"):
        return (f"CASE WHEN NOT {alias}.{name}_hi_null "
                f"THEN {alias}.{name}_hi::numeric * {WRAP} + {alias}.{name}_lo END")
    return value_of(next(column for column in STATE_COLUMNS if column.name == name), alias)


def _last_per_group(indexes: Array, group: Array, groups: int) -> Array:
    """Per group, the last of `indexes` (in order) that belongs to it; -1 where none does."""
    last = np.full(groups, -1, np.int64)
    np.maximum.at(last, group[indexes], indexes)
    return last


def _sample_rollups(s: dict[str, Array], ids: Array, group: Array, school: Array) -> Rollups:
    """The pass's rollups per access point and hour, straight from its samples (stragglers too)."""
    up = s["reachable"]
    with_clients = up & ~s["clients_null"]
    figures = {"samples": np.ones(len(group)), "up_samples": up.astype(np.float64),
               "clients_sum": np.where(with_clients, s["clients"], 0).astype(np.float64),
               "clients_max": np.where(with_clients, s["clients"], np.nan)}
    hours = s["polled_at"] // US_PER_HOUR
    return Rollups(ids[group], hours, s["county_id"], school[group], figures).merged()


def _days(hours: Array) -> Array:
    """The Berlin day of each hour (a UTC hour lies in one day), worked out once per distinct hour."""
    distinct, inverse = np.unique(hours, return_inverse=True)
    days = np.array([((ORIGIN + dt.timedelta(hours=int(hour))).astimezone(BERLIN).date() - ORIGIN_DAY).days
                     for hour in distinct.tolist()], np.int64)
    return days[inverse]


def _prior_rollups(p: dict[str, Array], period: str, key: str, ids: Array, groups: Array) -> Rollups:
    """The state's open `period` of `groups` as rollup rows."""
    figures = {}
    for name in AP_FIGURES:
        values = p[f"{period}_{name}"][groups].astype(np.float64)
        figures[name] = np.where(p[f"{period}_{name}_null"][groups], np.nan, values) if name in MAXIMA else values
    opened = p[key][groups] // US_PER_HOUR if key == "hour_at" else p[key][groups]
    return Rollups(ids[groups], opened, p["county_id"][groups], p["state_school_id"][groups], figures)


def _lookup(rows: Rollups, ids: Array) -> tuple[Array, Array]:
    """Per id, the index of its row in `rows` (one row per id, in id order) and whether it has one."""
    if not len(rows):
        return np.zeros(len(ids), np.int64), np.zeros(len(ids), bool)
    index = np.minimum(np.searchsorted(rows.asset_id, ids), len(rows) - 1)
    return index, rows.asset_id[index] == ids


def microseconds(moment: dt.datetime) -> int:
    """A moment as PostgreSQL's binary timestamp: microseconds since 2000-01-01 UTC."""
    return (moment - ORIGIN) // dt.timedelta(microseconds=1)


def with_octets(samples: dict[str, Array], rows: list[dict[str, Any]]) -> dict[str, Array]:
    """The samples with their counters in halves (`OCTETS`' rows: those of the samples that have any)."""
    counters = {(row["asset_id"], microseconds(row["polled_at"])): row for row in rows}
    arrays = dict(samples)
    count = len(samples["asset_id"])
    for name in ("in_octets", "out_octets"):
        high, low, null = np.zeros(count, np.int64), np.zeros(count, np.int64), np.ones(count, bool)
        for index in np.flatnonzero(samples["octets"]).tolist():
            value = counters[samples["asset_id"][index], samples["polled_at"][index]][name]
            if value is not None:
                high[index], low[index], null[index] = int(value) // WRAP, int(value) % WRAP, False
        arrays[f"{name}_hi"], arrays[f"{name}_lo"] = high, low
        arrays[f"{name}_hi_null"] = arrays[f"{name}_lo_null"] = null
    return arrays


def derive(samples: dict[str, Array], prior: dict[str, Array]) -> Derived:
    """The access points' part of a pass from its samples (`SAMPLES`, with `with_octets`) and their state before
    it (`PRIOR`)."""
    by_id = np.argsort(prior["asset_id"])
    known = prior["asset_id"][by_id]
    at = np.minimum(np.searchsorted(known, samples["asset_id"]), max(len(known) - 1, 0))
    # Samples of access points deleted since they were stored have no row in `prior`: left out, as the SQL's
    # join with the assets leaves them out.
    kept = known[at] == samples["asset_id"] if len(known) else np.zeros(len(samples["asset_id"]), bool)
    s = {name: values[kept] for name, values in samples.items()}
    order = np.lexsort((s["polled_at"], s["batch_id"], s["asset_id"]))  # per access point, batch by batch
    s = {name: values[order] for name, values in s.items()}
    ids, group = np.unique(s["asset_id"], return_inverse=True)
    if not len(ids):
        empty = Rollups(*(np.zeros(0, np.int64),) * 4, {name: np.zeros(0) for name in AP_FIGURES})
        return Derived({}, empty, empty, set())
    aligned = by_id[np.searchsorted(known, ids)]
    p = {name: values[aligned] for name, values in prior.items()}  # the state before the pass, per access point
    count, groups = len(group), len(ids)
    t = s["polled_at"]
    first = np.ones(count, bool)
    first[1:] = group[1:] != group[:-1]

    # Stragglers: not newer than the state, nor than an earlier sample of the pass (batch order, then time).
    # A running maximum per access point: of each time's rank, offset by the access point's number.
    times, rank = np.unique(t, return_inverse=True)
    offset = group.astype(np.int64) * (len(times) + 1)
    running = np.maximum.accumulate(offset + rank)
    before = np.full(count, NO_TIME)
    later = ~first
    before[later] = times[running[:-1][later[1:]] - offset[later]]
    state_last = np.where(p["last_polled_at_null"], NO_TIME, p["last_polled_at"])[group]
    moving = t > np.maximum(before, state_last)

    # Reboots: an answered poll whose sysUpTime went back from the answered poll before it (the state's
    # before the first), unless by the wrap (the wrapped difference agrees with the time that passed).
    answered = np.flatnonzero(moving & s["reachable"])
    a_group = group[answered]
    a_first = np.ones(len(answered), bool)
    a_first[1:] = a_group[1:] != a_group[:-1]
    uptime, uptime_null, a_time = s["uptime_ticks"][answered], s["uptime_ticks_null"][answered], t[answered]
    p_uptime = np.where(a_first, p["uptime_ticks"][a_group], np.roll(uptime, 1))
    p_uptime_null = np.where(a_first, p["uptime_ticks_null"][a_group], np.roll(uptime_null, 1))
    p_time = np.where(a_first, p["last_up_at"][a_group], np.roll(a_time, 1))
    p_time_null = np.where(a_first, p["last_up_at_null"][a_group], False)
    seconds = (a_time - p_time) / 1e6
    wrapped = ~p_time_null & (np.abs((uptime + WRAP - p_uptime) / 100.0 - seconds)
                              <= np.maximum(60.0, seconds * 0.1))
    rebooted = ~uptime_null & ~p_uptime_null & (uptime < p_uptime) & ~wrapped
    reboots = np.bincount(a_group[rebooted], minlength=groups)
    last_reboot = np.full(groups, NO_TIME)
    np.maximum.at(last_reboot, a_group[rebooted], a_time[rebooted])

    # The state: the latest sample decides up or down (and probe and county); while down, the figures of
    # the latest answered poll stay (from this pass, or from before it); failures since then count.
    latest = _last_per_group(np.flatnonzero(moving), group, groups)
    latest_up = _last_per_group(answered, group, groups)
    writing = latest >= 0  # access points whose samples are not all stragglers
    writes = np.flatnonzero(writing)
    last_up = np.where(latest_up >= 0, t[latest_up], NO_TIME)
    tail = moving & ~s["reachable"] & (t > last_up[group])
    down_tail = np.bincount(group[tail], minlength=groups)
    first_down = np.full(groups, np.iinfo(np.int64).max)
    np.minimum.at(first_down, group[tail], t[tail])

    # Rollups: the pass's hours and days; the open hour (day) after the pass is the later of the state's and
    # the pass's newest; earlier ones (the state's ended period among them) go to the tables by addition.
    hours = _sample_rollups(s, ids, group, p["school_id"])
    row_group = np.searchsorted(ids, hours.asset_id)
    days = Rollups(hours.asset_id, _days(hours.period), hours.county_id, hours.school_id, hours.figures).merged()
    day_group = np.searchsorted(ids, days.asset_id)
    ended: dict[str, Rollups] = {}
    opened: dict[str, Rollups] = {}
    open_at: dict[str, Array] = {}
    for period, key, rows, row_groups in (("hour", "hour_at", hours, row_group), ("day", "day", days, day_group)):
        newest = np.full(groups, NO_TIME)
        np.maximum.at(newest, row_groups, rows.period)
        prior_open = np.where(p[f"{key}_null"], NO_TIME, p[key] // US_PER_HOUR if key == "hour_at" else p[key])
        open_at[period] = np.maximum(newest, prior_open)
        prior_rows = _prior_rollups(p, period, key, ids, writes)
        was_open, now_open = prior_open[writes], open_at[period][writes]
        pass_open = writing[row_groups] & (rows.period == open_at[period][row_groups])
        ended[period] = rows.where(~pass_open).merged(prior_rows.where((was_open != NO_TIME) & (was_open < now_open)))
        opened[period] = rows.where(pass_open).merged(prior_rows.where(was_open == now_open))

    latest_w, up_w = latest[writes], latest_up[writes]
    answered_w = up_w >= 0
    reachable = s["reachable"][latest_w]
    prior_failures = p["consecutive_failures"][writes]  # 0 without a state
    no_prior_since = p["down_since_null"][writes]
    no_answer = ~answered_w
    reboots_w = reboots[writes]
    states: dict[str, Array] = {
        "asset_id": ids[writes], "county_id": s["county_id"][latest_w], "school_id": p["school_id"][writes],
        "probe_id": s["probe_id"][latest_w], "probe_id_null": s["probe_id_null"][latest_w],
        "last_polled_at": t[latest_w], "reachable": reachable,
        "consecutive_failures": np.where(reachable, 0, down_tail[writes] + np.where(answered_w, 0, prior_failures)),
        "down_since": np.where(answered_w | no_prior_since, first_down[writes], p["down_since"][writes]),
        "down_since_null": reachable,
        "last_up_at": np.where(answered_w, last_up[writes], p["last_up_at"][writes]),
        "last_up_at_null": no_answer & p["last_up_at_null"][writes],
        "reboots": p["reboots"][writes] + reboots_w,
        "last_reboot_at": np.where(reboots_w > 0, last_reboot[writes], p["last_reboot_at"][writes]),
        "last_reboot_at_null": (reboots_w == 0) & p["last_reboot_at_null"][writes],
        "hour_at": open_at["hour"][writes] * US_PER_HOUR, "day": open_at["day"][writes],
    }
    # The latest answered poll's figures, else the state's (the counters in their halves).
    for name in ("uptime_ticks", "clients", "radio_up", "in_octets_hi", "in_octets_lo", "out_octets_hi",
                 "out_octets_lo"):
        for part in (name, f"{name}_null"):
            states[part] = np.where(answered_w, s[part][up_w], p[part][writes])
    for period in OPEN_PERIODS:  # the open hour's and day's figures: the state's while still open, plus the pass's
        index, present = _lookup(opened[period], ids[writes])
        for name in AP_FIGURES:
            values = np.where(present, opened[period].figures[name][index] if present.any() else np.nan,
                              np.nan if name in MAXIMA else 0.0)
            states[f"{period}_{name}"] = np.nan_to_num(values, nan=0.0)
            if name in MAXIMA:  # the only figures that can be null
                states[f"{period}_{name}_null"] = np.isnan(values)
    # The (probe, school) pairs the samples were about, for the outage check.
    probes = np.where(s["probe_id_null"], -1, s["probe_id"]).astype(np.int64)
    pairs = np.unique((probes << 32) | p["school_id"][group].astype(np.int64))
    touched = {(None if probe == -1 else probe, school)
               for probe, school in zip((pairs >> 32).tolist(), (pairs & 0xFFFFFFFF).tolist(), strict=True)}
    return Derived(states, ended["hour"], ended["day"], touched)
