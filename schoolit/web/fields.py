"""The labels of the query parameters pages share beyond the list view's own (`schoolit/lists.py`
registers sort, offset, limit, format and the search text): a page number. Registered at start-up
like the domains' field labels (`schoolit.kernel.labels`)."""

from __future__ import annotations

from schoolit.kernel.i18n import N_

LABELS = {
    "page": N_("Pages"),
}
