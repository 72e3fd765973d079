"""`schoolit setup` without a database: answers from flags and prompts, and the checks that need no
database (one line, exit code 1, before anything is touched)."""

from __future__ import annotations

from pathlib import Path

import pytest

from schoolit.cli import build_parser, main
from schoolit.setup import check, gather


def parse(*argv: str):  # type: ignore[no-untyped-def]
    return build_parser().parse_args(["setup", *argv])


def test_prompts_fill_what_the_flags_leave_out() -> None:
    replies = iter(["it@kreis.example", "Petra Admin", "Landkreis Südwestpfalz", "", "07340", "Pirmasens", "",
                    "Schul-IT-Verbund Westpfalz", ""])
    passwords = iter(["ein-langes-passwort", "ein-langes-passwort"])
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return next(replies)

    answers = gather(parse("--state", ""), ask, lambda _prompt: next(passwords))
    assert answers.county_slug == "landkreis-suedwestpfalz"  # the suggested slug, taken with Enter
    assert answers.state == "RP" and answers.admin_password == "ein-langes-passwort"
    assert answers.arrangement_slug == "schul-it-verbund-westpfalz"
    assert answers.calendar_name == "Geschäftszeiten Landkreis Südwestpfalz"
    assert check(answers) == []
    assert len(asked) == 9


def test_different_passwords_are_refused() -> None:
    passwords = iter(["eins-eins-eins-eins", "zwei-zwei-zwei-zwei"])
    with pytest.raises(ValueError, match="passwords differ"):
        gather(parse("--admin-email", "a@b.example", "--admin-name", "A"), lambda _p: "x",
               lambda _p: next(passwords))


def test_bad_flags_are_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["setup", "--yes", "--admin-email", "a@b.example", "--state", "XY",
                 "--calendar-ical", str(tmp_path / "fehlt.ics")])
    err = capsys.readouterr().err
    assert code == 1 and len(err.splitlines()) == 1
    assert err.startswith("schoolit: error: --admin-name: required; ")
    assert "--state: 'XY' is no German state code" in err and "--calendar-ical: cannot read" in err


def test_a_broken_calendar_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    latin = tmp_path / "ferien.ics"
    latin.write_bytes("BEGIN:VCALENDAR\nSUMMARY:Herbstferien Rheinland-Pfälz\n".encode("latin-1"))
    broken = tmp_path / "kaputt.ics"
    broken.write_text("kein Kalender")
    for path, reason in ((latin, "is not UTF-8 text"), (broken, "not an iCalendar file")):
        code = main(["setup", "--yes", "--admin-email", "a@b.example", "--admin-name", "A", "--county-name", "K",
                     "--county-slug", "k", "--county-ags", "07336", "--calendar-ical", str(path)])
        err = capsys.readouterr().err
        assert code == 1 and len(err.splitlines()) == 1 and reason in err, err
