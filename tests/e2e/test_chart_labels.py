"""The uplink chart of a school page (`schoolit.dashboards.charts.line_chart`) as Chromium draws it: every date
on its time axis lies inside the chart, the last one too when the day has just begun (its tick close to the
chart's end) — in German and English, at 1366 px and at 390 px."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import sync_playwright

from schoolit.dashboards import charts
from schoolit.kernel.i18n import current_locale
from tests.e2e.support import PHONE, WIDE, launch_chromium

BERLIN = ZoneInfo("Europe/Berlin")


def _chart(end: dt.datetime, locale: str) -> str:
    token = current_locale.set(locale)
    try:
        start = end - dt.timedelta(days=7)
        points = [(start + dt.timedelta(hours=h), 0.4) for h in range(7 * 24)]
        return str(charts.line_chart(points, "Auslastung", start=start, end=end, marks=(0.7, 0.9)))
    finally:
        current_locale.reset(token)


@pytest.mark.parametrize("locale", ["de", "en"])
def test_every_axis_date_is_inside_the_chart(locale: str) -> None:
    ends = [dt.datetime(2026, 12, 7, hour, 30, tzinfo=BERLIN) for hour in (0, 1, 6, 10, 23)]
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for viewport in (WIDE, PHONE):
                page = browser.new_page(viewport=viewport)
                for end in ends:
                    page.set_content(f'<!doctype html><html lang="{locale}"><body style="margin:1rem">'
                                     f'<figure style="margin:0">{_chart(end, locale)}</figure></body></html>')
                    outside = page.evaluate("""() => {
                        const svg = document.querySelector("svg.chart");
                        const box = svg.viewBox.baseVal;
                        return [...svg.querySelectorAll("text")].map(t => [t.textContent, t.getBBox()])
                            .filter(([, b]) => b.x < 0 || b.x + b.width > box.width + 0.5)
                            .map(([text, b]) => `${text}: ${b.x.toFixed(1)}+${b.width.toFixed(1)} > ${box.width}`);
                    }""")
                    assert outside == [], f"{viewport['width']} px, end {end:%H:%M}: {outside}"
                page.close()
        finally:
            browser.close()
