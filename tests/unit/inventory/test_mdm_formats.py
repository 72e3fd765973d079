"""The MDM export readers against sample files written from the vendors' documented columns and keys
(tests/samples/mdm): Intune's device export (English and German UI) and Graph's managedDevice list, Jamf
School's CSV export and `/api/devices`, Relution's German CSV export and its REST device list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from schoolit.inventory.mdm_formats import read_export
from schoolit.kernel.i18n import current_locale

SAMPLES = Path(__file__).parents[2] / "samples" / "mdm"
UTC = dt.UTC


@pytest.fixture(autouse=True)
def german() -> Iterator[None]:
    token = current_locale.set("de")
    yield
    current_locale.reset(token)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def by_serial(name: str) -> dict[str, object]:
    export = read_export(sample(name))
    assert export.errors == []
    return {d.serial: d for d in export.devices}


@pytest.mark.parametrize(("name", "source", "shape", "delimiter"), [
    ("intune_devices.csv", "intune", "csv", ","),
    ("intune_geraete_de.csv", "intune", "csv", ","),
    ("intune_managed_devices.json", "intune", "json", ""),
    ("jamf_school_devices.csv", "jamf-school", "csv", ","),
    ("jamf_school_devices.json", "jamf-school", "json", ""),
    ("relution_geraete.csv", "relution", "csv", ";"),
    ("relution_devices.json", "relution", "json", ""),
])
def test_format_is_told_by_headers_or_shape(name: str, source: str, shape: str, delimiter: str) -> None:
    export = read_export(sample(name))
    assert (export.source, export.shape, export.delimiter, export.errors) == (source, shape, delimiter, [])
    assert export.devices


def test_intune_export_english_and_german_read_alike() -> None:
    english, german = by_serial("intune_devices.csv"), by_serial("intune_geraete_de.csv")
    laptop = english["5CG1234XYZ"]
    assert (laptop.vendor, laptop.model, laptop.os_version, laptop.enrolled) == (  # type: ignore[attr-defined]
        "HP", "HP ProBook 450 G10", "10.0.22631.4460", True)
    # Intune writes UTC with seven decimals; the German UI's 30.11.2026 07:15:02 is UTC as well.
    assert laptop.last_seen == dt.datetime(2026, 11, 30, 7, 15, 2, tzinfo=UTC)  # type: ignore[attr-defined]
    assert german["5CG1234XYZ"].last_seen == laptop.last_seen  # type: ignore[attr-defined]
    assert german["DMPXA1002"].enrolled is True  # "Co-verwaltet"  # type: ignore[attr-defined]
    # Managed by EAS is no MDM enrolment; 0001-01-01 is Intune's "never".
    old = english["F9FZK0AAAA1"]
    assert (old.enrolled, old.last_seen) == (False, None)  # type: ignore[attr-defined]


def test_graph_managed_devices() -> None:
    devices = by_serial("intune_managed_devices.json")
    assert devices["5CG1234XYZ"].last_seen == dt.datetime(2026, 11, 30, 7, 15, 2, tzinfo=UTC)  # type: ignore[attr-defined]
    assert devices["5CG1234XYZ"].mdm_id == "5f0e2a9c-1b7d-4c2e-9a51-3d1f0b6e7a01"  # type: ignore[attr-defined]
    assert devices["F9FZK0AAAA1"].enrolled is False  # retirePending  # type: ignore[attr-defined]


def test_jamf_school_api_and_csv_agree() -> None:
    api, csv_file = by_serial("jamf_school_devices.json"), by_serial("jamf_school_devices.csv")
    assert api.keys() == csv_file.keys()
    for serial, a in api.items():
        c = csv_file[serial]
        assert (a.os_version, a.last_seen, a.enrolled, a.model, a.mdm_id) == (  # type: ignore[attr-defined]
            c.os_version, c.last_seen, c.enrolled, c.model, c.mdm_id)  # type: ignore[attr-defined]
    ipad = api["DMPXA1001"]
    # Local time (Europe/Berlin, winter): 08:15:02 is 07:15:02 UTC; "iPadOS 18.1" is version 18.1.
    assert ipad.last_seen == dt.datetime(2026, 11, 30, 7, 15, 2, tzinfo=UTC)  # type: ignore[attr-defined]
    assert (ipad.vendor, ipad.model, ipad.os_version) == ("Apple", "iPad (9th generation)", "17.6.1")  # type: ignore[attr-defined]
    assert api["DMPXA1003"].os_version == "18.1"  # type: ignore[attr-defined]
    assert api["DMPXA1003"].enrolled is False  # type: ignore[attr-defined]


def test_relution_german_csv_and_api() -> None:
    csv_file, api = by_serial("relution_geraete.csv"), by_serial("relution_devices.json")
    for serial in ("R9WT20AB3CD", "DMPXA1002"):
        assert csv_file[serial].last_seen == api[serial].last_seen  # type: ignore[attr-defined]
    assert api["R9WT20AB3CD"].last_seen == dt.datetime(2026, 11, 30, 7, 15, tzinfo=UTC)  # type: ignore[attr-defined]
    assert csv_file["DMPXA1002"].enrolled is True  # "Inaktiv": enrolled, but silent  # type: ignore[attr-defined]
    assert csv_file["F9FZK0AAAA1"].enrolled is False  # "Gelöscht"  # type: ignore[attr-defined]


def test_nothing_personal_is_read() -> None:
    """UPNs, e-mail addresses and user names are in the samples; none of them is in what is read."""
    for path in SAMPLES.iterdir():
        for device in read_export(path.read_bytes()).devices:
            text = repr(device)
            assert "@" not in text and "Muster" not in text and "schueler.5a01" not in text


def test_windows_1252_relution_file() -> None:
    export = read_export(sample("relution_geraete.csv").decode("utf-8").encode("cp1252"))
    assert export.encoding == "windows-1252" and export.errors == [] and len(export.devices) == 3


@pytest.mark.parametrize(("content", "row", "column", "message"), [
    (b"Name;Seriennummer;Status;Letzte Verbindung\nA;R9WT20AB3CD;Registriert;31.11.2026 08:15\n",
     2, "Letzte Verbindung", "kein Datum mit Uhrzeit"),
    (b"Name;Seriennummer;Status;Letzte Verbindung\nA;;Registriert;30.11.2026 08:15\n",
     2, "Seriennummer", "Seriennummer ist erforderlich"),
    (b"Name;Seriennummer;Status;Letzte Verbindung\nA;X;Registriert;\nB;R9WT20AB3CD;Registriert;\n",
     2, "Seriennummer", "2–80"),
    (b"Name;Status;Letzte Verbindung\nA;Registriert;30.11.2026 08:15\n", 1, "Seriennummer", "keine Spalte"),
    (b"Name;Farbe\nA;blau\n", 1, "", "keine Geräteliste"),
    (b'{"devices": [{"serialNumber": "DMPXA1001", "lastCheckin": "gestern"}]}', 1, "lastCheckin",
     "kein Datum mit Uhrzeit"),
    (b'{"value": [\n{"serialNumber": "5CG1", "lastSyncDateTime": "2026-11-30T07:15:02Z",}\n]}', 0, "",
     "kein gültiges JSON (Zeile 2"),
    (b"[" * 100_000, 0, "", "kein gültiges JSON"),
    (b"Name;Seriennummer;Status;Letzte Verbindung\nA;R9WT20AB3CD;x;\nB;r9wt20ab3cd;x;\n", 3, "Seriennummer",
     "mehrfach"),
    (b"", 1, "", "leer"),
])
def test_bad_file_names_row_and_column_in_german(content: bytes, row: int, column: str, message: str) -> None:
    export = read_export(content)
    assert export.devices == [] or export.errors
    assert any(e.row == row and e.column == column and message in e.message for e in export.errors), export.errors


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-30T07:15:02.1234567Z", dt.datetime(2026, 11, 30, 7, 15, 2, tzinfo=UTC)),
    ("2026-11-30T08:15:02+01:00", dt.datetime(2026, 11, 30, 7, 15, 2, tzinfo=UTC)),
    ("11/30/2026 8:15:02 AM", dt.datetime(2026, 11, 30, 7, 15, 2, tzinfo=UTC)),
    ("30.07.2026 10:00", dt.datetime(2026, 7, 30, 8, 0, tzinfo=UTC)),  # summer time
    ("Nie", None),
])
def test_times_as_they_come(text: str, expected: dt.datetime | None) -> None:
    from schoolit.inventory.mdm_formats import BERLIN, parse_time

    assert parse_time(text, BERLIN) == expected
