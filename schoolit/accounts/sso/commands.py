"""`schoolit sso …`: single sign-on on the command line. `sync` is the scheduled job `sso-sync`
(daily, run by the server's scheduler), run now through the same lock and record; `providers`,
`oidc` and `remove` set up OpenID Connect providers through the service the admin page uses
(audited as `cli`).

A client secret is read from standard input or a file, never from the command line (where `ps` and
the shell history would show it); it is stored encrypted and never printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from schoolit.accounts.commands import CLI_SCOPE
from schoolit.accounts.sso import services
from schoolit.accounts.sso.choices import ProviderKind
from schoolit.accounts.sso.jobs import SYNC
from schoolit.commandline import job_command, with_database
from schoolit.errors import FieldError, NotFound, ValidationFailed


def _secret(args: argparse.Namespace) -> str:
    """The client secret from `--client-secret-file` (`-` for standard input), first line, or ''."""
    source = args.client_secret_file
    if source is None:
        return ""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationFailed([FieldError("client-secret-file", f"cannot be read ({exc.strerror})")]) from None
    secret = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not secret:
        raise ValidationFailed([FieldError("client-secret-file", "holds no secret")])
    return secret


def _provider_line(provider: dict[str, Any]) -> str:
    config = provider["config"]
    where = config.get("issuer") or config.get("url") or ""
    state = "enabled" if provider["enabled"] else "disabled"
    secret = "secret stored" if provider["has_secret"] else "no secret"
    return (f"{provider['id']:>4}  {provider['name']:<20} {provider['kind']:<5} {state:<9} {secret:<14} "
            f"{where}  ({provider['label']})")


async def providers_list(args: argparse.Namespace) -> int:
    rows = await services.list_providers(CLI_SCOPE)
    if not rows:
        print("no sign-in providers yet (schoolit sso oidc --help)")
    for row in rows:
        print(_provider_line(row))
    return 0


async def oidc_set(args: argparse.Namespace) -> int:
    """Add the OpenID Connect provider NAME, or change it (options not given keep their value)."""
    try:
        provider_id: int | None = await services.provider_id_by_name(CLI_SCOPE, args.name)
    except NotFound:
        provider_id = None
    current: dict[str, Any] = {}
    if provider_id is not None:
        current = next(p for p in await services.list_providers(CLI_SCOPE) if p["id"] == provider_id)
        if current["kind"] != ProviderKind.OIDC:
            raise ValidationFailed([FieldError("name", f"{args.name} is a {current['kind']} provider, not oidc")])
    config = dict(current.get("config", {}))
    for option in services.OIDC_FIELDS:
        value = getattr(args, option)
        if value is not None:
            config[option] = value
    enabled = current.get("enabled", True) if args.enabled is None else args.enabled
    data = services.ProviderInput(name=args.name, label=args.label or current.get("label", ""),
                                  kind=ProviderKind.OIDC, enabled=enabled, secret=_secret(args), config=config)
    saved = await services.save_provider(CLI_SCOPE, data, provider_id)
    verb = "added" if provider_id is None else "changed"
    secret = "client secret stored encrypted" if data.secret else "client secret kept"
    print(f"{verb} OpenID Connect provider {saved['name']} '{saved['label']}' (issuer {saved['config']['issuer']}, "
          f"client {saved['config']['client_id']}, {'enabled' if saved['enabled'] else 'disabled'}); {secret}")
    print(f"register this redirect address at the provider: <PUBLIC_URL>/sso/oidc/{saved['name']}/callback")
    return 0


async def provider_remove(args: argparse.Namespace) -> int:
    provider_id = await services.provider_id_by_name(CLI_SCOPE, args.name)
    await services.delete_provider(CLI_SCOPE, provider_id)
    print(f"removed sign-in provider {args.name.strip().lower()} and its mappings; its accounts stay but cannot "
          "sign in")
    return 0


def register_maintenance(jobs: Any) -> None:
    """`schoolit maintenance sso-sync` (the job's own name, like every scheduled job's)."""
    job = jobs.add_parser("sso-sync", help="the directory sync (as `schoolit sso sync`)",
                          description="Run the directory sync of single sign-on now (see `schoolit sso sync`).")
    job.set_defaults(handler=job_command(SYNC))


def register(commands: Any) -> None:
    """Add `schoolit sso …` to the `schoolit` parser."""
    sso = commands.add_parser("sso", help="single sign-on (directories, OpenID Connect)",
                              description="Single sign-on: LDAP / Active Directory and OpenID Connect providers.")
    actions = sso.add_subparsers(dest="sso_command", metavar="ACTION", required=True)
    job = actions.add_parser(
        "sync", help="disable directory accounts that left the directory or lost their mapped group",
        description="Check every active account of every enabled directory: people who left the directory, "
                    "are disabled there or lost every mapped group are disabled here (their sessions end); the "
                    "others get the role and scope their groups map to now. A directory that cannot be reached "
                    "disables nobody (exit code 1). The server runs this daily by itself (job sso-sync).")
    job.set_defaults(handler=job_command(SYNC))
    listing = actions.add_parser("providers", help="list the sign-in providers (never their secrets)",
                                 description="List the sign-in providers: kind, state, whether a secret is stored.")
    listing.set_defaults(handler=with_database(providers_list))
    oidc = actions.add_parser(
        "oidc", help="add or change an OpenID Connect provider",
        description="Add the OpenID Connect provider NAME, or change it: options not given keep their value. "
                    "The client secret is read from a file or standard input (--client-secret-file -), never "
                    "from the command line; it is stored encrypted and never printed. A new provider needs "
                    "--label, --issuer, --client-id and the secret.")
    oidc.add_argument("name", help="short technical name (lower case, digits, dashes): in URLs and account sources")
    oidc.add_argument("--label", help="what the login page shows, e.g. 'Kreisverwaltung'")
    oidc.add_argument("--issuer", help="the provider's issuer address (https://)")
    oidc.add_argument("--client-id", dest="client_id", help="schoolit's client id at the provider")
    oidc.add_argument("--client-secret-file", dest="client_secret_file", metavar="PATH",
                      help="file whose first line is the client secret; '-' reads standard input")
    oidc.add_argument("--scopes", help="scopes asked for (default 'openid email profile')")
    oidc.add_argument("--groups-claim", dest="groups_claim", help="claim with the person's groups (default groups)")
    state = oidc.add_mutually_exclusive_group()
    state.add_argument("--enable", dest="enabled", action="store_const", const=True, default=None,
                       help="offer it on the login page (default for a new provider)")
    state.add_argument("--disable", dest="enabled", action="store_const", const=False,
                       help="keep it, but offer no sign-in through it")
    oidc.set_defaults(handler=with_database(oidc_set))
    remove = actions.add_parser("remove", help="remove a sign-in provider and its mappings",
                                description="Remove the sign-in provider NAME and its group mappings; its accounts "
                                            "stay, but can no longer sign in.")
    remove.add_argument("name")
    remove.set_defaults(handler=with_database(provider_remove))
