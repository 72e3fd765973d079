"""`schoolit school create|update|list`: single schools on the command line (many at once: `schoolit
import schools FILE`). The inventory's school service checks the fields, the same as for the form and
the API; commands act as the system (audited as `cli`).
"""

from __future__ import annotations

import argparse
from typing import Any

from schoolit.accounts.commands import CLI_SCOPE
from schoolit.accounts.services import county_id_by_slug
from schoolit.commandline import with_database
from schoolit.errors import NotFound
from schoolit.inventory import services
from schoolit.inventory.choices import SchoolType
from schoolit.kernel.i18n import counted
from schoolit.sql import fetch

FIELDS = ("name", "school_type", "street", "postal_code", "city", "pupils", "management_prefix")


def _fields(args: argparse.Namespace) -> dict[str, Any]:
    return {field: getattr(args, field) for field in FIELDS if getattr(args, field, None) is not None}


async def _school_id(number: str) -> int:
    rows = await fetch("SELECT id FROM school WHERE school_number = {}", number)
    if not rows:
        raise NotFound(f"unknown school number {number!r}")
    return int(rows[0]["id"])


async def school_create(args: argparse.Namespace) -> int:
    data = {**_fields(args), "school_number": args.number, "county_id": await county_id_by_slug(args.county)}
    school = await services.create_school(CLI_SCOPE, data)
    print(f"created school {school['school_number']} '{school['name']}' in {school['county_name']} "
          f"(id {school['id']})")
    return 0


async def school_update(args: argparse.Namespace) -> int:
    school = await services.update_school(CLI_SCOPE, await _school_id(args.number), _fields(args))
    print(f"updated school {school['school_number']} '{school['name']}'")
    return 0


async def school_list(args: argparse.Namespace) -> int:
    county_id = await county_id_by_slug(args.county) if args.county else None
    rows, total = await services.list_schools(CLI_SCOPE, county_id=county_id, sort="school_number", limit=10_000)
    for school in rows:
        print(f"{school['school_number']}  {school['school_type']:<16} {school['county_name']:<28} {school['name']}")
    print(counted(total, "school", "schools"))
    return 0


def _school_arguments(parser: argparse.ArgumentParser, *, create: bool) -> None:
    parser.add_argument("--name", required=create)
    parser.add_argument("--type", dest="school_type", required=create, choices=[t.value for t in SchoolType])
    parser.add_argument("--street")
    parser.add_argument("--postal-code", dest="postal_code")
    parser.add_argument("--city")
    parser.add_argument("--pupils")
    parser.add_argument("--management-prefix", dest="management_prefix",
                        help="the school's management network, e.g. 10.20.0.0/16")


def register(commands: Any) -> None:
    """Add `school` to the `schoolit` parser."""
    school = commands.add_parser("school", help="manage schools one by one (many: schoolit import schools)",
                                 description="Create, update and list schools; the same checks as the form.")
    actions = school.add_subparsers(dest="school_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a school in a county",
                                description="Create a school in a county.")
    create.add_argument("--county", required=True, metavar="SLUG")
    create.add_argument("--number", required=True, help="the 5-digit school number")
    _school_arguments(create, create=True)
    create.set_defaults(handler=with_database(school_create))
    update = actions.add_parser("update", help="change a school's fields",
                                description="Change the fields given; a school does not change county.")
    update.add_argument("number", metavar="NUMBER")
    _school_arguments(update, create=False)
    update.set_defaults(handler=with_database(school_update))
    listing = actions.add_parser("list", help="list schools", description="List schools, by school number.")
    listing.add_argument("--county", metavar="SLUG")
    listing.set_defaults(handler=with_database(school_list))
