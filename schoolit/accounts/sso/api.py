"""The JSON API of single sign-on under /api/v1/sign-in: providers (LDAP / Active Directory, OpenID
Connect) and the mappings of their groups to role and scope — what the admin page `/admin/sign-in`
does, through the same services and rules, so an installation can be set up by a script.

A provider's secret (directory bind password, OpenID client secret) goes in and is stored encrypted;
no answer carries it, only whether one is stored. Thin: parse, call the service, shape the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from schoolit.accounts.auth import Caller
from schoolit.accounts.schemas import ScopeRefIn
from schoolit.accounts.sso import services
from schoolit.kernel.access import Permission, requires
from schoolit.schemas import Page

MANAGE = requires(Permission.USERS_MANAGE)


class ProviderIn(msgspec.Struct, forbid_unknown_fields=True):
    """A provider. `config`: the settings of its kind (ldap: url, start_tls, ca_pem, bind_dn, base_dn,
    user_filter, group_base_dn, group_filter, mail_attribute, name_attribute; oidc: issuer, client_id,
    scopes, groups_claim). `secret`: the bind password or client secret; omitted on PUT, the stored one
    stays."""

    name: str
    label: str
    kind: str
    enabled: bool = True
    secret: str | None = None
    config: dict[str, str | bool] = msgspec.field(default_factory=dict)


class ProviderOut(msgspec.Struct):
    id: int
    name: str
    label: str
    kind: str
    enabled: bool
    config: dict[str, Any]
    has_secret: bool  # the secret itself is never shown
    updated_at: dt.datetime


class MappingIn(ScopeRefIn, forbid_unknown_fields=True):
    """A provider's group → a role and its scope, by natural keys (as for users)."""

    provider_id: int
    group_name: str
    role: str
    position: int = 100  # the lowest position wins when a person is in several mapped groups


class MappingOut(msgspec.Struct):
    id: int
    provider_id: int
    position: int
    group_name: str
    role: str
    county_id: int | None
    arrangement_id: int | None
    school_id: int | None


def _provider_out(row: dict[str, Any], has_secret: bool) -> ProviderOut:
    return msgspec.convert({**row, "has_secret": has_secret}, ProviderOut)


def _input(data: ProviderIn) -> services.ProviderInput:
    return services.ProviderInput(name=data.name, label=data.label, kind=data.kind, enabled=data.enabled,
                                  secret=data.secret or "", config=dict(data.config))


class SignInApi(Controller):
    """`/api/v1/sign-in`: providers and mappings (admins)."""

    path = "/sign-in"
    tags = ["single sign-on"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/providers", opt=MANAGE, summary="Sign-in providers with their settings (never their secret)")
    async def providers(self, caller: Caller) -> Page[ProviderOut]:
        rows = await services.list_providers(caller)
        return Page(items=msgspec.convert(rows, list[ProviderOut]), total=len(rows))

    @post("/providers", opt=MANAGE, status_code=HTTP_201_CREATED, summary="Add a sign-in provider")
    async def create_provider(self, caller: Caller, data: JSONBody[ProviderIn]) -> ProviderOut:
        return _provider_out(await services.save_provider(caller, _input(data)), has_secret=True)

    @put("/providers/{provider_id:int}", opt=MANAGE,
         summary="Change a sign-in provider (all settings; an omitted secret keeps the stored one)")
    async def update_provider(self, caller: Caller, provider_id: FromPath[int],
                              data: JSONBody[ProviderIn]) -> ProviderOut:
        return _provider_out(await services.save_provider(caller, _input(data), provider_id), has_secret=True)

    @delete("/providers/{provider_id:int}", opt=MANAGE, status_code=204,
            summary="Remove a provider and its mappings (its accounts stay but cannot sign in)")
    async def delete_provider(self, caller: Caller, provider_id: FromPath[int]) -> None:
        await services.delete_provider(caller, provider_id)

    @get("/mappings", opt=MANAGE, summary="Group mappings in the order they are tried")
    async def mappings(self, caller: Caller) -> Page[MappingOut]:
        rows = await services.list_mappings(caller)
        return Page(items=msgspec.convert(rows, list[MappingOut]), total=len(rows))

    @post("/mappings", opt=MANAGE, status_code=HTTP_201_CREATED, summary="Map a provider's group to role and scope")
    async def create_mapping(self, caller: Caller, data: JSONBody[MappingIn]) -> MappingOut:
        return msgspec.convert(await services.add_mapping(
            caller, provider_id=data.provider_id, group_name=data.group_name, role=data.role, position=data.position,
            ref=data.ref()), MappingOut)

    @delete("/mappings/{mapping_id:int}", opt=MANAGE, status_code=204, summary="Remove a group mapping")
    async def delete_mapping(self, caller: Caller, mapping_id: FromPath[int]) -> None:
        await services.delete_mapping(caller, mapping_id)
