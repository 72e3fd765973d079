"""Probe data: ingested batches, the current state per asset, and hourly and daily rollups.

Raw samples live in `probe_sample`, a table partitioned by day that Piccolo cannot declare; it is
created by a raw migration and written with COPY (see `schoolit.probes.ingest`). Each asset's open hour
and open day (their rollup figures) live in its state row, in columns a raw migration added
(`hour_at`, `hour_samples` …, `day`, `day_samples` …; written only by the derivation's SQL): a pass then
writes one row per asset, and the hourly and daily tables only when an hour or day has ended. Readers
take the finished and the open periods together through the views `probe_rollup_hours` and
`probe_rollup_days`.
"""

from piccolo.columns import (
    JSONB,
    UUID,
    BigInt,
    Boolean,
    Date,
    Integer,
    Numeric,
    Real,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class IngestBatch(Table, tablename="probe_ingest_batch"):
    """One stored batch, by the probe's idempotency key: a replayed batch is recognised and ignored.

    `derived_at` stays empty until state, rollups and outages have taken the batch in
    (`schoolit.probes.derivation`); it is set in the same transaction as the derived rows.
    `single_sample_aps` counts the access points with one sample in the batch: a pass whose batches have
    none skips derivation's simple statement, and `uplink_samples` counts the uplinks' samples: a pass whose
    batches have none skips the uplinks' statement (both empty for batches stored before they were counted)."""

    id: Serial  # added by Piccolo; declared for the type checker
    idempotency_key = UUID(unique=True)
    probe_id = Integer(index=True)
    county_id = Integer()
    received_at = Timestamptz(default=TimestamptzNow(), index=True)
    sent_at = Timestamptz(null=True, default=None)
    samples = Integer(default=0)
    derived_at = Timestamptz(null=True, default=None)
    single_sample_aps = Integer(null=True, default=None)
    uplink_samples = Integer(null=True, default=None)


class AssetState(Table, tablename="probe_asset_state"):
    """The current state of each polled asset (one row each; small and hot: every derivation pass
    rewrites it, so its pages are kept half empty for heap-only updates — fillfactor 50, set by the
    probes baseline migration). It also holds the asset's open hour and day (see the module docstring)."""

    id: Serial  # added by Piccolo; declared for the type checker
    asset_kind = SmallInt()
    asset_id = Integer()
    county_id = Integer(index=True)
    school_id = Integer(index=True)
    probe_id = Integer(null=True, default=None)
    last_polled_at = Timestamptz(null=True, default=None)
    reachable = Boolean(default=False)
    consecutive_failures = Integer(default=0)
    down_since = Timestamptz(null=True, default=None)
    last_up_at = Timestamptz(null=True, default=None)
    uptime_ticks = BigInt(null=True, default=None)
    reboots = Integer(default=0)
    last_reboot_at = Timestamptz(null=True, default=None)
    clients = Integer(null=True, default=None)
    radio_up = Boolean(null=True, default=None)
    in_octets = Numeric(digits=(20, 0), null=True, default=None)  # Counter64 exceeds bigint
    out_octets = Numeric(digits=(20, 0), null=True, default=None)
    in_mbps = Real(null=True, default=None)
    out_mbps = Real(null=True, default=None)
    utilisation = Real(null=True, default=None)  # of the contracted rate, 0..1 (can exceed 1 briefly)
    outage_ticket_id = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class RollupFigures:
    """The figures every rollup keeps: sums and counts (so periods merge by addition) and maxima."""

    samples = Integer(default=0)
    up_samples = Integer(default=0)
    clients_sum = BigInt(default=0)
    clients_max = Integer(null=True, default=None)
    rate_samples = Integer(default=0)
    in_mbps_sum = Real(default=0)
    out_mbps_sum = Real(default=0)
    in_mbps_max = Real(null=True, default=None)
    out_mbps_max = Real(null=True, default=None)
    utilisation_max = Real(null=True, default=None)


class RollupHourly(RollupFigures, Table, tablename="probe_rollup_hourly"):
    """Per asset and finished hour: availability, clients, uplink rates. Kept for a few days (dashboards'
    24 h and 7 d figures and charts); daily rollups carry the longer history. Written by the first
    derivation pass after the hour (the open hour is in the asset's state row), by addition: late
    samples of a finished hour add to its row. Its indexes lead with the hour, so that the rows of an
    hour, written together when it ends, fill that hour's own index pages; readers ask for their
    window's hours (`figures.hours_after`)."""

    id: Serial  # added by Piccolo; declared for the type checker
    asset_kind = SmallInt()
    asset_id = Integer()
    hour = Timestamptz()
    county_id = Integer()
    school_id = Integer()


class RollupDaily(RollupFigures, Table, tablename="probe_rollup_daily"):
    """Per asset and finished day (Europe/Berlin): the same figures as hourly, kept for months. Written
    by the asset's first derivation pass of the next day (the open day is in its state row), by
    addition: late samples of a finished day add to its row. Its unique key leads with the day, for
    the same reason as the hourly one's."""

    id: Serial  # added by Piccolo; declared for the type checker
    asset_kind = SmallInt()
    asset_id = Integer()
    day = Date()
    county_id = Integer()
    school_id = Integer()


class ProbeRun(Table, tablename="probe_run"):
    """The last run each probe reported (`RunReport`, sent with the run's last batch), and the ticket
    open while the probe is silent (`schoolit.probes.silence`). One row per probe, upserted."""

    id: Serial  # added by Piccolo; declared for the type checker
    probe_id = Integer(unique=True)
    started_at = Timestamptz()
    reported_at = Timestamptz(default=TimestamptzNow())
    duration_s = Real(default=0)
    targets = Integer(default=0)
    reachable = Integer(default=0)
    failed = Integer(default=0)
    spool_replayed = Integer(default=0)  # batches of earlier runs this run delivered
    spool_damaged = Integer(default=0)
    samples_refused = Integer(default=0)  # refused by the server in this run's batches
    version = Varchar(length=40, default="")
    silence_ticket_id = Integer(null=True, default=None)


class ControllerState(Table, tablename="probe_controller_state"):
    """The last poll of each WLAN controller (`ControllerReport`): whether it answered, how many access
    points it listed and matched, and those it lists that the inventory does not know (for adoption);
    how many polls in a row it has not answered, since when, and the outage ticket open about it.
    One row per controller, upserted by ingest (a late replay keeps the newer poll)."""

    id: Serial  # added by Piccolo; declared for the type checker
    controller_id = Integer(unique=True)
    county_id = Integer(index=True)
    probe_id = Integer(null=True, default=None)
    polled_at = Timestamptz()
    reachable = Boolean(default=False)
    error = Text(null=True, default=None)
    listed = Integer(default=0)
    matched = Integer(default=0)
    unknown = JSONB(default="[]")
    updated_at = Timestamptz(default=TimestamptzNow())
    consecutive_failures = Integer(default=0)
    down_since = Timestamptz(null=True, default=None)
    outage_ticket_id = Integer(null=True, default=None)
