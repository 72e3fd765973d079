"""`/admin/jobs`: every scheduled job with its last run, for admins only; "run now" makes a job due."""

from __future__ import annotations

import httpx

from schoolit.jobs import outcome, outcome_text
from schoolit.kernel.i18n import N_, current_locale
from schoolit.sql import fetch
from tests.integration.accounts.test_login import csrf_token, login
from tests.integration.world import World


async def test_admin_sees_every_job_in_german(client: httpx.AsyncClient, world: World) -> None:
    await fetch("INSERT INTO job_run (name, next_due_at, last_started_at, last_duration_seconds, last_ok, last_error, "
                "failures_in_row, runs, failures) VALUES ('samples', now(), now(), 1.5, false, "
                "'RuntimeError: disk full', 2, 2, 2)")
    await login(client, "admin@test.example")
    page = await client.get("/admin/jobs")
    assert page.status_code == 200
    for label in ("Geplante Aufgaben", "SLA-Verletzungen und 80-Prozent-Warnungen markieren",
                  "Gelöste Tickets schließen",
                  "Schülerbezüge nach Ablauf der Aufbewahrungsfrist löschen", "Messwert-Partitionen im Voraus anlegen",
                  "Beendete Anmeldesitzungen entfernen", "alle 5 Minuten", "täglich", "stündlich"):
        assert label in page.text, label
    assert "RuntimeError: disk full" in page.text and "fehlgeschlagen" in page.text and "1,50 s" in page.text
    assert 'href="/admin/jobs"' in page.text  # in the navigation


async def test_outcomes_are_shown_in_the_readers_language(client: httpx.AsyncClient, world: World) -> None:
    """A job's outcome is stored as message and values: German on the page, English on the command line."""
    stored = outcome(N_("resolved tickets closed: %(count)s"), count=3)
    await fetch("INSERT INTO job_run (name, next_due_at, last_started_at, last_ok, last_outcome, runs) "
                "VALUES ('close-resolved', now(), now(), true, {}, 1)", stored)
    await login(client, "admin@test.example")
    page = await client.get("/admin/jobs")
    assert "gelöste Tickets geschlossen: 3" in page.text and "resolved tickets" not in page.text
    assert outcome_text(stored, english=True) == "resolved tickets closed: 3"
    english = await client.get("/language/en", follow_redirects=False)
    assert english.status_code in (302, 303)
    assert "resolved tickets closed: 3" in (await client.get("/admin/jobs")).text


def test_an_outcome_with_several_counts_reads_right_for_one_and_for_more() -> None:
    """Outcomes name each count after a label: no '1 Tickets', no 'Ticket(s)', in German or in English."""
    one = outcome(N_("silent probes: tickets opened: %(opened)s, resolved: %(resolved)s"), opened=1, resolved=0)
    more = outcome(N_("silent probes: tickets opened: %(opened)s, resolved: %(resolved)s"), opened=2, resolved=3)
    token = current_locale.set("de")
    try:
        assert outcome_text(one) == "stille Sonden: eröffnete Tickets: 1, gelöste: 0"
        assert outcome_text(more) == "stille Sonden: eröffnete Tickets: 2, gelöste: 3"
    finally:
        current_locale.reset(token)
    assert outcome_text(one, english=True) == "silent probes: tickets opened: 1, resolved: 0"
    assert outcome_text(more, english=True) == "silent probes: tickets opened: 2, resolved: 3"


async def test_run_now_makes_the_job_due(client: httpx.AsyncClient, world: World) -> None:
    await fetch("INSERT INTO job_run (name, next_due_at) VALUES ('retention', now() + interval '1 day')")
    await login(client, "admin@test.example")
    token = await csrf_token(client, "/admin/jobs")
    response = await client.post("/admin/jobs/retention/run", data={"_csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/admin/jobs?requested=retention"
    due = await fetch("SELECT next_due_at <= now() AS due FROM job_run WHERE name = 'retention'")
    assert due == [{"due": True}]
    page = await client.get("/admin/jobs?requested=retention")
    assert "retention ist jetzt fällig" in page.text
    unknown = await client.post("/admin/jobs/no-such-job/run", data={"_csrf_token": token})
    assert unknown.status_code == 404
    no_csrf = await client.post("/admin/jobs/retention/run")
    assert no_csrf.status_code == 403


async def test_only_admins(client: httpx.AsyncClient, world: World) -> None:
    assert (await client.get("/admin/jobs", follow_redirects=False)).status_code in (302, 303, 401)
    await login(client, "support@verbund.test.example")
    assert (await client.get("/admin/jobs")).status_code == 403
    assert 'href="/admin/jobs"' not in (await client.get("/")).text
