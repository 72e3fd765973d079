"""The labels of the probes domain's own field codes: a posted batch's samples (their nested fields, such as
`samples[3].clients` or `columns.clients[3]`, are named by their last part). Registered at start-up
(`schoolit.kernel.labels`); English message ids, German from the catalog."""

from __future__ import annotations

from schoolit.kernel.i18n import N_

LABELS = {
    "samples": N_("Samples"),
    "columns": N_("Samples as columns"),
}
