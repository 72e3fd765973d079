"""The shared rules (schoolit/rules.py) and the sort rule of every listing (lists.sort_key)."""

from __future__ import annotations

import datetime as dt

import pytest

from schoolit import lists, rules
from schoolit.errors import FieldError, ValidationFailed


def test_not_empty_strips_and_refuses_blank_text() -> None:
    errors: list[FieldError] = []
    assert rules.not_empty(errors, "name", "  Sonde  ") == "Sonde"
    assert errors == []
    assert rules.not_empty(errors, "name", " \t ") == ""
    assert errors == [FieldError("name", "must not be empty")]


@pytest.mark.parametrize(("text", "ok"), [("a", True), ("x" * 80, True), (" " + "x" * 80 + " ", True),
                                          ("x" * 81, False), ("   ", False)])
def test_one_to_counts_the_stripped_text(text: str, ok: bool) -> None:
    errors: list[FieldError] = []
    assert rules.one_to(errors, "name", text, 80) == text.strip()
    assert errors == ([] if ok else [FieldError("name", "must be 1 to 80 characters")])


def test_one_to_knows_only_the_lengths_it_has_a_message_for() -> None:
    with pytest.raises(KeyError):
        rules.one_to([], "name", "", 81)


@pytest.mark.parametrize(("text", "ok"), [("a@kreis.example", True), ("a.b@c.de", True), ("a@b", False),
                                          ("a b@c.de", False), ("a@@c.de", False), ("x" * 250 + "@c.de", False)])
def test_is_email(text: str, ok: bool) -> None:
    assert rules.is_email(text) is ok


def test_day_reads_iso_and_german_dates_and_names_the_field_otherwise() -> None:
    errors: list[FieldError] = []
    assert rules.day(errors, "since", "2026-11-22") == dt.date(2026, 11, 22)
    # What a browser without a date picker sends when a person types the day.
    assert rules.day(errors, "since", "22.11.2026") == dt.date(2026, 11, 22)
    assert rules.day(errors, "since", " 7.12.2026 ") == dt.date(2026, 12, 7)
    assert rules.day(errors, "since", "") is None
    assert errors == []
    for text in ("31.02.2026", "7.12.26", "12/7/2026", "2026-W49-1", "morgen"):
        errors = []
        assert rules.day(errors, "until", text) is None, text
        assert errors == [FieldError("until", "must be a date like 2026-11-22")], text


def test_sort_key_is_a_key_or_a_descending_key_or_the_default() -> None:
    sorts = {"number": "t.number", "due": "t.due"}
    assert lists.sort_key("due", sorts, "number") == ("due", False)
    assert lists.sort_key(" -due ", sorts, "number") == ("due", True)
    assert lists.sort_key(None, sorts, "-number") == ("number", True)
    for bad in ("--due", "school", "due;drop", "-"):
        with pytest.raises(ValidationFailed) as refused:
            lists.sort_key(bad, sorts, "number")
        assert refused.value.errors == [FieldError("sort", "unknown sort key")]


def test_the_list_pages_and_the_services_apply_the_same_sort_rule() -> None:
    sorts = ("number", "due")
    for sort in ("due", "-due", "--due", "school", ""):
        try:
            service = lists.sort_key(sort, sorts, "number")
        except ValidationFailed:
            service = None
        try:
            page = lists.params({"sort": sort}, default_sort="number", sorts=sorts).sort
        except ValidationFailed:
            page = None
        assert (service is None) == (page is None), sort
