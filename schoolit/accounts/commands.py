"""`schoolit user …`, `schoolit token …` and `schoolit probe register`: accounts on the command line.

Commands act as the system (audited as `cli`); secrets (passwords, tokens) are printed once.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from schoolit.accounts import credentials, probes, services, tokens
from schoolit.accounts import jobs as scheduled
from schoolit.accounts.scope import Scope
from schoolit.commandline import job_command, with_database
from schoolit.settings import get_settings

CLI_SCOPE = Scope.system("cli")


def _read_password(args: argparse.Namespace) -> str | None:
    if not args.password_stdin:
        return None
    return sys.stdin.readline().rstrip("\n")


async def user_create(args: argparse.Namespace) -> int:
    ref = services.UserScopeRef(county_slug=args.county, arrangement_slug=args.arrangement,
                                school_number=args.school)
    user, generated = await services.create_user(CLI_SCOPE, email=args.email, display_name=args.name,
                                                 role=args.role, ref=ref, password=_read_password(args))
    print(f"created user {user['email']} ({user['role']}, id {user['id']})")
    if generated:
        print(f"password (shown once): {generated}")
    return 0


async def user_list(args: argparse.Namespace) -> int:
    for user in await services.list_users(CLI_SCOPE):
        scope = (f"arrangement {user['arrangement_id']}" if user["arrangement_id"] else
                 f"school {user['school_id']}" if user["school_id"] else
                 f"county {user['county_id']}" if user["county_id"] else "all")
        state = "active" if user["active"] else "disabled"
        print(f"{user['id']:>5}  {user['email']:<40} {user['role']:<10} {scope:<16} {state}")
    return 0


async def user_disable(args: argparse.Namespace) -> int:
    user = await services.get_user_by_email(CLI_SCOPE, args.email)
    await services.disable_user(CLI_SCOPE, user["id"])
    print(f"disabled {user['email']}; their sessions ended and their tokens stopped working")
    return 0


async def user_enable(args: argparse.Namespace) -> int:
    user = await services.get_user_by_email(CLI_SCOPE, args.email)
    await credentials.enable_user(CLI_SCOPE, user["id"])
    print(f"enabled {user['email']}; they can log in again")
    return 0


async def user_reset_password(args: argparse.Namespace) -> int:
    user = await services.get_user_by_email(CLI_SCOPE, args.email)
    token, expires_at = await credentials.create_password_reset(CLI_SCOPE, user["id"])
    print(f"one-time link for {user['email']} to set a new password, valid until {expires_at:%Y-%m-%d %H:%M} UTC")
    print(f"link (shown once): {get_settings().public_url}/password-reset/{token}")
    return 0


async def token_create(args: argparse.Namespace) -> int:
    user = await services.get_user_by_email(CLI_SCOPE, args.user)
    token, row = await tokens.create_token(CLI_SCOPE, user_id=user["id"], name=args.name,
                                             expires_days=args.expires_days)
    expiry = f", expires {row['expires_at']:%Y-%m-%d}" if row["expires_at"] else ""
    print(f"token {row['id']} '{row['name']}' for {user['email']}{expiry}")
    print(f"token (shown once): {token}")
    return 0


async def token_list(args: argparse.Namespace) -> int:
    for token in await tokens.list_tokens(CLI_SCOPE):
        owner = token["user_id.email"] or f"probe {token['probe_id.name']}"
        state = "revoked" if token["revoked_at"] else "active"
        print(f"{token['id']:>5}  {token['prefix']}…  {token['name']:<30} {owner:<40} {state}")
    return 0


async def token_revoke(args: argparse.Namespace) -> int:
    row = await tokens.revoke_token(CLI_SCOPE, args.id)
    print(f"revoked token {row['id']} '{row['name']}'")
    return 0


async def probe_register(args: argparse.Namespace) -> int:
    from schoolit.accounts import schools

    if args.school:
        school = await schools.by_number(args.school)
        if school is None:
            print(f"schoolit: error: school: unknown school number {args.school!r}", file=sys.stderr)
            return 1
        county_id, school_id = school.county_id, school.id
    else:
        county_id, school_id = await services.county_id_by_slug(args.county), None
    token, probe = await probes.register_probe(CLI_SCOPE, name=args.name, county_id=county_id,
                                                 school_id=school_id)
    print(f"registered probe {probe['id']} '{probe['name']}'")
    print(f"token (shown once): {token}")
    return 0


def register_maintenance(jobs: Any) -> None:
    """`schoolit maintenance sessions`."""
    job = jobs.add_parser("sessions", help="remove ended login sessions and old login failures",
                          description="Remove sessions past the idle time-out or maximum age, and login "
                                      "failures older than the throttling window.")
    job.set_defaults(handler=job_command(scheduled.JOBS[0]))


def register(commands: Any) -> None:
    """Add the accounts commands to the `schoolit` parser."""
    handler = with_database

    user = commands.add_parser("user", help="manage users",
                               description="Create, list, disable and enable users; reset passwords.")
    user_commands = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    create = user_commands.add_parser(
        "create", help="create a user (password generated and printed once, or read from stdin)",
        description="Create a user. The scope depends on the role: supporter --arrangement or --county, "
                    "authority --county, school --school NUMBER, admin none.")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True, help="display name")
    create.add_argument("--role", required=True, choices=["admin", "supporter", "authority", "school"])
    where = create.add_mutually_exclusive_group()
    where.add_argument("--county", metavar="SLUG")
    where.add_argument("--arrangement", metavar="SLUG")
    where.add_argument("--school", metavar="NUMBER", help="5-digit school number")
    create.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    create.set_defaults(handler=handler(user_create))
    listing = user_commands.add_parser("list", help="list users", description="List all users.")
    listing.set_defaults(handler=handler(user_list))
    disable = user_commands.add_parser("disable", help="disable a user",
                                       description="Disable a user: no login, sessions end, tokens stop working.")
    disable.add_argument("email")
    disable.set_defaults(handler=handler(user_disable))
    enable = user_commands.add_parser("enable", help="enable a disabled user again",
                                      description="Enable a disabled user: they can log in again.")
    enable.add_argument("email")
    enable.set_defaults(handler=handler(user_enable))
    reset = user_commands.add_parser(
        "reset-password", help="print a one-time link to set a new password",
        description="Create a one-time link (valid 48 hours) with which the user sets a new password; "
                    "earlier unused links stop working. The link is printed once.")
    reset.add_argument("email")
    reset.set_defaults(handler=handler(user_reset_password))

    token = commands.add_parser("token", help="manage API tokens", description="Create, list and revoke API tokens.")
    token_commands = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    tcreate = token_commands.add_parser("create", help="create a token for a user (printed once)",
                                        description="Create an API token; only its digest is stored.")
    tcreate.add_argument("--user", required=True, metavar="EMAIL")
    tcreate.add_argument("--name", required=True)
    tcreate.add_argument("--expires-days", type=int, metavar="N")
    tcreate.set_defaults(handler=handler(token_create))
    tlist = token_commands.add_parser("list", help="list tokens", description="List all tokens (prefixes only).")
    tlist.set_defaults(handler=handler(token_list))
    trevoke = token_commands.add_parser("revoke", help="revoke a token", description="Revoke a token by its id.")
    trevoke.add_argument("id", type=int)
    trevoke.set_defaults(handler=handler(token_revoke))

    probe = commands.add_parser("probe", help="manage probes", description="Register probes (SNMP cron agents).")
    probe_commands = probe.add_subparsers(dest="probe_command", metavar="ACTION", required=True)
    register_cmd = probe_commands.add_parser(
        "register", help="register a probe and print its token once",
        description="Register a probe for a county or one school and print its token once.")
    register_cmd.add_argument("--name", required=True)
    target = register_cmd.add_mutually_exclusive_group(required=True)
    target.add_argument("--county", metavar="SLUG")
    target.add_argument("--school", metavar="NUMBER")
    register_cmd.set_defaults(handler=handler(probe_register))
