"""`schoolit county …` and `schoolit arrangement …`: the tenants on the command line.

Commands act as the system (audited as `cli`) through `schoolit.accounts.tenants`, which holds the
rules; errors are one line per bad field (`schoolit: error: slug: already in use`) and exit code 1.
"""

from __future__ import annotations

import argparse
from typing import Any

from schoolit.accounts import tenants
from schoolit.accounts.choices import FederalState, ShareRule
from schoolit.accounts.commands import CLI_SCOPE
from schoolit.commandline import with_database
from schoolit.errors import FieldError, ValidationFailed
from schoolit.kernel.i18n import counted


def _county_line(county: dict[str, Any]) -> str:
    state = f"retired {county['retired_at']:%Y-%m-%d}" if county["retired_at"] else "active"
    arrangement = county.get("arrangement_slug") or "-"
    return (f"{county['id']:>4}  {county['slug']:<28} {county['ags']:<6} {county['state']:<3} "
            f"{arrangement:<24} {state:<18} {county['name']}")


def _arrangement_lines(arrangement: dict[str, Any]) -> list[str]:
    lines = [f"{arrangement['id']:>4}  {arrangement['slug']:<28} rule {arrangement['share_rule']:<8} "
             f"lead {arrangement['lead_name']}  ({arrangement['name']})"]
    for member in arrangement["members"]:
        share = f" {member['share_percent']} %" if member["share_percent"] is not None else ""
        lead = " (lead)" if member["county_id"] == arrangement["lead_county_id"] else ""
        lines.append(f"        member {member['slug']}{lead}{share}")
    return lines


async def _shares(text: str | None) -> dict[int, str] | None:
    """`--shares donnersbergkreis=40,landkreis-kusel=60` by county slug, as county ids."""
    if not text:
        return None
    shares: dict[int, str] = {}
    for part in text.split(","):
        slug, sep, value = part.partition("=")
        if not sep:
            raise ValidationFailed([FieldError("shares", "give SLUG=PERCENT pairs separated by commas")])
        shares[(await tenants.county_by_slug(CLI_SCOPE, slug))["id"]] = value
    return shares


async def county_create(args: argparse.Namespace) -> int:
    county = await tenants.create_county(CLI_SCOPE, {"name": args.name, "slug": args.slug, "ags": args.ags,
                                                     "seat": args.seat, "state": args.state})
    print(f"created county {county['slug']} '{county['name']}' (AGS {county['ags']}, id {county['id']})")
    return 0


async def county_update(args: argparse.Namespace) -> int:
    fields = {k: getattr(args, k, None) for k in ("name", "slug", "ags", "seat", "state")}
    county = await tenants.county_by_slug(CLI_SCOPE, args.county)
    after = await tenants.update_county(CLI_SCOPE, county["id"], {k: v for k, v in fields.items()
                                                                  if v is not None})
    print(f"updated county {after['slug']} '{after['name']}' (AGS {after['ags']})")
    return 0


async def county_retire(args: argparse.Namespace) -> int:
    county = await tenants.county_by_slug(CLI_SCOPE, args.county)
    after = await tenants.retire_county(CLI_SCOPE, county["id"])
    print(f"retired county {after['slug']}: {counted(after['users_disabled'], 'user', 'users')} and "
          f"{counted(after['probes_disabled'], 'probe', 'probes')} disabled; its data is kept")
    return 0


async def county_list(args: argparse.Namespace) -> int:
    counties = await tenants.list_counties(CLI_SCOPE)
    if not counties:
        print("no counties yet (schoolit county create --help)")
    for county in counties:
        print(_county_line(county))
    return 0


