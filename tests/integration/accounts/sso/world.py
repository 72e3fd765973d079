"""Sign-in objects for the access matrix: a directory provider `matrix` and one mapping (both
installation-wide, managed by admins only)."""

from __future__ import annotations

from schoolit.accounts.scope import Scope
from schoolit.accounts.services import UserScopeRef
from schoolit.accounts.sso import services
from tests.integration.world import World


async def add_sign_in(world: World) -> None:
    admin = Scope.system("test world")
    provider = await services.save_provider(admin, services.ProviderInput(
        name="matrix", label="Matrix-Verzeichnis", kind="ldap", secret="not used", config={
            "url": "ldaps://127.0.0.1:1", "bind_dn": "CN=svc,DC=kreis,DC=test", "base_dn": "DC=kreis,DC=test"}))
    mapping = await services.add_mapping(admin, provider_id=provider["id"], group_name="Schul-IT-Support",
                                         role="supporter", ref=UserScopeRef(county_slug="kusel"))
    world.sign_in_provider_id = provider["id"]  # type: ignore[attr-defined]
    world.sign_in_mapping_id = mapping["id"]  # type: ignore[attr-defined]
