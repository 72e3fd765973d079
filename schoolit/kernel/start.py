"""The start page after login (`/`): panels that the domains contribute for the caller's role.

A registry like the navigation's (schoolit.kernel.navigation): the web package, which shows the page,
imports no domain: each domain registers a provider here (`register`), an async
function that takes the caller's Scope and returns the panels it has for that caller (often none).
`panels` asks every provider and returns the panels in their order. A panel names its template (the
domain's own, included by web/start.html) and the context that template needs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Panel:
    order: int  # smaller first
    title: str  # translated already
    template: str  # included with `panel` in its context
    context: dict[str, Any] = field(default_factory=dict)
    link: str | None = None  # "show all" target
    testid: str = ""


# Takes the caller's Scope (schoolit.accounts.scope; typed loosely: web imports no domain).
Provider = Callable[[Any], Awaitable[list[Panel]]]
PROVIDERS: list[Provider] = []


def register(*providers: Provider) -> None:
    """Domains add their start-page providers here (once, at start-up)."""
    PROVIDERS.extend(p for p in providers if p not in PROVIDERS)


async def panels(scope: Any) -> list[Panel]:
    """Every registered provider's panels for this caller, in their order."""
    found: list[Panel] = []
    for provider in PROVIDERS:
        found += await provider(scope)
    return sorted(found, key=lambda panel: panel.order)