async def arrangement_create(args: argparse.Namespace) -> int:
    lead = await tenants.county_by_slug(CLI_SCOPE, args.lead)
    arrangement = await tenants.create_arrangement(
        CLI_SCOPE, name=args.name, slug=args.slug, lead_county_id=lead["id"], share_rule=args.rule,
        shares=await _shares(f"{args.lead}={args.lead_share}" if args.lead_share else None))
    print(f"created arrangement {arrangement['slug']} '{arrangement['name']}' led by {lead['name']} "
          f"(share rule {arrangement['share_rule']}); add counties with: schoolit arrangement add-county "
          f"{arrangement['slug']} COUNTY")
    return 0


async def _membership(args: argparse.Namespace, add: bool) -> int:
    arrangement = await tenants.arrangement_by_slug(CLI_SCOPE, args.arrangement)
    county = await tenants.county_by_slug(CLI_SCOPE, args.county)
    change = tenants.add_member if add else tenants.remove_member
    after = await change(CLI_SCOPE, arrangement["id"], county["id"], await _shares(args.shares))
    verb = "added to" if add else "removed from"
    print(f"{county['slug']} {verb} {after['slug']}; members now: "
          + ", ".join(m["slug"] for m in after["members"]))
    return 0


async def arrangement_add(args: argparse.Namespace) -> int:
    return await _membership(args, add=True)


async def arrangement_remove(args: argparse.Namespace) -> int:
    return await _membership(args, add=False)


async def arrangement_update(args: argparse.Namespace) -> int:
    arrangement = await tenants.arrangement_by_slug(CLI_SCOPE, args.arrangement)
    lead = getattr(args, "lead", None)
    after = await tenants.update_arrangement(
        CLI_SCOPE, arrangement["id"], name=getattr(args, "name", None),
        lead_county_id=(await tenants.county_by_slug(CLI_SCOPE, lead))["id"] if lead else None,
        share_rule=getattr(args, "rule", None), shares=await _shares(getattr(args, "shares", None)))
    print("\n".join(_arrangement_lines(after)))
    return 0


async def arrangement_dissolve(args: argparse.Namespace) -> int:
    arrangement = await tenants.arrangement_by_slug(CLI_SCOPE, args.arrangement)
    before = await tenants.dissolve_arrangement(CLI_SCOPE, arrangement["id"])
    members = ", ".join(m["slug"] for m in before["members"]) or "-"
    print(f"dissolved arrangement {before['slug']}; its counties belong to none now: {members}")
    return 0


async def arrangement_list(args: argparse.Namespace) -> int:
    arrangements = await tenants.list_arrangements(CLI_SCOPE)
    if not arrangements:
        print("no arrangements yet (schoolit arrangement create --help)")
    for arrangement in arrangements:
        print("\n".join(_arrangement_lines(arrangement)))
    return 0


