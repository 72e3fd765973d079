"""The one placeholder style: `{}` compiled to asyncpg's `$n`, fragments spliced in, braces escaped."""

from __future__ import annotations

import pytest

from schoolit.sql import all_of, compile_sql, flatten, fragment


def test_placeholders_are_numbered_in_order() -> None:
    assert compile_sql("SELECT {} + {}", [1, 2]) == ("SELECT $1 + $2", [1, 2])
    assert compile_sql("SELECT 1", []) == ("SELECT 1", [])


def test_fragments_are_spliced_in_and_their_values_numbered_in_place() -> None:
    condition = all_of(fragment("a = ANY({})", [1, 2]), fragment("b = {}", 3))
    assert compile_sql("SELECT {} FROM t WHERE {} AND c = {}", ["x", condition, 4]) == (
        "SELECT $1 FROM t WHERE (a = ANY($2)) AND (b = $3) AND c = $4", ["x", [1, 2], 3, 4])
    assert compile_sql("WHERE {}", [all_of()]) == ("WHERE TRUE", [])
    assert compile_sql("WHERE {}", [all_of(fragment("a = {}", 1))]) == ("WHERE a = $1", [1])


def test_a_literal_brace_is_doubled() -> None:
    assert compile_sql("""SELECT '{{"a": 1}}'::jsonb, {}""", [5]) == ("""SELECT '{"a": 1}'::jsonb, $1""", [5])


def test_a_fragment_flattens_to_text_with_placeholders() -> None:
    condition = all_of(fragment("a = {}", 1), fragment("""b = '{{}}'::int[] OR c = {}""", 2))
    assert flatten(condition) == ("""(a = {}) AND (b = '{{}}'::int[] OR c = {})""", [1, 2])


@pytest.mark.parametrize(("text", "values", "message"), [
    ("SELECT {}", [], "more placeholders than the 0 values"),
    ("SELECT {}", [1, 2], "2 values for 1 placeholders"),
    ("SELECT {0}", [1], "only `{}` placeholders"),
    ("SELECT {name}", [1], "only `{}` placeholders"),
])
def test_a_mismatch_is_refused(text: str, values: list[object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compile_sql(text, values)
