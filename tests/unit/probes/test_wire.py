"""The batch's two ways of carrying samples: as objects and as columns, one the other's exact image."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from schoolit.probes.agent.wire import COLUMN_FIELDS, Sample, SampleBatch, SampleColumns, columns_of

T0 = dt.datetime(2026, 11, 23, 7, 0, 0, 123456, tzinfo=dt.UTC)


def test_columns_hold_every_field_of_a_sample() -> None:
    assert set(SampleColumns.__struct_fields__) == {*COLUMN_FIELDS, "polled_at_us"}
    assert set(Sample.__struct_fields__) == {*COLUMN_FIELDS, "polled_at"}


def test_samples_as_columns_and_back_are_the_same_samples() -> None:
    samples = [
        Sample(asset_kind="access_point", asset_id=1, polled_at=T0, reachable=True, clients=4, radio_up=True),
        Sample(asset_kind="uplink", asset_id=2, polled_at=T0 - dt.timedelta(days=21000, microseconds=1),
               reachable=True, in_octets=2**64 - 1),
        Sample(asset_kind="access_point", asset_id=3, polled_at=T0, reachable=False, error="Zeitüberschreitung"),
    ]
    columns = columns_of(samples)
    assert columns.polled_at_us[1] == (samples[1].polled_at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // \
        dt.timedelta(microseconds=1) < 0
    assert columns.clients == [4, None, None] and columns.uptime_ticks is None  # no sample has one: left out
    assert columns.rows() == samples
    batch = SampleBatch(idempotency_key=uuid.uuid4(), sent_at=T0, columns=columns)
    sent = msgspec.json.encode(batch)
    assert b'"uptime_ticks"' not in sent and b'"samples"' in sent  # what is left out costs nothing on the wire
    assert msgspec.json.decode(sent, type=SampleBatch).as_samples() == samples
    assert columns_of([]).rows() == [] and len(columns_of([])) == 0
