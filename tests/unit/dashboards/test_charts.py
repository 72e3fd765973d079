"""The SVG charts: well-formed, scalable, labelled, German formats, readable without colour."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

from schoolit.dashboards import charts
from schoolit.dashboards.choices import Light
from schoolit.kernel.i18n import current_locale

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))  # noqa: S314 (our own output)
    assert root.tag == SVG + "svg" and root.get("viewBox") and root.get("role") == "img" and root.get("aria-label")
    assert root.find(SVG + "title") is not None
    return root


def test_bar_chart_writes_every_value_and_escapes_names() -> None:
    bars = [charts.Bar(f"Schule <{i}> & Söhne", i / 50, Light.GREEN if i > 40 else Light.RED, charts.percent(i / 50))
            for i in range(50)]
    root = _parse(charts.bar_chart(bars, "Abdeckung", marks=(0.8,)))
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "Schule <7> & Söhne" in texts and "14,0\u00a0%" in texts and "80\u00a0%" in texts
    # 50 rows: the chart grows in height instead of squeezing the names.
    assert float(root.get("viewBox", "").split()[3]) > 50 * 18
    long_name = charts.bar_chart([charts.Bar("B" * 80, None, Light.GREY, "–")], "x")
    assert "B" * 35 + "…" in long_name and f"<title>{'B' * 80}: –</title>" in long_name


def test_sparkline_marks_missing_days() -> None:
    points = [charts.Point("Mo. 16.11.", 1.0, Light.GREEN), charts.Point("Di. 17.11.", None, Light.GREY),
              charts.Point("Mi. 18.11.", 0.5, Light.RED)]
    root = _parse(charts.sparkline(points, "Verfügbarkeit"))
    titles = [t.text for t in root.iter(SVG + "title")]
    assert "Mo. 16.11.: 100,0\u00a0%" in titles and "Di. 17.11.: –" in titles and "Mi. 18.11.: 50,0\u00a0%" in titles


def test_line_chart_has_a_day_axis_and_gaps() -> None:
    start = dt.datetime(2026, 11, 16, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    hours = [start + dt.timedelta(hours=h) for h in range(48)]
    points = [(at, 0.5) for at in hours[:10]] + [(at, 0.9) for at in hours[20:]]  # 10 hours missing
    root = _parse(charts.line_chart(points, "Auslastung", start=start, end=start + dt.timedelta(hours=48),
                                    marks=(0.7, 0.9)))
    assert len(root.findall(SVG + "polyline")) == 2  # the gap splits the line
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "Di. 17.11." in texts and "Mi. 18.11." in texts and "100\u00a0%" in texts
    empty = _parse(charts.line_chart([], "leer", start=start, end=start + dt.timedelta(days=7)))
    assert empty.find(SVG + "polyline") is None


def test_formats_follow_the_locale() -> None:
    assert (charts.percent(0.96875, 2), charts.number(1000), charts.number(0.7, 2)) == ("96,88\u00a0%", "1.000", "0,70")
    assert charts.percent(None) == "–"
    token = current_locale.set("en")
    try:
        assert (charts.percent(0.96875, 2), charts.number(1000), charts.number(0.7, 2)) == ("96.88%", "1,000", "0.70")
    finally:
        current_locale.reset(token)
