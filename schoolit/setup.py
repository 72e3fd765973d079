"""`schoolit setup`: the first run of an installation on an empty database.

Migrates, then in one transaction creates the first administrator, the first county (and, if asked,
a support arrangement led by it), a business calendar with the state's public holidays (the
`holidays` library) and the school holidays of an iCalendar file, and the county's (or
arrangement's) support policy using that calendar; then prints the next steps. Interactive on a
terminal (prompts for what the flags leave out); with `--yes` it asks nothing and fails on what is
missing. A database that already has an administrator is refused with one line and exit code 3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schoolit.accounts.choices import FederalState, Role, ShareRule
from schoolit.kernel.i18n import counted
from schoolit.settings import Settings

EXIT_INVALID = 1
EXIT_SET_UP = 3

Ask = Callable[[str], str]


@dataclass
class Answers:
    admin_email: str = ""
    admin_name: str = ""
    admin_password: str | None = None  # None: generate one and print it once
    county_name: str = ""
    county_slug: str = ""
    county_ags: str = ""
    county_seat: str = ""
    state: str = FederalState.RP.value
    arrangement_name: str = ""
    arrangement_slug: str = ""
    calendar_name: str = ""
    calendar_ical: str = ""
    years: list[int] = field(default_factory=list)
    school_holidays: list[tuple[dt.date, str]] = field(default_factory=list)  # read from calendar_ical


@dataclass
class SetupReport:
    migrations: int = 0
    admin_email: str = ""
    generated_password: str | None = None
    county_slug: str = ""
    arrangement_slug: str = ""
    calendar: str = ""
    public_holidays: int = 0
    school_holidays: int = 0
    lines: list[str] = field(default_factory=list)


class SetupRefused(Exception):
    """The installation is set up already (an administrator exists)."""


def _slugify(name: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    words = "".join(c if c.isalnum() else " " for c in name.lower().translate(table)).split()
    return "-".join(words)


def gather(args: argparse.Namespace, ask: Ask | None, secret: Ask | None) -> Answers:
    """The answers from the flags, asking (when `ask` is given) for what they leave out."""
    answers = Answers(
        admin_email=args.admin_email or "", admin_name=args.admin_name or "",
        county_name=args.county_name or "", county_slug=args.county_slug or "", county_ags=args.county_ags or "",
        county_seat=args.county_seat or "", state=(args.state or "").upper(),
        arrangement_name=args.arrangement_name or "", arrangement_slug=args.arrangement_slug or "",
        calendar_name=args.calendar_name or "", calendar_ical=args.calendar_ical or "",
        years=args.years or [dt.date.today().year, dt.date.today().year + 1])
    if args.admin_password_stdin:
        answers.admin_password = sys.stdin.readline().rstrip("\n")
    if ask is not None:
        answers.admin_email = answers.admin_email or ask("E-mail address of the first administrator: ")
        answers.admin_name = answers.admin_name or ask("Their name: ")
        if answers.admin_password is None and secret is not None:
            password = secret("Their password (empty: generate one): ")
            if password and secret("The password again: ") != password:
                raise ValueError("the passwords differ")
            answers.admin_password = password or None
        answers.county_name = answers.county_name or ask("Name of the county (e.g. Landkreis Kusel): ")
        answers.county_slug = answers.county_slug or ask(
            f"Short name for URLs and commands [{_slugify(answers.county_name)}]: ") or _slugify(answers.county_name)
        answers.county_ags = answers.county_ags or ask("AGS key of the county (5 digits, e.g. 07336): ")
        answers.county_seat = answers.county_seat or ask("Seat of its administration (optional): ")
        answers.state = answers.state or (ask("Federal state [RP]: ") or "RP").upper()
        if not answers.arrangement_name and not args.arrangement_slug:
            answers.arrangement_name = ask("Support arrangement this county leads (optional, e.g. "
                                           "Schul-IT-Verbund Westpfalz): ")
        answers.calendar_ical = answers.calendar_ical or ask("iCalendar file of the school holidays (optional): ")
    answers.state = answers.state or FederalState.RP.value
    if answers.arrangement_name and not answers.arrangement_slug:
        answers.arrangement_slug = _slugify(answers.arrangement_name)
    answers.calendar_name = answers.calendar_name or f"Geschäftszeiten {answers.county_name}".strip()
    return answers


def check(answers: Answers) -> list[str]:
    """Problems that need no database, as `field: message` lines."""
    problems = []
    for name, value in (("--admin-email", answers.admin_email), ("--admin-name", answers.admin_name),
                        ("--county-name", answers.county_name), ("--county-slug", answers.county_slug),
                        ("--county-ags", answers.county_ags)):
        if not value.strip():
            problems.append(f"{name}: required")
    if answers.state not in FederalState.__members__:
        problems.append(f"--state: {answers.state!r} is no German state code (one of "
                        f"{', '.join(s.value for s in FederalState)})")
    if answers.calendar_ical:
        problems += _read_school_holidays(answers)
    if any(not 2000 <= year <= 2100 for year in answers.years):
        problems.append("--years: between 2000 and 2100")
    return problems


def _read_school_holidays(answers: Answers) -> list[str]:
    """Read and parse the iCalendar file before anything is written; a problem is one line."""
    from schoolit.tickets.sla import parse_ical_holidays

    try:
        text = Path(answers.calendar_ical).read_text(encoding="utf-8-sig")
        answers.school_holidays = parse_ical_holidays(text)
    except OSError as exc:
        return [f"--calendar-ical: cannot read {answers.calendar_ical}: {exc.strerror}"]
    except UnicodeDecodeError:
        return [f"--calendar-ical: {answers.calendar_ical} is not UTF-8 text"]
    except ValueError as exc:
        return [f"--calendar-ical: {exc}"]
    return []


async def run_setup(answers: Answers, app_role: str | None = None) -> SetupReport:
    """Migrate (granting `app_role` its privileges, `schoolit.migrations.grant_app_role`), refuse when an
    administrator exists, then create everything in one transaction."""
    from schoolit.accounts import services as accounts
    from schoolit.accounts import tenants
    from schoolit.accounts.scope import Scope
    from schoolit.db import atomic
    from schoolit.migrations import apply_migrations
    from schoolit.tickets import policy
    from schoolit.tickets.schemas import PolicyIn
    from schoolit.tickets.sla import public_holidays

    report = SetupReport(migrations=await apply_migrations(app_role))
    if await accounts.an_admin_exists():
        raise SetupRefused("this installation is set up already (an administrator exists); "
                           "use the county, arrangement, school and user commands instead")
    scope = Scope.system("setup")
    async with atomic():
        admin, report.generated_password = await accounts.create_user(
            scope, email=answers.admin_email, display_name=answers.admin_name, role=Role.ADMIN.value,
            ref=accounts.UserScopeRef(), password=answers.admin_password)
        report.admin_email = admin["email"]
        county = await tenants.create_county(scope, {
            "name": answers.county_name, "slug": answers.county_slug, "ags": answers.county_ags,
            "seat": answers.county_seat, "state": answers.state})
        report.county_slug = county["slug"]
        owner = PolicyIn(county=county["slug"])
        if answers.arrangement_name:
            arrangement = await tenants.create_arrangement(
                scope, name=answers.arrangement_name, slug=answers.arrangement_slug, lead_county_id=county["id"],
                share_rule=ShareRule.HOURS.value)
            report.arrangement_slug = arrangement["slug"]
            owner = PolicyIn(arrangement=arrangement["slug"])
        report.calendar = answers.calendar_name
        await policy.ensure_calendar(scope, name=answers.calendar_name)
        days = [day for year in answers.years for day in public_holidays(answers.state, year)]
        report.public_holidays = await policy.add_holidays(scope, answers.calendar_name, days)
        if answers.school_holidays:
            report.school_holidays = await policy.add_holidays(scope, answers.calendar_name, answers.school_holidays)
        await policy.set_policy(scope, PolicyIn(arrangement=owner.arrangement, county=owner.county,
                                                calendar=answers.calendar_name))
    return report


def next_steps(report: SetupReport) -> list[str]:
    county = report.county_slug
    supporter_scope = f"--arrangement {report.arrangement_slug}" if report.arrangement_slug else f"--county {county}"
    return [
        "next steps:",
        f"  1. import the schools:    schoolit import schools schools.csv   (format: docs/import.md; "
        f"one school: schoolit school create --county {county} ...)",
        f"  2. create users:          schoolit user create --email E --name N --role supporter {supporter_scope}",
        f"                            schoolit user create --email E --name N --role authority --county {county}",
        "                            schoolit user create --email E --name N --role school --school NUMBER",
        f"  3. register a probe:      schoolit probe register --name probe-1 --county {county}   "
        "(then run schoolit-probe from cron, see docs/operations.md)",
        "  4. serve:                 schoolit serve   (log in as the administrator at http://HOST:PORT/login)",
        "  more counties:            schoolit county create ...; schoolit arrangement add-county ...",
    ]


def _one_line(problems: list[str]) -> int:
    print(f"schoolit: error: {'; '.join(problems)}", file=sys.stderr)
    return EXIT_INVALID


def cmd_setup(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from schoolit.db import app_role, connected
    from schoolit.errors import DomainError, ValidationFailed

    interactive = not args.yes and sys.stdin.isatty()
    try:
        answers = gather(args, input if interactive else None, getpass.getpass if interactive else None)
    except (ValueError, EOFError) as exc:
        return _one_line([str(exc) or "no answer"])
    problems = check(answers)
    if problems:
        return _one_line(problems)

    async def run() -> SetupReport:
        async with connected(settings, pool=False, owner=True):
            return await run_setup(answers, await app_role(settings))

    try:
        report = asyncio.run(run())
    except SetupRefused as exc:
        print(f"schoolit: error: {exc}", file=sys.stderr)
        return EXIT_SET_UP
    except ValidationFailed as exc:
        return _one_line([f"{e.field}: {e.message}" for e in exc.errors])
    except DomainError as exc:
        return _one_line([exc.detail])
    print(f"migrations applied: {report.migrations}" if report.migrations else "database is up to date")
    print(f"administrator: {report.admin_email}")
    if report.generated_password:
        print(f"password (shown once): {report.generated_password}")
    print(f"county: {report.county_slug}" + (f", leading the arrangement {report.arrangement_slug}"
                                              if report.arrangement_slug else ""))
    print(f"business calendar '{report.calendar}': {report.public_holidays} public holidays ({answers.state}, "
          f"{', '.join(map(str, answers.years))}), "
          f"{counted(report.school_holidays, 'school holiday day', 'school holiday days')}")
    print()
    print("\n".join(next_steps(report)))
    return 0


def register(commands: Any) -> None:
    """Add `setup` to the `schoolit` parser."""
    setup = commands.add_parser(
        "setup", help="first run: migrate, first administrator, county, business calendar",
        description="Set up an empty installation: migrate, create the first administrator, the first county "
                    "(and the support arrangement it leads, if any), a business calendar with the state's public "
                    "holidays and the school holidays of an iCalendar file. Asks for what the flags leave out, "
                    "unless --yes. Refused when an administrator exists (exit code 3).")
    setup.add_argument("--admin-email", metavar="EMAIL")
    setup.add_argument("--admin-name", metavar="NAME")
    setup.add_argument("--admin-password-stdin", action="store_true",
                       help="read the password from the first line of stdin (else one is generated and shown once)")
    setup.add_argument("--county-name", metavar="NAME", help="e.g. 'Landkreis Kusel'")
    setup.add_argument("--county-slug", metavar="SLUG", help="short name for URLs and commands, e.g. kusel")
    setup.add_argument("--county-ags", metavar="AGS", help="Amtlicher Gemeindeschlüssel (5 digits), e.g. 07336")
    setup.add_argument("--county-seat", metavar="TOWN")
    setup.add_argument("--state", metavar="CODE", help="federal state for the public holidays (default RP)")
    setup.add_argument("--arrangement-name", metavar="NAME", help="a support arrangement led by the county")
    setup.add_argument("--arrangement-slug", metavar="SLUG")
    setup.add_argument("--calendar-name", metavar="NAME", help="default 'Geschäftszeiten COUNTY'")
    setup.add_argument("--calendar-ical", metavar="FILE", help="iCalendar file of the school holidays")
    setup.add_argument("--years", type=int, nargs="+", metavar="YEAR",
                       help="years of public holidays (default this year and next)")
    setup.add_argument("--yes", action="store_true", help="ask nothing (for automation)")
    setup.set_defaults(handler=cmd_setup)
