"""PostgreSQL's binary COPY format built by numpy from one array per column: many rows, no Python object per value.

A binary COPY is a signature and header, then per row the number of its fields and each field as its length in
bytes (-1: null) followed by the value in its type's binary form (big-endian integers and floats, a timestamp as
microseconds since 2000-01-01 UTC, a numeric as base-10000 digits), then a trailer. Every row here has the same
layout, so the rows are one structured numpy array; nulls and shorter texts leave bytes out, cut by one mask.

Built so, 5,000 probe samples cost the app about a millisecond; asyncpg's `copy_records_to_table` spends 5-9 ms
encoding the same rows from tuples (and the tuples must be built first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
HEADER = SIGNATURE + bytes(8)  # no flags, no header extension
TRAILER = b"\xff\xff"
# Each type's binary form as a numpy dtype; numbers are taken from any numeric array.
DTYPES = {"smallint": ">i2", "integer": ">i4", "bigint": ">i8", "boolean": "?", "real": ">f4",
          "double precision": ">f8", "timestamptz": ">i8", "date": ">i4"}
NUMERIC = "numeric"  # an unsigned integer below 2^64 (a Counter64), as five base-10000 digits
_NUMERIC_DIGITS = 5
_NUMERIC_DTYPE = np.dtype([("ndigits", ">i2"), ("weight", ">i2"), ("sign", ">u2"), ("dscale", ">i2"),
                           ("digits", ">i2", (_NUMERIC_DIGITS,))])
TEXT = "text"  # values as UTF-8 bytes (numpy `S`), at most one text column's width per row


@dataclass(frozen=True)
class Field:
    """One column of the rows: its type (a key of `DTYPES`, `NUMERIC` or `TEXT`), its values, and where it is
    null (None: nowhere). A null row's value is not read."""

    type: str
    values: Array
    null: Array | None = None


def _numeric(values: Array) -> Array:
    """Unsigned integers as numeric's binary form: the weight says the first digit counts 10000^4, and leading
    zero digits are allowed (PostgreSQL strips them on receipt)."""
    rest = values.astype(np.uint64)
    out = np.zeros(len(values), dtype=_NUMERIC_DTYPE)
    out["ndigits"], out["weight"] = _NUMERIC_DIGITS, _NUMERIC_DIGITS - 1
    for place in range(_NUMERIC_DIGITS - 1, -1, -1):
        out["digits"][:, place] = rest % 10000
        rest //= 10000
    return out


def _value_dtype(field: Field) -> np.dtype[Any]:
    if field.type == TEXT:
        return np.dtype(f"S{max(field.values.dtype.itemsize, 1)}")
    return _NUMERIC_DTYPE if field.type == NUMERIC else np.dtype(DTYPES[field.type])


def rows(fields: Sequence[Field]) -> bytes:
    """The whole COPY (header, rows, trailer) of rows made of `fields`, in order."""
    count = len(fields[0].values)
    layout: list[tuple[str, Any]] = [("fields", ">i2")]
    for index, field in enumerate(fields):
        layout += [(f"length{index}", ">i4"), (f"value{index}", _value_dtype(field))]
    table = np.zeros(count, dtype=np.dtype(layout))
    table["fields"] = len(fields)
    keep: Array | None = None  # the bytes of each row that are sent; all of them without nulls and texts
    for index, field in enumerate(fields):
        value_type = table.dtype.fields[f"value{index}"][0]  # type: ignore[index]
        width = value_type.itemsize
        if field.type == TEXT:
            lengths = np.char.str_len(field.values).astype(np.int32) if count else np.zeros(0, np.int32)
            table[f"value{index}"] = field.values
        else:
            lengths = np.full(count, width, np.int32)
            table[f"value{index}"] = _numeric(field.values) if field.type == NUMERIC else field.values
        if field.null is not None:
            lengths = np.where(field.null, -1, lengths)
        table[f"length{index}"] = lengths
        if field.type == TEXT or field.null is not None:
            if keep is None:
                keep = np.ones((count, table.dtype.itemsize), dtype=bool)
            start = table.dtype.fields[f"value{index}"][1]  # type: ignore[index]
            keep[:, start:start + width] = np.arange(width) < np.maximum(lengths, 0)[:, None]
    raw = table.view(np.uint8).reshape(count, table.dtype.itemsize)
    return HEADER + (raw[keep] if keep is not None else raw).tobytes() + TRAILER
