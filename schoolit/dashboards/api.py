"""The dashboards' JSON and CSV API under /api/v1, and the open-data export.

Thin: call a service with the caller's Scope, hand its one result to the JSON encoder or the CSV
writer. `…/{county_slug}.csv` and `…/{arrangement_id}.csv` answer the same figures as CSV. Every route
here only reads (`READ_ONLY`): with DATABASE_READ_URL it reads from the replica (schoolit.replica).
"""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Response, get
from litestar.params import FromPath, FromQuery

from schoolit.accounts.auth import Caller
from schoolit.dashboards import services
from schoolit.dashboards.schemas import OpenData
from schoolit.db import MAX_INT
from schoolit.errors import NotFound
from schoolit.kernel.access import Permission, requires
from schoolit.replica import READ_ONLY

Lang = FromQuery[Literal["de", "en"]]
CSV_SUFFIX = ".csv"


def _csv(content: bytes, filename: str) -> Response[bytes]:
    return Response(content=content, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


def _split(value: str) -> tuple[str, bool]:
    """A path value and whether it asked for CSV (`donnersbergkreis.csv`)."""
    return (value[: -len(CSV_SUFFIX)], True) if value.endswith(CSV_SUFFIX) else (value, False)


def _arrangement_id(value: str) -> int:
    # A string in the path (for the `.csv` form), so the app's id range check does not see it.
    if not value.isdigit() or int(value) > MAX_INT:
        raise NotFound(services.ARRANGEMENT_NOT_FOUND)
    return int(value)


class DashboardsApi(Controller):
    """`/api/v1/dashboards/…`: the dashboards' figures as JSON, or as CSV with `.csv`."""

    path = "/dashboards"
    tags = ["dashboards"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    opt = READ_ONLY

    @get("/counties/{county_slug:str}", opt=requires(Permission.DASHBOARDS_READ),
         summary="County dashboard (JSON, or CSV with .csv)",
         description="Per school the traffic lights and the figures behind them, the county's totals on top. "
                     "`/counties/donnersbergkreis.csv` answers the same figures as CSV (`;`, UTF-8 with BOM, "
                     "German headers; `lang=en` for English headers and decimal points).")
    async def county(self, caller: Caller, county_slug: FromPath[str],
                     lang: Lang = "de") -> Response[Any]:
        slug, as_csv = _split(county_slug)
        if as_csv:
            return _csv(await services.county_dashboard_csv(caller, slug, lang), f"kennzahlen-{slug}.csv")
        return Response(await services.county_dashboard(caller, slug))

    @get("/arrangements/{arrangement_id:str}", opt=requires(Permission.DASHBOARDS_READ),
         summary="Arrangement dashboard (JSON, or CSV with .csv)",
         description="The member counties side by side, their support load, and the cost split: hours per "
                     "county this month and this year. Needs a scope covering every member county.")
    async def arrangement(self, caller: Caller, arrangement_id: FromPath[str],
                          lang: Lang = "de") -> Response[Any]:
        value, as_csv = _split(arrangement_id)
        if as_csv:
            return _csv(await services.arrangement_dashboard_csv(caller, _arrangement_id(value), lang),
                        f"kennzahlen-verbund-{value}.csv")
        return Response(await services.arrangement_dashboard(caller, _arrangement_id(value)))


class OpenDataApi(Controller):
    """`/api/v1/open-data/…`: non-personal infrastructure figures per school, licensed dl-de/by-2-0."""

    path = "/open-data"
    tags = ["dashboards"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    opt = READ_ONLY

    @get("/schools.json", opt=requires(Permission.EXPORT), summary="Open data: schools (JSON)",
         description="Per school in the caller's scope (or of `county`): uplink class and rates, planned and live "
                     "WLAN coverage, devices per pupil; nothing personal. Licence: Datenlizenz Deutschland – "
                     "Namensnennung – 2.0, attribution: the county.")
    async def schools_json(self, caller: Caller, county: FromQuery[str | None] = None) -> OpenData:
        return await services.open_data(caller, county)

    @get("/schools.csv", opt=requires(Permission.EXPORT), summary="Open data: schools (CSV)")
    async def schools_csv(self, caller: Caller, county: FromQuery[str | None] = None,
                          lang: Lang = "de") -> Response[bytes]:
        content = await services.open_data_csv(caller, county, lang)
        return _csv(content, f"schulen-{county}.csv" if county else "schulen.csv")
