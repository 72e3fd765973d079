"""In Chromium on the demo data, as the arrangement's supporter at 1366 and 390 px: the forms that are refused
come back as forms with the German reason at the field and what was typed still in it — the ticket page's
time entry ("-5" minutes, a note longer than 300 characters; its error summary takes the focus), the queue's
"save view" (a name longer than 80 characters) and the notification settings (a language the page does not
offer) — and the arrangement dashboard names the cost split's month as people read it ("Stunden Dezember
2026"); the ticket page's status change without a status, and its closing without the tick or the reporter's
reason, on the ticket's own address; the public fault form with a six-digit school number, as a visitor; the
assignment choices shown whole. No sideways scrolling at 390 px, no serious or critical axe-core violation, a
full-page screenshot each and one of the refused form itself (tests/e2e/artifacts/refused-*.png,
arrangement-month-*.png)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playwright.sync_api import expect

from schoolit.kernel.times import BERLIN
from tests.e2e.support import ARTIFACTS, look_at, pages_at_both_widths

GERMAN_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                 "November", "Dezember")
# Sets a value past the input's maxlength or outside a select's options, as a client that checks nothing sends it.
FORCE_VALUE = """(element, value) => {
    if (element.tagName === "SELECT") { element.add(new Option(value, value)); }
    element.value = value;
}"""


def _form_shot(locator: Any, name: str) -> None:
    """A screenshot of one part of the page (the refused form) beside the full page's."""
    ARTIFACTS.mkdir(exist_ok=True)
    locator.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_refused_forms_come_back_with_the_reason_at_the_field(server: str) -> None:
    for width, page in pages_at_both_widths(server, "supporter"):
        # The time entry: "-5" minutes.
        page.goto("/tickets?view=all")
        page.locator("#queue-rows a[href^='/tickets/']").first.click()
        form = page.get_by_test_id("time-form")
        expect(form.locator("input[name=worked_on]")).to_have_value(dt.datetime.now(BERLIN).date().isoformat())
        form.get_by_test_id("time-minutes").fill("-5")
        form.get_by_test_id("time-note").fill("Switch im Serverraum neu gestartet")
        form.get_by_role("button", name="Zeit erfassen").click()
        form = page.get_by_test_id("time-form")
        expect(form.locator("[data-field=minutes]")).to_have_text("mindestens 1")
        expect(form.get_by_test_id("time-minutes")).to_have_value("-5")
        expect(form.get_by_test_id("time-note")).to_have_value("Switch im Serverraum neu gestartet")
        expect(page.get_by_role("alert")).to_contain_text("Minuten: mindestens 1")
        # The reader is taken to the form's error summary, right above the form (web/_form.html).
        expect(page.get_by_test_id("time-error-summary")).to_be_focused()
        look_at(page, f"refused-time-minutes-{width}")
        _form_shot(page.locator("h2#time ~ form").first, f"refused-time-minutes-form-{width}")

        # The time entry: a note of 301 characters (sent past the field's maxlength).
        note = "Access Point getauscht, Kabel geprüft. " * 8
        form.get_by_test_id("time-minutes").fill("25")
        form.get_by_test_id("time-note").evaluate(FORCE_VALUE, note)
        form.get_by_role("button", name="Zeit erfassen").click()
        form = page.get_by_test_id("time-form")
        expect(form.locator("[data-field=note]")).to_have_text("höchstens 300 Zeichen")
        expect(form.get_by_test_id("time-note")).to_have_value(note)
        expect(form.get_by_test_id("time-minutes")).to_have_value("25")
        look_at(page, f"refused-time-note-{width}")
        _form_shot(form, f"refused-time-note-form-{width}")

        # The queue's "save view": a name of 81 characters.
        page.goto("/tickets?view=unassigned")
        name = "Nicht zugewiesen im Verbund: die Schulen mit Glasfaser und dem WLAN-Ausbau im Jahr 2026"
        assert len(name) > 80
        save = page.get_by_test_id("save-view")
        save.get_by_test_id("view-name").evaluate(FORCE_VALUE, name)
        save.get_by_role("button", name="Ansicht speichern").click()
        save = page.get_by_test_id("save-view")
        expect(save.locator("[data-field=name]")).to_have_text("höchstens 80 Zeichen")
        expect(save.get_by_test_id("view-name")).to_have_value(name)
        expect(page.locator("nav.views a[aria-current=page]")).to_have_text("Nicht zugewiesen")
        look_at(page, f"refused-view-name-{width}")
        _form_shot(save, f"refused-view-name-form-{width}")

        # The notification settings: a language the page does not offer, one other choice changed.
        page.goto("/account/notifications")
        page.get_by_role("group", name="SLA verletzt").get_by_label("aus").check()
        page.get_by_label("Sprache der E-Mails").evaluate(FORCE_VALUE, "deutsch")
        page.get_by_role("button", name="Speichern").click()
        expect(page.locator("[data-field=locale]")).to_have_text("unbekannte Sprache")
        expect(page.get_by_role("group", name="SLA verletzt").get_by_label("aus")).to_be_checked()
        look_at(page, f"refused-notifications-language-{width}")

        # The arrangement dashboard: the month of the cost split as people read it.
        today = dt.datetime.now(BERLIN).date()
        page.goto("/dashboards")
        page.locator("a[href^='/dashboards/arrangements/']").first.click()
        month = f"{GERMAN_MONTHS[today.month - 1]} {today.year}"
        expect(page.get_by_test_id("cost").locator("thead")).to_contain_text(f"Stunden {month}")
        expect(page.get_by_role("link", name=f"Kostenaufteilung {month} (CSV)")).to_be_visible()
        look_at(page, f"arrangement-month-{width}")
        _form_shot(page.get_by_test_id("cost"), f"arrangement-month-table-{width}")


