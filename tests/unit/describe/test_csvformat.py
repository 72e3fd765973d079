"""Reading CSV files as spreadsheets write them: encodings, delimiters, headers, cells and row numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from schoolit.describe.csvformat import (
    CellError,
    Kind,
    ParsedFile,
    RowError,
    boolean,
    date,
    decode,
    format_bool,
    format_date,
    format_price,
    normalise,
    price_cents,
    read,
    sniff_delimiter,
)
from schoolit.inventory.resources import KINDS
from schoolit.inventory.resources.access_point import ACCESS_POINT
from schoolit.inventory.resources.device import DEVICE
from schoolit.inventory.resources.room import ROOM
from schoolit.inventory.resources.school import SCHOOL
from schoolit.inventory.resources.uplink import UPLINK
from schoolit.kernel.i18n import current_locale

DEVICES = DEVICE.csv_kind
ROOMS = ROOM.csv_kind
UPLINKS = UPLINK.csv_kind
ACCESS_POINTS = ACCESS_POINT.csv_kind
SCHOOLS = SCHOOL.csv_kind


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Reasons in English here (the catalogs are tested elsewhere)."""
    token = current_locale.set("en")
    yield
    current_locale.reset(token)


def test_decode_utf8_with_and_without_bom_and_windows_1252() -> None:
    text = "Ort\nKirchheimbolanden\nGöllheim\nRüssingen\nWeierhof\n"
    assert decode(text.encode("utf-8")) == (text, "utf-8")
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "utf-8")
    assert decode(text.encode("cp1252")) == (text, "windows-1252")
    assert decode("Straße;Preis €\n".encode("cp1252")) == ("Straße;Preis €\n", "windows-1252")
    with pytest.raises(CellError):
        decode(b"\x81\x8d\x8f\x90\x9d")  # bytes that are neither


def test_sniff_delimiter_from_the_header_line() -> None:
    assert sniff_delimiter("\n\nSchulnummer;Name;Ort\n41001;A, B;C\n") == ";"
    assert sniff_delimiter("school_number,name,city\n41001;x,y\n") == ","
    assert sniff_delimiter("a\tb\tc\n") == "\t"
    assert sniff_delimiter("Seriennummer\nX1\n") == ";"


@pytest.mark.parametrize(("cell", "comma", "cents"), [
    ("1.234,56", True, 123456), ("1234,56", True, 123456), ("1234,5", True, 123450), ("399", True, 39900),
    ("399 €", True, 39900), ("€ 1.000", True, 100000), ("12.500,00 EUR", True, 1250000), ("399.99", True, 39999),
    ("1.234", True, 123400), ("0,00", True, 0), ("1\u00a0234,56", True, 123456),
    ("1,234.56", False, 123456), ("1234.56", False, 123456), ("1,234", False, 123400), ("399,99", False, 39999),
])
def test_prices(cell: str, comma: bool, cents: int) -> None:
    assert price_cents(cell, comma) == cents


@pytest.mark.parametrize(("cell", "comma"), [
    ("1,234", True), ("1.234", False), ("12,345", True), ("1.2.3", True), ("-5", True), ("abc", True),
    ("1.234,567", True), ("99999999999", True),
])
def test_ambiguous_or_bad_prices_are_refused(cell: str, comma: bool) -> None:
    with pytest.raises(CellError):
        price_cents(cell, comma)


def test_price_formats_round_trip() -> None:
    for cents in (0, 5, 99, 100, 123456, 2_147_483_647):
        assert price_cents(format_price(cents, "de"), True) == cents
        assert price_cents(format_price(cents, "en"), False) == cents
    assert format_price(None, "de") == ""


@pytest.mark.parametrize(("cell", "value"), [
    ("2026-07-31", dt.date(2026, 7, 31)), ("31.07.2026", dt.date(2026, 7, 31)), ("1.8.2021", dt.date(2021, 8, 1)),
    ("01.08.21", dt.date(2021, 8, 1)), ("31.07.2026 00:00", dt.date(2026, 7, 31)),
    ("2026-07-31T00:00:00", dt.date(2026, 7, 31)),
])
def test_dates(cell: str, value: dt.date) -> None:
    assert date(cell, True) == value
    assert date(format_date(value, "de"), True) == value and date(format_date(value, "en"), False) == value


