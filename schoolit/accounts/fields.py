"""The labels of the accounts domain's field codes: counties and arrangements, users, passwords and the
second factor, API tokens and sign-in providers. Registered at start-up (`schoolit.kernel.labels`), so an
error page and the API's problem details name a field the way its form does; English message ids,
German from the catalog.
"""

from __future__ import annotations

from schoolit.kernel.i18n import N_

LABELS = {
    # counties and arrangements
    "slug": N_("Slug"), "ags": N_("AGS"), "county": N_("County"), "lead_county": N_("Lead county"),
    "share_rule": N_("Cost sharing rule"), "shares": N_("Cost shares"),
    # users
    "email": N_("E-mail address"), "display_name": N_("Display name"), "role": N_("Role"),
    "scope": N_("Scope"), "school": N_("School"),
    # passwords, second factor, tokens
    "password": N_("Password"), "current_password": N_("Current password"),
    "repeat_password": N_("Repeat password"), "code": N_("Code"), "expires_days": N_("Valid for days"),
    # sign-in providers (LDAP / Active Directory, OpenID Connect)
    "label": N_("Label"), "position": N_("Position"), "issuer": N_("Issuer"), "client_id": N_("Client ID"),
    "secret": N_("Secret"), "client-secret-file": N_("Secret"), "scopes": N_("Scopes"),
    "url": N_("URL"), "start_tls": N_("STARTTLS"), "ca_pem": N_("CA certificate (PEM)"),
    "user_filter": N_("User filter"), "group_filter": N_("Group filter"), "group_name": N_("Group name"),
}

# A county's fields as its form names them, for its errors (`ValidationFailed(labels=…)`, the API body's
# `field_labels`): a county's `state` is its federal state, not the status other codes of that name mean.
COUNTY = {
    "name": N_("Name"), "slug": N_("Short name (slug)"), "ags": N_("AGS key"),
    "seat": N_("Seat of the administration"), "state": N_("Federal state"),
}
