"""From a person's groups at a provider to a role and a scope: the first mapping (by position) whose
group the person is in. No mapping, no role — never a default one.

Groups compare case-insensitively and without blanks around `,` and `=` (directories spell DNs in
either case). A mapping written without `=` (a plain name like `Schul-IT-Support`) also matches a
DN whose first part has that name, and claim values (OpenID `groups`) as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from schoolit.accounts.choices import Role

_AROUND = re.compile(r"\s*([,=])\s*")


def normalise_group(value: str) -> str:
    return _AROUND.sub(r"\1", value.strip()).lower()


def _names(group: str) -> set[str]:
    """How a group can be named by a mapping: its normalised DN (or value), and its first RDN's value."""
    normal = normalise_group(group)
    names = {normal}
    first = normal.split(",", 1)[0]
    if "," in normal and "=" in first:
        names.add(first.split("=", 1)[1])
    return names


@dataclass(frozen=True)
class Grant:
    """What a mapping gives: a role and the ids of its scope."""

    role: Role
    county_id: int | None
    arrangement_id: int | None
    school_id: int | None
    mapping_id: int
    group_name: str


def grant_for(groups: Iterable[str], mappings: Sequence[dict[str, Any]]) -> Grant | None:
    """The grant of the first mapping (lowest position, then oldest) that names one of the groups."""
    held: set[str] = set()
    for group in groups:
        held |= _names(group)
    for mapping in sorted(mappings, key=lambda m: (m["position"], m["id"])):
        if normalise_group(mapping["group_name"]) in held:
            return Grant(role=Role(mapping["role"]), county_id=mapping["county_id"],
                         arrangement_id=mapping["arrangement_id"], school_id=mapping["school_id"],
                         mapping_id=mapping["id"], group_name=mapping["group_name"])
    return None
