"""Tables of single sign-on: the sign-in providers and the mappings from their groups to role and scope.

A provider's settings that are not secret are a JSON object (they differ by kind); its one secret —
the directory service account's password or the OpenID client secret — is encrypted at rest and never
shown again. The tables belong to the accounts app (its piccolo_app lists them).
"""

from piccolo.columns import JSONB, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from schoolit.accounts.choices import Role
from schoolit.accounts.sso.choices import ProviderKind
from schoolit.accounts.tables import Arrangement, County


class SignInProvider(Table, tablename="sign_in_provider"):
    """A directory (LDAP / AD) or an OpenID Connect provider people sign in through."""

    id: Serial  # added by Piccolo; declared for the type checker
    name = Varchar(length=40, unique=True)  # short technical name: in URLs and in `source` (ldap:<name>)
    label = Varchar(length=120)  # what the login page shows ("Kreisverwaltung")
    kind = Varchar(length=10, choices=ProviderKind)
    enabled = Boolean(default=True)
    config = JSONB(default="{}")
    secret_encrypted = Text(null=True, default=None, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class SignInMapping(Table, tablename="sign_in_mapping"):
    """A provider's group (an LDAP group DN or a value of an OpenID claim) → a role and its scope.

    When a person is in several mapped groups, the mapping with the lowest position wins.
    """

    id: Serial  # added by Piccolo; declared for the type checker
    provider_id = ForeignKey(SignInProvider, null=False, on_delete=OnDelete.cascade, index=True)
    position = Integer(default=100)
    group_name = Varchar(length=500)
    role = Varchar(length=20, choices=Role)
    county_id = ForeignKey(County, null=True, default=None, on_delete=OnDelete.restrict)
    arrangement_id = ForeignKey(Arrangement, null=True, default=None, on_delete=OnDelete.restrict)
    school_id = Integer(null=True, default=None)  # FK to school added by an inventory migration
    created_at = Timestamptz(default=TimestamptzNow())