# How much wider a select is than its widest choice needs (CSS px; negative: a choice is cut off): the width
# the same select takes when nothing limits it, measured on a hidden copy.
ROOM_FOR_WIDEST_CHOICE = """select => {
    const copy = select.cloneNode(true);
    copy.style.cssText = "position: absolute; visibility: hidden; width: auto; max-width: none; min-width: 0";
    document.body.appendChild(copy);
    const needed = copy.getBoundingClientRect().width;
    copy.remove();
    return select.getBoundingClientRect().width - needed;
}"""


def test_the_assignment_choices_are_shown_whole(server: str) -> None:
    """The ticket page's assignee select and the queue's bulk action show each choice whole, at 390 px too."""
    for width, page in pages_at_both_widths(server, "supporter"):
        page.goto("/tickets?view=all")
        bulk = page.get_by_test_id("bulk-form").locator("select[name=action]")
        assert bulk.evaluate(ROOM_FOR_WIDEST_CHOICE) > -1, width
        page.goto("/tickets?status=new")
        page.locator("#queue-rows a[href^='/tickets/']").first.click()
        assignee = page.get_by_test_id("assign-form").locator("select[name=assignee_id]")
        expect(assignee).to_have_value("")
        assert assignee.evaluate(ROOM_FOR_WIDEST_CHOICE) > -1, width
        _form_shot(page.locator("section.actions"), f"assignee-choice-{width}")


# Drops the browser's own checks of a form (required fields, a required tick), as a client that checks nothing.
NO_BROWSER_CHECKS = "form => form.querySelectorAll('[required]').forEach(field => field.removeAttribute('required'))"


