"""Enumerations of single sign-on: the kinds of sign-in providers and where an account comes from."""

from enum import StrEnum

from schoolit.web.i18n import N_


class ProviderKind(StrEnum):
    LDAP = "ldap"
    OIDC = "oidc"


KIND_LABELS = {ProviderKind.LDAP: N_("Directory (LDAP / Active Directory)"),
               ProviderKind.OIDC: N_("OpenID Connect")}

LOCAL_SOURCE = "local"


def source_of(kind: ProviderKind | str, name: str) -> str:
    """The `source` of accounts a provider signs in: `ldap:<name>` or `oidc:<name>`."""
    return f"{ProviderKind(kind).value}:{name}"
