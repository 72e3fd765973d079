"""Building CSV files and calling the import/export API in tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from schoolit.kernel.i18n import current_locale, gettext
from tests.integration.world import World

DEVICE_HEADER_DE = ["Schulnummer", "Geräteart", "Hersteller", "Modell", "Seriennummer", "Inventarnummer",
                    "Förderprogramm", "Kaufdatum", "Preis (EUR)", "Status"]


def csv_bytes(rows: list[list[str]], *, delimiter: str = ";", encoding: str = "utf-8-sig",
              newline: str = "\r\n") -> bytes:
    """Rows joined as a spreadsheet writes them; cells with delimiter, quote or line break are quoted."""
    def cell(value: str) -> str:
        if any(c in value for c in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return newline.join(delimiter.join(cell(v) for v in row) for row in rows).encode(encoding) + newline.encode()


def device_rows(school_number: str, count: int, *, start: int = 1, prefix: str = "SN") -> list[list[str]]:
    return [[school_number, "Tablet", "Apple", "iPad 9", f"{prefix}{i:06d}", f"INV-{prefix}-{i}",
             "DigitalPakt Sofortausstattung", "15.09.2020", "1.234,56", "Lager"] for i in range(start, start + count)]


async def post_import(client: httpx.AsyncClient, world: World, actor: str, kind: str, data: bytes, *,
                      dry_run: bool = False, content_type: str = "text/csv") -> httpx.Response:
    return await client.post(f"/api/v1/import/{kind}", params={"dry_run": str(dry_run).lower()}, content=data,
                             headers={**world.auth_only(actor), "content-type": content_type})


async def imported(client: httpx.AsyncClient, world: World, kind: str, rows: list[list[str]],
                   actor: str = "admin", **options: Any) -> dict[str, Any]:
    """Import rows (a real import) and return the report, failing the test on any error."""
    response = await post_import(client, world, actor, kind, csv_bytes(rows, **options))
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    assert report["ok"] and not report["errors"], report
    return report


async def exported(client: httpx.AsyncClient, world: World, kind: str, actor: str = "admin",
                   lang: str = "de") -> bytes:
    response = await client.get(f"/api/v1/export/{kind}.csv", params={"lang": lang}, headers=world.auth(actor))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return response.content


def reason_of(check: Callable[[str], object], value: str) -> str:
    """The German reason a `schoolit.describe.identifiers` check gives for a bad value (as the API shows it)."""
    try:
        check(value)
    except ValueError as exc:
        token = current_locale.set("de")
        try:
            return gettext(str(exc))
        finally:
            current_locale.reset(token)
    raise AssertionError(f"{value!r} passes {check.__name__}")
