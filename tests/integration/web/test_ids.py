"""Ids beyond PostgreSQL's integer range: in a path an unknown id (404; without a login a 401 like any
other path), as a list filter a field error (422) — never a database error."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.world import World

TOO_LARGE = "99999999999"


@pytest.mark.parametrize("path", [
    f"/api/v1/schools/{TOO_LARGE}",
    f"/api/v1/tickets/{TOO_LARGE}",
    f"/api/v1/dashboards/arrangements/{TOO_LARGE}",
    f"/api/v1/dashboards/arrangements/{TOO_LARGE}.csv",
    f"/dashboards/schools/{TOO_LARGE}/network",
    f"/schools/{TOO_LARGE}",
    f"/schools/-{TOO_LARGE}",
])
async def test_an_id_no_row_can_have_is_not_found(client: httpx.AsyncClient, world: World, path: str) -> None:
    response = await client.get(path, headers=world.auth("admin"))
    assert response.status_code == 404, response.text
    assert (await client.get(path)).status_code in (401, 303)  # the login comes first


@pytest.mark.parametrize(("path", "field"), [
    (f"/api/v1/devices?school_id={TOO_LARGE}", "school_id"),
    (f"/api/v1/rooms?building_id={TOO_LARGE}", "building_id"),
    (f"/api/v1/tickets?school_id={TOO_LARGE}", "school_id"),
    ("/api/v1/access-points?room_id=0", "room_id"),
])
async def test_a_filter_by_an_impossible_id_is_a_field_error(client: httpx.AsyncClient, world: World, path: str,
                                                              field: str) -> None:
    response = await client.get(path, headers=world.auth("admin"))
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
