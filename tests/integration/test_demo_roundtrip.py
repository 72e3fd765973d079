"""The demo's own data passes the app's rules: every kind exported from a demo (seeded, with its
simulated network prepared as `schoolit demo` does) imports again with 0 errors and 0 changes, and a
simulated access point can be edited through its page form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import asyncpg
import httpx
import pytest

from schoolit.accounts.scope import Scope
from schoolit.demo import seed_demo
from schoolit.inventory.exporting import export_csv
from schoolit.inventory.importing import import_csv
from schoolit.inventory.resources import KINDS
from schoolit.probes import demo as probes_demo
from schoolit.sql import fetch
from tests.integration.accounts.test_login import csrf_token, login

SECRET = "demo-roundtrip-secret-key-of-at-least-32-characters"
SYSTEM = Scope.system("test")
ANALYZED = ("county", "school", "building", "room", "uplink", "access_point", "access_point_room", "device", "loan")


@pytest.fixture(autouse=True)
async def analyze_as_owner(owner_database_url: str, database: str) -> AsyncIterator[None]:
    """`analyze_as_owner()`: ANALYZE of the seeded tables as their owner (SECURITY DEFINER), callable by the
    app's role (the owner's default privileges grant it EXECUTE) from inside the test's transaction. It
    exists only while a test of this module runs; the schema of the app has no such function."""
    owner = await asyncpg.connect(owner_database_url)
    try:
        await owner.execute(f"""CREATE FUNCTION analyze_as_owner() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
                                SET search_path FROM CURRENT AS $$ BEGIN ANALYZE {", ".join(ANALYZED)}; END $$""")
        yield
    finally:
        await owner.execute("DROP FUNCTION IF EXISTS analyze_as_owner()")
        await owner.close()


async def _demo(tmp_path: Path) -> str:
    """Seed the demo with its logins and point the demo county at a simulator; the supporter's password."""
    report = await seed_demo(SECRET)
    await probes_demo.prepare(tmp_path, 16161, 16162)
    # The seeded rows are uncommitted (the test's transaction), so autovacuum never gathers statistics
    # for them; without these the planner takes the tables for empty and the exports run nested loops
    # for minutes. ANALYZE counts its own transaction's rows, but PostgreSQL 16 lets only a table's owner
    # analyze it (the app's role gets a warning and nothing happens), and the app's role may not become the
    # owner. So the owner's function `analyze_as_owner` (made by the fixture) runs it inside this
    # transaction, where the uncommitted rows are visible.
    await fetch("SELECT analyze_as_owner()")
    analyzed = await fetch("SELECT relname, reltuples FROM pg_class WHERE relname = ANY({}) AND relkind = 'r'",
                           list(ANALYZED))
    assert {row["relname"] for row in analyzed if row["reltuples"] > 0} == set(ANALYZED), analyzed
    return next(password for login, password in report.logins if login.role == "supporter")


async def test_every_exported_kind_imports_again_without_errors_or_changes(tmp_path: Path) -> None:
    await _demo(tmp_path)
    simulated = await fetch("SELECT count(*) AS n FROM access_point WHERE management_ip = '127.0.0.1'")
    assert simulated[0]["n"] > 0  # the demo county's access points answer from the simulator
    for kind in KINDS:
        data = await export_csv(SYSTEM, kind)
        rows = data.count(b"\n") - 1
        assert rows > 0, kind
        for dry_run in (True, False):
            report = await import_csv(SYSTEM, kind, data, dry_run=dry_run)
            assert report.errors == [], (kind, report.errors[:5])
            assert (report.ok, report.rows, report.created, report.updated, report.changed) == \
                (True, rows, 0, rows, 0), kind


class _FormReader(HTMLParser):
    """The values a browser would submit for the form with the given id."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.select, self.textarea = form_id, False, "", ""
        self.values: list[tuple[str, str]] = []
        self.first_option: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.values.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select = a.get("name", "")
        elif tag == "option" and self.select:
            self.first_option.setdefault(self.select, a.get("value", ""))
            if "selected" in a:
                self.values.append((self.select, a.get("value", "")))
        elif tag == "textarea":
            self.textarea = a.get("name", "")
            self.values.append((self.textarea, ""))

    def handle_data(self, data: str) -> None:
        if self.textarea:
            name, value = self.values[-1]
            self.values[-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = ""
        elif tag == "textarea":
            self.textarea = ""


def form_values(html: str, form_id: str) -> list[tuple[str, str]]:
    reader = _FormReader(form_id)
    reader.feed(html)
    return reader.values


async def test_a_simulated_demo_access_point_is_edited_through_its_form(client: httpx.AsyncClient,
                                                                        tmp_path: Path) -> None:
    password = await _demo(tmp_path)
    supporter = (await fetch("SELECT email FROM app_user WHERE role = 'supporter' AND arrangement_id IS NOT NULL "
                             "ORDER BY id LIMIT 1"))[0]["email"]
    ap = (await fetch("SELECT id, name FROM access_point WHERE management_ip = '127.0.0.1' ORDER BY id LIMIT 1"))[0]
    assert (await login(client, supporter, password)).status_code == 303
    url = f"/access-points/{ap['id']}/edit"
    page = await client.get(url)
    assert page.status_code == 200
    values = form_values(page.text, "inventory-form")
    assert ("management_ip", "127.0.0.1") in values
    values = [(k, f"{ap['name']} (Flur)" if k == "name" else v) for k, v in values]
    posted: dict[str, list[str]] = {}
    for key, value in values:
        posted.setdefault(key, []).append(value)
    posted["_csrf_token"] = [await csrf_token(client, url)]
    saved = await client.post(url, data=posted, headers={"accept": "text/html"})
    assert saved.status_code == 303, re.findall(r'data-field="([^"]+)">([^<]+)<', saved.text)
    row = (await fetch("SELECT name, host(management_ip) AS ip FROM access_point WHERE id = {}", ap["id"]))[0]
    assert row == {"name": f"{ap['name']} (Flur)", "ip": "127.0.0.1"}
