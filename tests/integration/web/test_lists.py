"""The shared list view on every list page (schoolit/lists.py, web/_list.html): headers sort on click and
toggle, the pager shows the range and the total and keeps the filters, the CSV holds exactly what the
list shows (same filters, search and sort, every page, the table's columns), and a bad sort key, page
size or filter is a German 4xx message naming the field."""

from __future__ import annotations

import csv
import html
import io
import re

import httpx

from schoolit.inventory.services import upsert_school
from tests.integration.accounts.test_login import login
from tests.integration.world import World

HTML = {"accept": "text/html"}


def table(page: str) -> tuple[list[str], list[list[str]]]:
    """The header labels (screen-reader-only text and arrows left out) and the body rows' cell texts."""
    head = re.search(r"<thead>(.*?)</thead>", page, re.S)
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert head and body, page[:500]
    headers = [_text(re.sub(r'<span class="(sr-only|sort-arrow[^"]*)"[^>]*>.*?</span>', "", cell))
               for cell in re.findall(r"<th\b[^>]*>(.*?)</th>", head.group(1), re.S)]
    rows = [[_text(cell) for cell in re.findall(r"<td\b[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", body.group(1), re.S)]
    return headers, [r for r in rows if len(r) > 1]


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def read_csv(response: httpx.Response) -> tuple[list[str], list[list[str]]]:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    return rows[0], rows[1:]


def link(page: str, testid: str) -> str:
    found = re.search(rf'href="([^"]*)"[^>]*data-testid="{testid}"', page)
    assert found, testid
    return html.unescape(found.group(1))


def aria_sort(page: str, label: str) -> str:
    found = re.search(rf'<th scope="col"[^>]*aria-sort="(\w+)"><a class="sort" href="[^"]*">{label}<', page)
    assert found, label
    return found.group(1)


def sort_link(page: str, label: str) -> str:
    found = re.search(rf'<a class="sort" href="([^"]*)">{label}<', page)
    assert found, label
    return html.unescape(found.group(1))


async def test_school_headers_sort_and_toggle_keeping_filters(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    page = await client.get("/schools", params={"school_type": "", "q": "e"})
    assert page.status_code == 200
    assert aria_sort(page.text, "Schule") == "ascending" and aria_sort(page.text, "Ort") == "none"
    assert "aufsteigend sortiert" in page.text
    names = [row[1] for row in table(page.text)[1]]
    assert names == sorted(names, key=str.lower) and len(names) == 3
    descending = sort_link(page.text, "Schule")
    assert "sort=-name" in descending and "q=e" in descending
    page = await client.get(descending)
    assert aria_sort(page.text, "Schule") == "descending" and "absteigend sortiert" in page.text
    assert [row[1] for row in table(page.text)[1]] == names[::-1]
    assert "sort=-name" not in sort_link(page.text, "Schule")  # toggles back to ascending
    by_city = await client.get(sort_link(page.text, "Ort"))
    assert aria_sort(by_city.text, "Ort") == "ascending"
    assert [row[2] for row in table(by_city.text)[1]] == ["Kirchheimbolanden", "Kusel", "Rockenhausen"]


async def test_pager_shows_range_and_total_and_keeps_filters(client: httpx.AsyncClient, world: World) -> None:
    for n in range(30):
        await upsert_school(county_id=world.counties["kusel"], school_number=f"4{n + 2000:04d}",
                            name=f"Grundschule {n:02d}", school_type="grundschule", city="Kusel", pupils=100)
    await login(client, "support@verbund.test.example")
    first = await client.get("/schools", params={"county_id": world.counties["kusel"], "limit": "25"})
    assert first.status_code == 200
    assert "1–25 von 31" in first.text
    assert len(table(first.text)[1]) == 25
    following = re.search(r'href="([^"]*)" rel="next"', first.text)
    last = re.search(r'href="([^"]*)" rel="last"', first.text)
    assert following and last
    assert html.unescape(following.group(1)) == html.unescape(last.group(1))
    second = await client.get(html.unescape(following.group(1)))
    assert "26–31 von 31" in second.text and len(table(second.text)[1]) == 6
    assert f"county_id={world.counties['kusel']}" in following.group(1) and "limit=25" in following.group(1)
    assert 'rel="next"' not in second.text and 'rel="first"' in second.text
    # the CSV of the paged list holds every page
    _header, rows = read_csv(await client.get(link(second.text, "list-csv")))
    assert len(rows) == 31 and "alle 31 Zeilen" in second.text


async def test_school_csv_is_exactly_what_is_shown(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    page = await client.get("/schools", params={"sort": "-school_number", "uplink_status": "live"})
    assert page.status_code == 200
    headers, rows = table(page.text)
    csv_link = link(page.text, "list-csv")
    assert "sort=-school_number" in csv_link and "uplink_status=live" in csv_link and "format=csv" in csv_link
    file_header, file_rows = read_csv(await client.get(csv_link))
    # the table shows the school type under the name; the file has it in a column of its own
    assert file_header == [*headers[:2], "Schulart", *headers[2:]]
    assert file_rows[0][2] == "Gymnasium" and rows[0][1] == "Mörike-Gymnasium Ludwigsburg Gymnasium"
    assert [r[0] for r in file_rows] == [r[0] for r in rows] == ["41004", "41003", "41002", "41001"]
    assert all(shown[1] == f"{row[1]} {row[2]}" for shown, row in zip(rows, file_rows, strict=True))
    assert [r[3] for r in file_rows] == [r[2] for r in rows]  # the city


async def test_loan_tabs_sort_page_and_csv(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    for state in ("due", "overdue", "open", "returned"):
        page = await client.get("/loans", params={"state": state, "school_id": "", "sort": "-pupil_ref"})
        assert page.status_code == 200, (state, page.text[:300])
        headers, rows = table(page.text)
        if not rows:  # an empty tab offers no file of no rows
            assert 'data-testid="list-csv"' not in page.text, state
            continue
        csv_link = link(page.text, "list-csv")
        assert f"state={state}" in csv_link and "sort=-pupil_ref" in csv_link
        file_header, file_rows = read_csv(await client.get(csv_link))
        assert file_header == headers[:-1]  # the actions column is not in the file
        assert [r[2] for r in file_rows] == [r[2] for r in rows]
    page = await client.get("/loans", params={"state": "open", "sort": "-pupil_ref"})
    assert [r[2] for r in table(page.text)[1]] == ["7b-03", "7b-02", "7b-01"]
    assert aria_sort(page.text, "Schülerkennung") == "descending"


async def test_bad_sort_page_size_or_filter_is_a_german_message(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    for url, params, text in (
        ("/schools", {"sort": "password"}, "Sortieren nach: unbekanntes Sortierfeld"),
        ("/schools", {"sort": "name; drop table school"}, "Sortieren nach: unbekanntes Sortierfeld"),
        ("/schools", {"limit": "7"}, "muss 25, 50, 100 oder 200 sein"),
        ("/schools", {"offset": "-1"}, "Versatz (übersprungene Zeilen): muss eine ganze Zahl ab 0 sein"),
        ("/schools", {"format": "xlsx"}, "nur csv"),
        ("/loans", {"sort": "-nothing", "state": "open"}, "Sortieren nach: unbekanntes Sortierfeld"),
        ("/loans", {"school_id": "Kusel"}, "Schule: muss eine ganze Zahl sein"),
    ):
        answer = await client.get(url, params=params, headers=HTML)
        assert answer.status_code == 422, (url, params, answer.status_code)
        assert text in _text(answer.text).replace(" :", ":"), (url, params, _text(answer.text))
        assert "Validation failed" not in answer.text


async def test_access_points_across_schools(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    page = await client.get("/access-points", params={"vendor": "", "status": "active", "sort": "-school"})
    assert page.status_code == 200
    headers, rows = table(page.text)
    assert [r[1] for r in rows] == ["Realschule plus Kusel", "Nordpfalzgymnasium Kirchheimbolanden",
                                    "IGS Rockenhausen"]  # the supporter's three, not Ludwigsburg's
    assert aria_sort(page.text, "Schule") == "descending"
    file_header, file_rows = read_csv(await client.get(link(page.text, "list-csv")))
    assert file_header == headers and [r[:3] for r in file_rows] == [r[:3] for r in rows]
    by_mac = await client.get("/access-points", params={"q": "00-1A-1E-00-03-01"})
    assert [r[0] for r in table(by_mac.text)[1]] == ["AP kus A101"]
    assert "1–1 von 1" in by_mac.text
    school_page = await client.get("/access-points", params={"school_id": world.schools["rok"]["id"]})
    assert [r[1] for r in table(school_page.text)[1]] == ["IGS Rockenhausen"]
    bad = await client.get("/access-points", params={"status": "kaputt"}, headers=HTML)
    assert bad.status_code == 422 and "Status" in _text(bad.text)


async def test_ticket_queue_sorts_pages_and_csv_is_what_is_shown(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "support@verbund.test.example")
    page = await client.get("/tickets", params={"view": "all", "sort": "-number", "limit": "25"})
    assert page.status_code == 200
    headers, rows = table(page.text)
    numbers = [r[1] for r in rows]  # after the tick box
    assert numbers == sorted(numbers, reverse=True) and numbers
    assert aria_sort(page.text, "Nummer") == "descending"
    total = int(re.search(r"von (\d+)", page.text).group(1))  # type: ignore[union-attr]
    csv_link = link(page.text, "list-csv")
    assert "view=all" in csv_link and "sort=-number" in csv_link
    file_header, file_rows = read_csv(await client.get(csv_link))
    # The file has the table's columns, and the county the table shows under the school as its own.
    school = headers.index("Schule")
    assert file_header == [*headers[1:school + 1], "Landkreis", *headers[school + 1:]] and len(file_rows) == total
    assert [r[0] for r in file_rows][:len(numbers)] == numbers
    toggled = await client.get(sort_link(page.text, "Nummer"))
    assert aria_sort(toggled.text, "Nummer") == "ascending"
    rows_part = await client.get("/tickets/rows", params={"view": "all", "sort": "subject"})
    assert rows_part.headers["hx-replace-url"] == "/tickets?view=all&sort=subject"
    bad = await client.get("/tickets", params={"sort": "reporter_email"}, headers=HTML)
    assert bad.status_code == 422 and "Sortieren nach: unbekanntes Sortierfeld" in _text(bad.text).replace(" :", ":")


async def test_audit_log_filters_sorts_pages_and_csv(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "admin@test.example")
    page = await client.get("/audit", params={"limit": "25"})
    assert page.status_code == 200
    assert aria_sort(page.text, "Zeit") == "descending"  # newest first
    total = int(re.search(r"1–\d+ von (\d+)", page.text).group(1))  # type: ignore[union-attr]
    assert total > 25 and len(table(page.text)[1]) == 25
    logins = await client.get("/audit", params={"action": "login", "sort": "actor"})
    headers, rows = table(logins.text)
    assert rows and all(r[2].startswith("Anmeldung") for r in rows)
    assert aria_sort(logins.text, "Akteur") == "ascending"
    file_header, file_rows = read_csv(await client.get(link(logins.text, "list-csv")))
    assert file_header == headers and [r[:3] for r in file_rows] == [r[:3] for r in rows]
    today = await client.get("/audit", params={"action": "login", "since": "2000-01-01", "until": "2000-01-02"})
    # no row: the empty-state text, and neither "CSV: alle 0 Zeilen" nor a pager reading "0 von 0"
    assert "Keine Einträge gefunden." in today.text
    assert 'data-testid="list-csv"' not in today.text and "list-pager" not in today.text
    assert "0 von 0" not in today.text
    for params, text in (({"sort": "client_ip"}, "Sortieren nach: unbekanntes Sortierfeld"),
                         ({"action": "drop"}, "Aktion: kein zulässiger Wert"),
                         ({"since": "gestern"}, "Von muss ein Datum wie 22.11.2026 sein")):  # at the field
        bad = await client.get("/audit", params=params, headers=HTML)
        assert bad.status_code == 422 and text in _text(bad.text).replace(" :", ":"), (params, _text(bad.text))


async def test_a_search_text_is_at_most_100_characters(client: httpx.AsyncClient, world: World) -> None:
    """Every list's search box takes 100 characters; a longer search (a crafted address, a client of the API)
    is refused with the search field's German label and reason, and the list's API answers 422."""
    long, fits = "Kusel " + "x" * 95, "Kusel " + "x" * 94  # 101 and 100 characters
    await login(client, "support@verbund.test.example")
    for url in ("/schools", "/access-points", "/loans", "/tickets"):
        assert (await client.get(url, params={"q": fits}, headers=HTML)).status_code == 200, url
        refused = await client.get(url, params={"q": long}, headers=HTML)
        assert refused.status_code == 422, url
        assert "Suche: höchstens 100 Zeichen" in _text(refused.text).replace(" :", ":"), url
    # Every list's search box (one macro) stops at 100 characters, and so does the look-up of a device or an
    # access point, on its page and in the box other pages carry; the device list and the look-up, which
    # show their refusals at the fields, name it at the search box, with what was typed.
    for url in ("/tickets", "/devices", "/schools", "/access-points", "/loans", "/lookup"):
        page = await client.get(url, params={"q": fits}, headers=HTML)
        assert re.search(rf'<input type="search" name="q" value="{fits}" maxlength="100"', page.text), url
    assert re.search(r'<input type="search" name="q" value="" maxlength="100" placeholder="Seriennummer, '
                     r'Inventarnummer oder MAC[^"]*" autocomplete="off" data-testid="lookup">',
                     (await client.get("/schools")).text)
    for url in ("/devices", "/lookup"):
        refused = await client.get(url, params={"q": long}, headers=HTML)
        assert refused.status_code == 422, url
        assert re.search(rf'name="q" value="{long}"[^>]*aria-invalid="true" aria-describedby="error-q"',
                         refused.text), url
        assert 'data-field="q">höchstens 100 Zeichen<' in refused.text, url
    # The APIs: a field error at `q` with its label (an API client reads English here).
    auth = world.auth("verbund_supporter")
    for url in ("/api/v1/schools", "/api/v1/devices", "/api/v1/access-points", "/api/v1/tickets", "/api/v1/lookup"):
        refused = await client.get(url, params={"q": long}, headers=auth)
        assert refused.status_code == 422, url
        assert [(e["field"], e["message"]) for e in refused.json()["errors"]] == [("q", "at most 100 characters")], url
        assert (await client.get(url, params={"q": fits}, headers=auth)).status_code == 200, url