@pytest.mark.parametrize(("cell", "reason"), [
    ("31.02.2021", "no such date"), ("07/31/2026", "a date like"), ("2021-02-29", "no such date"),
    ("31.07.2026 morgen", "a date like"), ("2026-13-01", "no such date"),
])
def test_bad_dates(cell: str, reason: str) -> None:
    with pytest.raises(CellError) as caught:
        date(cell, True)
    assert caught.value.text().startswith(reason)


def test_a_date_cell_reads_any_year_the_rules_judge() -> None:
    # A cell's reading has no year range of its own: 1800 is a date, which the resource's rule refuses with
    # the words of the API and the forms (resources/common.py, `purchase_dates`: "no earlier than 01.01.2000").
    assert date("01.01.1800", True) == dt.date(1800, 1, 1) and date("2150-12-31", False) == dt.date(2150, 12, 31)
    assert date("01.08.0021", True) == dt.date(21, 8, 1)  # four digits typed: not taken for 2021


def test_booleans() -> None:
    assert [boolean(c, True) for c in ("ja", "Ja", "x", "yes", "TRUE", "1", "nein", "no", "0", "falsch")] == \
        [True] * 6 + [False] * 4
    with pytest.raises(CellError):
        boolean("vielleicht", True)
    assert (format_bool(True, "de"), format_bool(False, "en")) == ("ja", "no")


def test_header_names_compare_without_case_punctuation_and_umlauts() -> None:
    assert normalise("MAC-Adresse") == normalise("mac adresse") == "macadresse"
    assert normalise("Download (Mbit/s)") == normalise("download mbit/s")
    assert normalise("Gebäude") == normalise("Gebaeude") and normalise("Straße") == normalise("Strasse")
    for kind in KINDS.values():  # each kind's names are unambiguous (checked when the kind is defined)
        assert all(kind.columns_by_name[normalise(c.de)] is c for c in kind.columns)
        assert all(kind.columns_by_name[normalise(c.en)] is c for c in kind.columns)


def _read(text: str, kind: Kind = DEVICES) -> ParsedFile:
    return read(text.encode("utf-8"), kind)


def test_rows_are_numbered_as_excel_shows_them() -> None:
    parsed = _read("\r\nSchulnummer;Seriennummer;Bemerkungen\r\n"
                   '41001;A1;"zwei\r\nZeilen"\r\n'
                   "\r\n"
                   ";;\r\n"
                   "41001;A2;\r\n")
    assert parsed.header_row == 2
    assert [(row, values) for row, values in parsed.rows] == [(3, ["41001", "A1", "zwei\r\nZeilen"]),
                                                              (6, ["41001", "A2", ""])]
    assert parsed.errors == []


def test_german_and_english_headers_and_trailing_blanks() -> None:
    german = _read("Schulnummer ; Seriennummer ;Preis (€)\n 41001 ; sn-1  ;  1.234,50  \n")
    english = read(b"school_number,serial,price\n41001,SN-1,1234.50\n", DEVICES)
    assert german.rows[0][1] == english.rows[0][1] == ["41001", "SN-1", 123450]
    assert german.headers == {"school_number": "Schulnummer", "serial": "Seriennummer", "price_cents": "Preis (€)"}


def test_cell_errors_carry_row_and_the_header_as_written() -> None:
    parsed = _read("schulnummer;SERIENNUMMER;Kaufdatum;Farbe\n41001;;gestern;rot\n4100x;ok-1;;\n")
    assert parsed.errors == [
        RowError(2, "SERIENNUMMER", "a value is required"),
        RowError(2, "Kaufdatum", "a date like 31.07.2026 or 2026-07-31"),
        RowError(3, "schulnummer", "five digits"),
    ]
    assert parsed.ignored_columns == ["Farbe"]