def test_a_ticket_is_closed_for_good_only_when_ticked_and_said_why(server: str) -> None:
    """A status change without a status says "bitte wählen" at the field, on the ticket's own address; closing
    a new ticket waits for the tick (the browser asks for it, the server too) and for the reporter's reason,
    and the closed ticket names the day it was closed, with no deadline and no assignment left to change."""
    for width, page in pages_at_both_widths(server, "supporter"):
        page.goto("/tickets?status=new")
        page.locator("#queue-rows a[href^='/tickets/']").first.click()
        address = page.url
        status_form = page.get_by_test_id("status-form")
        status_form.evaluate(NO_BROWSER_CHECKS)
        status_form.get_by_test_id("set-status").click()
        expect(page.get_by_test_id("status-form").locator("[data-field=status]")).to_have_text("bitte wählen")
        expect(page.get_by_role("alert")).to_contain_text("Neuer Status: bitte wählen")
        assert page.url == address, page.url  # not /status: a reload shows the ticket
        look_at(page, f"refused-status-empty-{width}")

        page.get_by_test_id("close-ticket").locator("summary").click()
        close = page.get_by_test_id("close-form")
        close.get_by_test_id("close-comment").fill("Doppelt gemeldet")
        close.get_by_test_id("close-submit").click()  # no tick: the browser holds the form back
        expect(close.get_by_test_id("close-confirm")).to_have_js_property("validity.valueMissing", True)
        expect(page.get_by_test_id("status")).to_have_text("Neu")
        close.evaluate(NO_BROWSER_CHECKS)
        close.get_by_test_id("close-comment").fill("")
        close.get_by_test_id("close-submit").click()
        close = page.get_by_test_id("close-form")
        expect(close.locator("[data-field=confirm]")).to_have_text(
            "bitte bestätigen Sie, dass Sie das Ticket endgültig schließen")
        expect(close.locator("[data-field=comment]")).to_have_text(
            "bitte der meldenden Person sagen, warum das Ticket ohne Lösung geschlossen wird")
        expect(page.get_by_test_id("status")).to_have_text("Neu")
        assert page.url == address, page.url
        look_at(page, f"refused-close-{width}")
        _form_shot(close, f"refused-close-form-{width}")

        close.get_by_test_id("close-comment").fill("Doppelt gemeldet, siehe SIT-2026-00001")
        close.get_by_test_id("close-confirm").check()
        close.get_by_test_id("close-submit").click()
        expect(page.get_by_test_id("status")).to_have_text("Geschlossen")
        expect(page.get_by_test_id("closed-at")).to_be_visible()
        expect(page.locator("dl.facts")).not_to_contain_text("fällig")
        expect(page.locator("main")).not_to_contain_text("niemand (Warteschlange)")
        expect(page.get_by_test_id("close-form")).to_have_count(0)
        expect(page.locator(".timeline")).to_contain_text("Doppelt gemeldet, siehe SIT-2026-00001")
        look_at(page, f"closed-{width}")


def test_a_refused_fault_report_keeps_what_was_typed(server: str) -> None:
    """A school number of six digits (or with spaces around it, pasted) on the public form: the form comes back
    with everything typed and "fünf Ziffern" at the field — spaces around a right number are dropped."""
    for width, page in pages_at_both_widths(server, None):  # a visitor, as school staff without an account
        page.goto("/report")
        number = page.locator("input[name=school_number]")
        expect(number).to_have_attribute("title", "fünfstellige Schulnummer")
        number.fill("516001")
        page.get_by_label("Kategorie").select_option(label="Endgerät")
        page.fill("textarea[name=description]", "Der Beamer in Raum 2.04 zeigt kein Bild.")
        page.fill("input[name=name]", "Frau Müller")
        page.fill("input[name=email]", "lehrer@schule.example")
        page.check("input[name=consent]")
        page.get_by_role("button", name="Meldung absenden").click()
        expect(page.locator("[data-field=school_number]")).to_have_text("fünf Ziffern")
        expect(page.get_by_role("alert")).to_contain_text("Schulnummer: fünf Ziffern")
        expect(number).to_have_value("516001")
        expect(page.locator("textarea[name=description]")).to_have_value(
            "Der Beamer in Raum 2.04 zeigt kein Bild.")
        expect(page.locator("input[name=name]")).to_have_value("Frau Müller")
        expect(page.locator("input[name=email]")).to_have_value("lehrer@schule.example")
        expect(page.locator("input[name=consent]")).to_be_checked()
        look_at(page, f"refused-report-school-number-{width}")
        number.fill(" 51600 ")
        page.get_by_role("button", name="Meldung absenden").click()
        expect(page.get_by_test_id("ticket-number")).to_be_visible()
        look_at(page, f"report-done-{width}")
