"""`schoolit.binary_copy`: rows built by numpy, taken by PostgreSQL's binary COPY and read back as written —
every type at its limits, nulls, Counter64s as numeric, texts of every length and none."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from schoolit import binary_copy
from schoolit.binary_copy import NUMERIC, TEXT, Field
from schoolit.db import atomic
from schoolit.sql import copy_in, execute, fetch

EPOCH_2000 = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
TABLE = ("CREATE TEMPORARY TABLE copy_check (n smallint, i integer, big bigint, up boolean, ratio real, "
         "share double precision, at timestamptz, day date, octets numeric(20, 0), error text) ON COMMIT DROP")
NAMES = ("n", "i", "big", "up", "ratio", "share", "at", "day", "octets", "error")


def texts(*values: str) -> list[bytes]:
    return [value.encode() for value in values]


async def copied(fields: list[Field], names: tuple[str, ...] = NAMES) -> list[dict[str, object]]:
    async with atomic():
        await execute("DROP TABLE IF EXISTS copy_check")  # the test's own transaction outlives `atomic()`
        await execute(TABLE)
        await copy_in("copy_check", binary_copy.rows(fields), names)
        return await fetch("SELECT * FROM copy_check ORDER BY i")


async def test_every_type_at_its_limits_and_null_reads_back_as_written() -> None:
    null = np.array([False, False, False, True])
    fields = [
        Field("smallint", np.array([-2**15, 0, 2**15 - 1, 5]), null),
        Field("integer", np.array([-2**31, 1, 2, 2**31 - 1])),
        Field("bigint", np.array([-2**63, 0, 2**63 - 1, 9]), null),
        Field("boolean", np.array([True, False, True, True]), null),
        Field("real", np.array([-3.25, 0.0, 3.0e38, 1.0]), null),
        Field("double precision", np.array([0.1, -1e300, 2.5, 0.0]), null),
        Field("timestamptz", np.array([-1, 0, 847_004_400_000_001, 7]), null),
        Field("date", np.array([-10957, 0, 36524, 1]), null),
        Field(NUMERIC, np.array([0, 9999, 2**64 - 1, 10000], dtype=np.uint64), null),
        Field(TEXT, texts("Zeitüberschreitung (SNMP)", "", "x", "nicht gesendet"), null)]
    rows = await copied(fields)
    assert rows == [
        {"n": -2**15, "i": -2**31, "big": -2**63, "up": True, "ratio": -3.25, "share": 0.1,
         "at": EPOCH_2000 - dt.timedelta(microseconds=1), "day": dt.date(1970, 1, 1), "octets": Decimal(0),
         "error": "Zeitüberschreitung (SNMP)"},
        {"n": 0, "i": 1, "big": 0, "up": False, "ratio": 0.0, "share": -1e300, "at": EPOCH_2000,
         "day": dt.date(2000, 1, 1), "octets": Decimal(9999), "error": ""},
        {"n": 2**15 - 1, "i": 2, "big": 2**63 - 1, "up": True, "ratio": rows[2]["ratio"], "share": 2.5,
         "at": dt.datetime(2026, 11, 3, 7, 0, 0, 1, tzinfo=dt.UTC), "day": dt.date(2099, 12, 31),
         "octets": Decimal(2**64 - 1), "error": "x"},
        {"n": None, "i": 2**31 - 1, "big": None, "up": None, "ratio": None, "share": None, "at": None, "day": None,
         "octets": None, "error": None}]
    assert abs(rows[2]["ratio"] - 3.0e38) / 3.0e38 < 1e-7  # type: ignore[operator]  # a real's precision
    assert (await fetch("SELECT octets::text AS t FROM (VALUES (NULL::numeric)) v(octets)")) == [{"t": None}]


async def test_rows_with_nulls_in_different_columns_and_no_rows() -> None:
    """Each row leaves out the bytes of its own nulls: a row's neighbours are not shifted; a column null in
    every row, and no rows at all."""
    fields = [Field("integer", np.array([1, 2, 3])),
              Field(NUMERIC, np.array([10**19, 0, 123456789], dtype=np.uint64), np.array([False, True, False])),
              Field(TEXT, texts("a", "längerer Text", ""), np.array([True, False, False])),
              Field("bigint", np.array([1, 2, 3]), np.ones(3, bool))]  # null in every row: its length alone
    rows = await copied(fields, ("i", "octets", "error", "big"))
    assert [(row["i"], row["octets"], row["error"], row["big"]) for row in rows] == [
        (1, Decimal(10**19), None, None), (2, None, "längerer Text", None), (3, Decimal(123456789), "", None)]
    empty = [Field("integer", np.zeros(0, np.int64)), Field(TEXT, [], np.zeros(0, bool))]
    assert await copied(empty, ("i", "error")) == []


async def test_texts_are_as_long_as_they_are_between_other_fields() -> None:
    """A long text does not widen the other rows (a probe's error message must not cost every sample of its
    batch its length), and two texts in a row, empty and null ones among them, keep their places."""
    long = "Zeitüberschreitung " * 5000
    fields = [Field("integer", np.arange(1, 5)),
              Field(TEXT, texts(long, "", "b", "c"), np.array([False, False, True, False])),
              Field("bigint", np.array([7, 8, 9, 10]), np.array([False, True, False, False])),
              Field(TEXT, texts("x", "yy", "", "zzz"), np.array([False, False, False, True]))]
    data = binary_copy.rows(fields)
    assert len(data) < len(long.encode()) + 4 * 60  # the long text once, not once a row
    async with atomic():
        await execute("DROP TABLE IF EXISTS text_check")
        await execute("CREATE TEMPORARY TABLE text_check (i integer, a text, big bigint, b text)")
        await copy_in("text_check", data, ("i", "a", "big", "b"))
        rows = await fetch("SELECT * FROM text_check ORDER BY i")
    assert rows == [{"i": 1, "a": long, "big": 7, "b": "x"}, {"i": 2, "a": "", "big": None, "b": "yy"},
                    {"i": 3, "a": None, "big": 9, "b": ""}, {"i": 4, "a": "c", "big": 10, "b": None}]