def test_header_problems() -> None:
    assert _read("Hersteller;Modell\nApple;iPad\n").errors == [
        RowError(1, "Schulnummer / school_number", "required column is missing"),
        RowError(1, "Seriennummer / serial", "required column is missing")]
    assert _read("Schulnummer;Seriennummer;serial\n").errors == [
        RowError(1, "serial", "the column appears twice (also as Seriennummer)")]
    assert read(b"Schulnummer;Name\n", ACCESS_POINTS).errors == [
        RowError(1, "Seriennummer / serial", "required column is missing")]
    assert read(b"Schulnummer;MAC\n41001;00:1a:2b:3c:4d:5e\n", ACCESS_POINTS).errors == []
    assert _read("").errors == [RowError(1, "", "the file has no header row")]
    assert _read("\r\n;;\r\n").errors == [RowError(1, "", "the file has no header row")]


def test_broken_quotes_and_extra_cells() -> None:
    parsed = _read('Schulnummer;Seriennummer\n41001;A1\n41001;"A2\n41001;A3\n')
    assert parsed.errors == [RowError(3, "", "the CSV cannot be read here (unexpected end of data); check the quotes")]
    parsed = _read("Schulnummer;Seriennummer\n41001;A1;12,50;x\n41001;A2;;\n")
    assert parsed.errors == [
        RowError(2, "", "more cells than the header has columns (a delimiter in an unquoted cell?)")]


def test_choices_take_codes_and_german_or_english_words() -> None:
    parsed = _read("Schulnummer;Seriennummer;Geräteart;Status;Förderprogramm\n"
                   "41001;A1;Notebook;im Lager;DigitalPakt Sofortausstattung\n"
                   "41001;A2;convertible;Reparatur;county_budget\n"
                   "41001;A3;Fernseher;weg;Lotto\n")
    assert [values[2:] for _row, values in parsed.rows[:2]] == [
        ["laptop", "stock", "digitalpakt_sofortausstattung"], ["convertible", "repair", "county_budget"]]
    assert [e.column for e in parsed.errors] == ["Geräteart", "Status", "Förderprogramm"]
    assert parsed.errors[0].message == "one of: tablet, laptop, convertible, desktop, other"


def test_a_choice_word_may_be_longer_than_the_stored_value() -> None:
    # 'ausgemustert' (12 characters) is 'retired' in a status column of 10.
    parsed = _read("Schulnummer;Seriennummer;Status\n41001;A1;ausgemustert\n41001;A2;im Lager\n")
    assert not parsed.errors
    assert [values[2] for _row, values in parsed.rows] == ["retired", "stock"]


def test_formula_quote_from_our_export_is_removed() -> None:
    parsed = _read("Schulnummer;Seriennummer;Bemerkungen\n41001;A1;'=SUMME(A1)\n41001;A2;'ok\n")
    assert [values[2] for _row, values in parsed.rows] == ["=SUMME(A1)", "'ok"]


def test_every_kind_has_its_key_columns() -> None:
    from schoolit.inventory.resources.wlan_controller import WLAN_CONTROLLER

    controllers = WLAN_CONTROLLER.csv_kind
    assert {k.name for k in (SCHOOLS, ROOMS, ACCESS_POINTS, UPLINKS, DEVICES, controllers)} == set(KINDS)
    for kind in KINDS.values():
        if kind is controllers:  # a county's controller has no school: the county, then the school number
            assert [c.field for c in kind.columns[:2]] == ["county", "school_number"]
            assert not any(c.required for c in kind.columns[:2])
            continue
        assert kind.columns[0].field == "school_number" and kind.columns[0].required


def test_short_rows_read_as_empty_cells() -> None:
    parsed = _read("Schulnummer;Seriennummer;Modell;Bemerkungen\n41001;A1\n41001\n")
    assert parsed.rows[0] == (2, ["41001", "A1", "", ""])
    assert parsed.errors == [RowError(3, "Seriennummer", "a value is required")]


def test_the_column_tables_of_docs_import_md_are_written_from_the_descriptions() -> None:
    """`python -m schoolit.inventory.import_docs` writes them; run it after changing a CSV column."""
    from schoolit.inventory import import_docs

    docs = import_docs.DOC.read_text(encoding="utf-8")
    assert import_docs.render(docs) == docs, "run `python -m schoolit.inventory.import_docs`"
    for kind in KINDS.values():
        section = docs.split(f"\n### {kind.name}\n", 1)[1].split("\n##", 1)[0]
        for column in kind.columns:
            assert f"| {column.de} | {column.en} |" in section, (kind.name, column.de)
