"""The labels people see for field codes, for pages that name a field without knowing its resource
(the error page): each domain registers the labels of its descriptions once, at start-up, so a new field
is named by its label without a second table."""

from __future__ import annotations

from collections.abc import Mapping

_LABELS: dict[str, str] = {}


def register(labels: Mapping[str, str]) -> None:
    """Add field labels (English message ids by field code); the first registration of a code wins, so
    the composition root's order decides between resources that share a code."""
    for code, label in labels.items():
        _LABELS.setdefault(code, label)


def label_of(code: str) -> str | None:
    """The message id of a field code's label, or None when no domain registered one."""
    return _LABELS.get(code)
