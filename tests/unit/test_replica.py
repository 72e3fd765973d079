"""The read replica's lag in seconds, from the primary's recorded WAL positions and the replica's replay
(schoolit.replica): no lag on an idle primary, at most one sampling interval when it keeps up, and the
time since replay stood still when it does."""

from __future__ import annotations

from typing import Any

import pytest

from schoolit.errors import ConfigError
from schoolit.replica import ReadReplica
from schoolit.settings import load_settings

NO_POOL: Any = None  # the arithmetic needs no connection


def replica_seeing(*positions: tuple[float, int]) -> ReadReplica:
    replica = ReadReplica(NO_POOL, max_lag=30)
    for taken, position in positions:
        replica._record(taken, position)
    return replica


def test_an_idle_primary_shows_no_lag_however_old_the_last_transaction() -> None:
    replica = replica_seeing((0.0, 100), (1.0, 100), (3600.0, 100))
    assert replica.lag_seconds(3600.0, primary=100, replayed=100, since_replay=3600.0) == 0.0


def test_a_write_after_a_quiet_hour_is_behind_by_one_sampling_interval_not_an_hour() -> None:
    # The primary stood at 100 for an hour (last seen there at 3600), then wrote.
    replica = replica_seeing((0.0, 100), (3600.0, 100), (3601.0, 200))
    assert replica.lag_seconds(3601.0, primary=200, replayed=100, since_replay=3600.0) == 1.0


def test_a_paused_replay_lags_by_the_time_since_it_stood_still() -> None:
    replica = replica_seeing(*((float(t), 100 + 10 * t) for t in range(11)))
    # Replay stopped at position 120 (seen on the primary at t=2); its last transaction is 8.5 s old.
    assert replica.lag_seconds(10.0, primary=200, replayed=120, since_replay=8.5) == 8.0
    assert replica.lag_seconds(10.0, primary=200, replayed=120, since_replay=7.0) == 7.0


def test_behind_everything_recorded_takes_the_replicas_own_clock() -> None:
    replica = replica_seeing((5.0, 500))
    assert replica.lag_seconds(6.0, primary=500, replayed=100, since_replay=40.0) == 40.0
    assert replica.lag_seconds(6.0, primary=500, replayed=100, since_replay=None) == 1.0


def test_read_url_and_max_lag_settings(tmp_path: Any) -> None:
    settings = load_settings({"DATA_DIR": str(tmp_path)})
    assert (settings.database_read_url, settings.database_read_max_lag) == (None, 30)
    settings = load_settings({"DATA_DIR": str(tmp_path), "DATABASE_READ_URL": "postgresql://replica/schoolit",
                              "DATABASE_READ_MAX_LAG": "5"})
    assert (settings.database_read_url, settings.database_read_max_lag) == ("postgresql://replica/schoolit", 5)
    with pytest.raises(ConfigError, match="DATABASE_READ_MAX_LAG"):
        load_settings({"DATA_DIR": str(tmp_path), "DATABASE_READ_MAX_LAG": "soon"})
