"""Helpers for the inventory's integration tests: API calls as a world actor, field errors."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.world import World


async def call(client: httpx.AsyncClient, world: World, actor: str, method: str, url: str,
               json: Any = None, **params: Any) -> httpx.Response:
    return await client.request(method, "/api/v1" + url, headers=world.auth(actor), json=json,
                                params=params or None)


def field_errors(response: httpx.Response) -> dict[str, str]:
    """`{field: message}` of a 422 problem answer."""
    assert response.status_code == 422, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def school(world: World, key: str) -> int:
    return int(world.schools[key]["id"])


def obj(world: World, kind: str, key: str) -> int:
    return world.by_school[kind][key]
