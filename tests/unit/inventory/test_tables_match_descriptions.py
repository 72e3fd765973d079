"""Each inventory table and its resource description agree: the Piccolo columns (which the migrations
are generated from) and the described fields name the same stored columns, with the same nullability,
network types and lengths.

The columns stay declared in tables.py rather than derived from the descriptions: Piccolo's
auto-migrations diff the Table classes, and a description does not carry what only the table knows
(defaults, indexes, foreign keys, unique columns). This test fails when a field is added to one and
not the other."""

from __future__ import annotations

import pytest
from piccolo.columns import Column, ForeignKey, Varchar

from schoolit import limits
from schoolit.columns import Cidr, Inet, MacAddr
from schoolit.describe.kinds import Text
from schoolit.describe.resource import Field, Resource
from schoolit.inventory.resources import RESOURCES

# Columns every row has, or that a resource writes through code of its own rather than a field.
ROW_COLUMNS = {"id", "county_id", "created_at", "updated_at"}
NOT_DESCRIBED: dict[str, set[str]] = {
    # The return (services/loans.py) writes these; the loan's school is its device's.
    "loan": {"school_id", "returned_on", "condition_in", "pupil_ref_erased_at"},
    # The MDM sync (inventory/mdm.py) writes these, an approved disposal (inventory/disposals.py) the last
    # two; the description shows them read-only.
    "device": {"mdm_last_seen", "os_version", "mdm_source", "disposed_on", "disposal_reason"},
}
# Fields stored elsewhere than a column of their own table.
NOT_COLUMNS: dict[str, set[str]] = {"access_point": {"covered_room_ids"}}  # access_point_room
# Columns that take NULL although their field requires a value.
NULL_LATER: dict[str, set[str]] = {"loan": {"pupil_ref"}}  # erased at the end of retention
CASTS = {Inet: "inet", Cidr: "cidr", MacAddr: "macaddr"}


def _stored(resource: Resource) -> dict[str, Field]:
    """The stored columns and their fields (a secret's column is the one it is sealed into)."""
    return {f.sealed or f.name: f for f in resource.writable if f.name not in NOT_COLUMNS.get(resource.table, set())}


def _columns(resource: Resource) -> dict[str, Column]:
    table = limits.table_by_name(resource.table)
    assert table is not None, resource.table
    return {c._meta.name: c for c in table._meta.columns}


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
def test_every_field_is_a_column_and_every_column_a_field(resource: Resource) -> None:
    fields, columns = _stored(resource), _columns(resource)
    assert sorted(set(fields) - set(columns)) == [], "described but not in tables.py"
    # A column that services of their own write (the MDM sync's) is a read-only field reading it.
    shown = {f.name for f in resource.fields if not f.writable and f.select == f"{resource.alias}.{f.name}"}
    undescribed = set(columns) - set(fields) - shown - ROW_COLUMNS - NOT_DESCRIBED.get(resource.table, set())
    assert sorted(undescribed) == [], "in tables.py but not described"


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
def test_fields_and_columns_agree_on_type_null_and_length(resource: Resource) -> None:
    columns = _columns(resource)
    for name, f in _stored(resource).items():
        column = columns[name]
        assert CASTS.get(type(column)) == f.cast, (name, "cast")
        if f.secret:  # sealed: NULL is "no secret", and Piccolo keeps it out of its default selects
            assert column._meta.null and column._meta.secret, (name, "secret")
            continue
        if not isinstance(column, ForeignKey) and name not in NULL_LATER.get(resource.table, set()):
            assert column._meta.null == f.nullable, (name, "nullable")
        if isinstance(f.kind, Text) and isinstance(column, Varchar):
            assert f.kind.max_length <= column.length, (name, "length")
