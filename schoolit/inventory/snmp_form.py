"""The SNMP profile's create and edit form, declared field by field until the profile is described
like the other inventory resources (`schoolit.describe`)."""

from __future__ import annotations

from schoolit.describe.forms import Field
from schoolit.inventory.choices import (
    SNMP_VERSION_LABELS,
    SnmpAuthProtocol,
    SnmpPrivProtocol,
)
from schoolit.kernel.i18n import N_

SNMP_PROFILE = (
    Field("name", N_("Name"), required=True),
    Field("county_id", N_("County"), "select", required=True),
    Field("version", N_("Version"), "select", required=True, labels=SNMP_VERSION_LABELS),
    Field("community", N_("Community (v2c)"), "secret"),
    Field("v3_user", N_("User (v3)")),
    Field("auth_protocol", N_("Authentication protocol (v3)"), "select", blank=True,
          labels={p: p.value for p in SnmpAuthProtocol}),
    Field("auth_key", N_("Authentication key (v3)"), "secret"),
    Field("priv_protocol", N_("Privacy protocol (v3)"), "select", blank=True,
          labels={p: p.value for p in SnmpPrivProtocol}),
    Field("priv_key", N_("Privacy key (v3)"), "secret"),
)
