"""The labels of the inventory's field codes that are no described field: the school page's sections
and pager, the loans' state filter, the label sheet's options, bulk actions' selections, the MDM sync's
adoptions and the warranty report's days. The described fields' labels come from the resource
descriptions; both are registered at start-up (`schoolit.kernel.labels`)."""

from __future__ import annotations

from schoolit.kernel.i18n import N_

LABELS = {
    "section": N_("Sections of the school page"), "loan_page": N_("Pages"), "state": N_("Status"),
    "loan_state": N_("Status"), "format": N_("Label format"), "skip": N_("Labels already used on the first sheet"),
    "ids": N_("Devices"), "days": N_("Days"), "adopt": N_("Adopt into"),
}