def register(commands: Any) -> None:
    """Add `county` and `arrangement` to the `schoolit` parser."""
    handler = with_database
    states = [s.value for s in FederalState]
    rules = [r.value for r in ShareRule]

    county = commands.add_parser("county", help="manage counties (the tenants)",
                                 description="Create, rename, retire and list counties.")
    actions = county.add_subparsers(dest="county_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a county",
                                description="Create a county. A county may exist without schools: import "
                                            "or create them afterwards.")
    create.add_argument("--name", required=True, help="e.g. 'Landkreis Kusel'")
    create.add_argument("--slug", required=True, help="short name in URLs and commands, e.g. landkreis-kusel")
    create.add_argument("--ags", required=True, help="Amtlicher Gemeindeschlüssel of the district (5 digits)")
    create.add_argument("--seat", default="", help="seat of the administration, e.g. Kusel")
    create.add_argument("--state", default="RP", choices=states, help="federal state (default RP)")
    create.set_defaults(handler=handler(county_create))
    rename = actions.add_parser("rename", help="rename a county", description="Give a county a new name.")
    rename.add_argument("county", metavar="SLUG")
    rename.add_argument("name", metavar="NEW_NAME")
    rename.set_defaults(handler=handler(county_update))
    update = actions.add_parser("update", help="change a county's name, slug, AGS key, seat or state",
                                description="Change the fields given; the others stay.")
    update.add_argument("county", metavar="SLUG")
    update.add_argument("--name")
    update.add_argument("--slug", help="new slug")
    update.add_argument("--ags")
    update.add_argument("--seat")
    update.add_argument("--state", choices=states)
    update.set_defaults(handler=handler(county_update))
    retire = actions.add_parser(
        "retire", help="retire a county (refused while it has open tickets or leads an arrangement)",
        description="Retire a county: it leaves its arrangement, its users and probes are disabled, its data "
                    "stays. Refused while it has open tickets or leads an arrangement.")
    retire.add_argument("county", metavar="SLUG")
    retire.set_defaults(handler=handler(county_retire))
    listing = actions.add_parser("list", help="list counties", description="List all counties.")
    listing.set_defaults(handler=handler(county_list))

    arrangement = commands.add_parser("arrangement", help="manage support arrangements",
                                      description="Support arrangements: counties that share one support team.")
    actions = arrangement.add_subparsers(dest="arrangement_command", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create", help="create an arrangement led by a county",
        description="Create an arrangement; its lead county (which carries the team's cost) is its first "
                    "member. An arrangement of one county is allowed.")
    create.add_argument("--name", required=True)
    create.add_argument("--slug", required=True)
    create.add_argument("--lead", required=True, metavar="COUNTY", help="slug of the lead county")
    create.add_argument("--rule", default=ShareRule.HOURS.value, choices=rules,
                        help="how the cost is split (default hours: by support hours booked)")
    create.add_argument("--lead-share", metavar="PERCENT", help="the lead county's share with --rule fixed")
    create.set_defaults(handler=handler(arrangement_create))
    for name, verb, job in (("add-county", "add a county to", arrangement_add),
                            ("remove-county", "remove a county from", arrangement_remove)):
        member = actions.add_parser(name, help=f"{verb} an arrangement (its supporters' view changes at once)",
                                    description=f"{verb.capitalize()} an arrangement; audited.")
        member.add_argument("arrangement", metavar="ARRANGEMENT")
        member.add_argument("county", metavar="COUNTY")
        member.add_argument("--shares", metavar="SLUG=PERCENT,...", help="new fixed shares (rule fixed)")
        member.set_defaults(handler=handler(job))
    lead = actions.add_parser("set-lead", help="make a member the lead county",
                              description="Make a member county the lead county (it carries the cost).")
    lead.add_argument("arrangement", metavar="ARRANGEMENT")
    lead.add_argument("lead", metavar="COUNTY")
    lead.set_defaults(handler=handler(arrangement_update))
    rule = actions.add_parser("set-rule", help="set how the cost is split",
                              description="Set the share rule: hours (support hours booked), schools, pupils, "
                                          "or fixed (give --shares for every member, together 100).")
    rule.add_argument("arrangement", metavar="ARRANGEMENT")
    rule.add_argument("rule", choices=rules)
    rule.add_argument("--shares", metavar="SLUG=PERCENT,...")
    rule.set_defaults(handler=handler(arrangement_update))
    rename = actions.add_parser("rename", help="rename an arrangement", description="Rename an arrangement.")
    rename.add_argument("arrangement", metavar="ARRANGEMENT")
    rename.add_argument("name", metavar="NEW_NAME")
    rename.set_defaults(handler=handler(arrangement_update))
    dissolve = actions.add_parser(
        "dissolve", help="dissolve an arrangement (refused while users are scoped to it)",
        description="Dissolve an arrangement: its counties leave it and it is deleted; audited. Refused while "
                    "supporter users are scoped to it: move them to another arrangement or county first.")
    dissolve.add_argument("arrangement", metavar="ARRANGEMENT")
    dissolve.set_defaults(handler=handler(arrangement_dissolve))
    listing = actions.add_parser("list", help="list arrangements", description="List arrangements and members.")
    listing.set_defaults(handler=handler(arrangement_list))
