"""Inventory tables. Every tenant table carries `county_id` (the scope and distribution column)."""

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from schoolit.accounts.tables import County
from schoolit.inventory.choices import SchoolType


class School(Table):
    """A county-run school, known state-wide by its 5-digit school number (Schulnummer)."""

    id: Serial  # added by Piccolo; declared for the type checker
    county_id = ForeignKey(County, null=False, on_delete=OnDelete.restrict, index=True)
    school_number = Varchar(length=5, unique=True)
    name = Varchar(length=200)
    school_type = Varchar(length=30, choices=SchoolType, default=SchoolType.GYMNASIUM.value)
    street = Varchar(length=200, default="")
    postal_code = Varchar(length=5, default="")
    city = Varchar(length=120, default="")
    pupils = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
