"""The labels people see for field codes, for pages that name a field without knowing its resource
(the error page): each domain registers the labels of its descriptions once, at start-up, so a new field
is named by its label without a second table. A code means different things in different resources (a
county's `state`, a loan's): an error that knows its resource brings that resource's label
(`FieldError.label`, `ValidationFailed(labels=…)`, a body type's `field_labels`); this registry names only
the rest."""

from __future__ import annotations

import re
from collections.abc import Mapping

from schoolit.kernel.i18n import gettext

_LABELS: dict[str, str] = {}


def register(labels: Mapping[str, str]) -> None:
    """Add field labels (English message ids by field code); the first registration of a code wins, so
    the composition root's order decides between resources that share a code."""
    for code, label in labels.items():
        _LABELS.setdefault(code, label)


def label_of(code: str) -> str | None:
    """The message id of a field code's label, or None when no domain registered one."""
    return _LABELS.get(code)


_INDEX = re.compile(r"\[\d+\]")


def shown(code: str) -> str:
    """The label people see for a field code, in the request's language; a nested code
    (`samples[1].school_id`) by its last part; a code no domain labelled stays as it is."""
    label = label_of(code) or label_of(_INDEX.sub("", code.rsplit(".", 1)[-1]))
    return gettext(label) if label else code
