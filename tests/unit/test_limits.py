"""The input limits come from the table definitions: every column of every table has the limit its
type says, and input Structs find their tables by name."""

from __future__ import annotations

from schoolit import limits
from schoolit.inventory.tables import School
from schoolit.probes.tables import AssetState
from schoolit.tickets.tables import Ticket, TicketCategory, TimeEntry


def test_every_column_of_every_table_is_covered() -> None:
    covered = 0
    for table in limits.all_tables():
        for column in table._meta.columns:
            expected = limits.column_limit(column)
            if expected is not None:
                assert limits.limit_for(column._meta.name, table) == expected, (table, column)
                covered += 1
    assert covered > 200


def test_column_types() -> None:
    assert limits.column_limit(School.name) == limits.Limit(max_length=200, multiline=False)
    assert limits.column_limit(Ticket.description) == limits.Limit()
    assert limits.column_limit(School.pupils) == limits.Limit(bound=2**31)
    assert limits.column_limit(Ticket.priority) == limits.Limit(bound=2**15)
    assert limits.column_limit(AssetState.uptime_ticks) == limits.Limit(bound=2**63)
    assert limits.column_limit(Ticket.category_id) == limits.Limit(bound=2**31)  # a foreign key
    assert limits.column_limit(Ticket.created_at) is None


def test_structs_find_their_tables() -> None:
    assert limits.table_named("SchoolIn") is School
    assert limits.table_named("CategoryIn") is TicketCategory
    assert limits.table_named("TimeIn") is TimeEntry
    assert limits.table_named("TicketPatch") is Ticket


def test_values() -> None:
    one_line = limits.Limit(max_length=3, multiline=False)
    assert one_line.problem("abc") is None
    assert one_line.problem("abcd") == (limits.TOO_LONG, {"max": 3})
    assert one_line.problem("a\x00") == (limits.CONTROL, {})
    assert one_line.problem("a\tb") == (limits.CONTROL, {})
    assert one_line.problem("ab\n") is None  # a scanner's line break around the value
    assert limits.Limit().problem("a\r\n\tb") is None and limits.Limit().problem("\x1b[31m") is not None
    assert limits.Limit().problem("\ud800") is not None  # a lone surrogate no encoder takes
    assert limits.Limit(bound=2**31).problem(2**31) == (limits.TOO_LARGE, {"max": 2**31 - 1})
    assert limits.Limit(bound=2**31).problem(True) is None
    assert limits.limit_for("offset") == limits.UNKNOWN
    assert limits.limit_for("frobnicator_id") == limits.Limit(bound=2**31)


def test_a_choice_too_long_for_its_column_is_not_allowed_rather_than_too_long() -> None:
    from schoolit.accounts.tables import County
    from schoolit.inventory.tables import SnmpProfile

    for column in (SnmpProfile.version, County.state):
        assert limits.column_limit(column).problem("v99") == ("not one of the allowed values", {})  # type: ignore[union-attr]
    assert limits.column_limit(School.name).problem("N" * 201) == (limits.TOO_LONG, {"max": 200})  # type: ignore[union-attr]
