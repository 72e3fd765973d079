"""PostgreSQL's binary COPY format built by numpy from one array per column: many rows, no Python object per value.

A binary COPY is a signature and header, then per row the number of its fields and each field as its length in
bytes (-1: null) followed by the value in its type's binary form (big-endian integers and floats, a timestamp as
microseconds since 2000-01-01 UTC, a numeric as base-10000 digits), then a trailer. Every row here has the same
layout, so the rows are one structured numpy array; nulls leave bytes out, cut by one mask, and texts (each as
long as it is: one long text must not widen every row) are joined in between at the places the rows reach them.

Built so, 5,000 probe samples cost the app about a millisecond; asyncpg's `copy_records_to_table` spends 5-9 ms
encoding the same rows from tuples (and the tuples must be built first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
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
TEXT = "text"  # values as UTF-8 bytes, each as long as it is (a sequence of bytes, anything where null)


@dataclass(frozen=True)
class Field:
    """One column of the rows: its type (a key of `DTYPES`, `NUMERIC` or `TEXT`), its values, and where it is
    null (None: nowhere). A null row's value is not read."""

    type: str
    values: Array | Sequence[bytes]
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


def _starts(lengths: Array) -> Array:
    """Where each piece of `lengths` (in order) starts when they are laid end to end."""
    return np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(lengths) else np.zeros(0, np.int64)


def rows(fields: Sequence[Field]) -> bytes:
    """The whole COPY (header, rows, trailer) of rows made of `fields`, in order."""
    count = len(fields[0].values)
    layout: list[tuple[str, Any]] = [("fields", ">i2")]
    # A column null in every row (an uplink's figures in a batch of access points) is its length alone.
    empty = [field.null is not None and bool(field.null.all()) for field in fields]
    for index, field in enumerate(fields):
        layout.append((f"length{index}", ">i4"))
        if field.type != TEXT and not empty[index]:  # a text's bytes are laid in between afterwards
            layout.append((f"value{index}", _NUMERIC_DTYPE if field.type == NUMERIC else DTYPES[field.type]))
    table = np.zeros(count, dtype=np.dtype(layout))
    width = table.dtype.itemsize
    table["fields"] = len(fields)
    keep: Array | None = None  # the bytes of each row that are sent; all of them without nulls
    left_out: list[tuple[int, int, Array]] = []  # (where in the row, bytes) of each value that is null in a row
    texts: list[tuple[int, list[bytes]]] = []  # (where in the row, bytes or b"" for null) of each text
    for index, field in enumerate(fields):
        if empty[index]:
            table[f"length{index}"] = -1
            continue
        null = field.null if field.null is not None else np.zeros(count, bool)
        if field.type == TEXT:
            values = [b"" if absent else value for value, absent in zip(field.values, null.tolist(), strict=True)]
            table[f"length{index}"] = np.where(null, -1, np.fromiter(map(len, values), np.int64, count))
            texts.append((table.dtype.fields[f"length{index}"][1] + 4, values))  # type: ignore[index]
            continue
        value_type, start = table.dtype.fields[f"value{index}"][:2]  # type: ignore[index]
        table[f"length{index}"] = np.where(null, -1, value_type.itemsize)
        table[f"value{index}"] = _numeric(field.values) if field.type == NUMERIC else field.values  # type: ignore[arg-type]
        if field.null is not None:
            if keep is None:
                keep = np.ones((count, width), dtype=bool)
            keep[field.null, start:start + value_type.itemsize] = False
            left_out.append((start, value_type.itemsize, field.null))
    raw = table.view(np.uint8).reshape(count, width)
    fixed = (raw[keep] if keep is not None else raw.ravel()).tobytes()
    if not texts:
        return HEADER + fixed + TRAILER
    # The texts go in between, where each row's fixed bytes reach its text: a row's start among the fixed
    # bytes, plus the bytes before the text less the values left out there. Only texts with bytes count.
    def left_out_before(where: int) -> Array:
        return sum((null * size for start, size, null in left_out if start < where), np.zeros(count, np.int64))

    row_starts = _starts(width - left_out_before(width))
    places = [row_starts + where - left_out_before(where) for where, _ in texts]
    pieces: list[bytes] = []
    done = 0
    for place, text in zip(np.stack(places, axis=1).ravel().tolist(),
                           chain.from_iterable(zip(*(values for _, values in texts), strict=True)), strict=True):
        if text:
            pieces += (fixed[done:place], text)
            done = place
    pieces.append(fixed[done:])
    return HEADER + b"".join(pieces) + TRAILER
