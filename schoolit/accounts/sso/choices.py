"""Enumerations of single sign-on: the kinds of sign-in providers, where an account comes from, and
the roles that may not use a local password."""

from enum import StrEnum

from schoolit.accounts.choices import Role, person_roles
from schoolit.kernel.i18n import N_
from schoolit.settings import Settings


class ProviderKind(StrEnum):
    LDAP = "ldap"
    OIDC = "oidc"


KIND_LABELS = {ProviderKind.LDAP: N_("Directory (LDAP / Active Directory)"),
               ProviderKind.OIDC: N_("OpenID Connect")}

LOCAL_SOURCE = "local"


def source_of(kind: ProviderKind | str, name: str) -> str:
    """The `source` of accounts a provider signs in: `ldap:<name>` or `oidc:<name>`."""
    return f"{ProviderKind(kind).value}:{name}"


def password_login_off_roles(settings: Settings) -> frozenset[Role]:
    """Roles that may not sign in with a local password (PASSWORD_LOGIN_OFF_ROLES, comma-separated):
    their people sign in through a directory or an OpenID provider only."""
    return person_roles(settings.password_login_off_roles, "PASSWORD_LOGIN_OFF_ROLES")
