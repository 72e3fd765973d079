"""Server-side SVG charts: sparkline, horizontal bar chart, line chart over time — no JavaScript, nothing
from the internet.

Every chart is an inline `<svg>` with a `viewBox` (it scales with the page), `role="img"`, an
`aria-label` and a `<title>`; every bar and point carries its value as text or as a `<title>`, so the
chart reads without colour (print in black and white, colour-blind readers). Numbers and dates are
formatted for the request's locale with Babel (German by default: "99,5 %", "Mo., 16.11.", "Dezember 2026").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from xml.sax.saxutils import escape, quoteattr

from babel.dates import format_date
from babel.numbers import format_percent, get_decimal_symbol, get_group_symbol
from markupsafe import Markup

from schoolit.dashboards.choices import Light
from schoolit.kernel.i18n import current_locale
from schoolit.kernel.times import BERLIN, berlin_time

# Fill colours per light; the shapes and texts next to them carry the meaning in print.
COLOURS = {Light.GREEN: "#1d7a3a", Light.AMBER: "#c77700", Light.RED: "#b3261e", Light.GREY: "#9aa4b1"}
INK, MUTED, GRID = "#1d2733", "#5b6776", "#d9dee5"
FONT = 'font-family="system-ui, sans-serif"'
LABEL_CHARS = 36  # school names longer than this are cut (the full name is in the bar's title)
# The most a character of an axis label takes, in em ("Mo. 07.12." in system-ui is about 0.55 em a character):
# room is made for a label by this, so that none is cut at the chart's edge.
LABEL_EM = 0.65


# --- formatting ------------------------------------------------------------------------------------

@cache
def _number_format(locale: str) -> tuple[str, str, str, str]:
    """The locale's decimal and group symbols and what its percentages put before and after the number
    (from Babel once per locale; formatting each of the page's hundreds of figures through Babel is slow)."""
    sample = format_percent(0.5, locale=locale)  # "50 %" in German, "50%" in English
    before, _, after = sample.partition("50")
    return get_decimal_symbol(locale), get_group_symbol(locale), before, after


def number(value: float | None, digits: int = 0) -> str:
    """A number in the locale ("1.000", "0,75"); "–" for none."""
    if value is None:
        return "–"
    decimal, group, _, _ = _number_format(current_locale.get())
    text = f"{value:,.{digits}f}"
    return text.translate({ord(","): group, ord("."): decimal})


def percent(share: float | None, digits: int = 1) -> str:
    """A share 0..1 as a percentage in the locale ("99,5 %"); "–" for none."""
    if share is None:
        return "–"
    _, _, before, after = _number_format(current_locale.get())
    return before + number(share * 100, digits) + after


def day(value: dt.date) -> str:
    """A day on a chart's axis: its weekday and DD.MM. ("Mo 07.12."), the year being the chart's."""
    return format_date(value, "EEE dd.MM.", locale=current_locale.get())


def moment(value: dt.datetime) -> str:
    """A moment as every page shows it ("07.12.2026 14:05", Berlin time)."""
    return berlin_time(value, zone=False)


def month(value: str | dt.date) -> str:
    """A month as people read it in the locale ("Dezember 2026", "December 2026"), from a day in it or its
    ISO form "2026-12" (what the JSON and the cost split's CSV carry)."""
    first = value if isinstance(value, dt.date) else dt.date.fromisoformat(f"{value}-01")
    return format_date(first, "LLLL y", locale=current_locale.get())


def _svg(width: float, height: float, label: str, body: list[str], css_class: str) -> Markup:
    # Every text and attribute inside was escaped where it was written.
    return Markup(  # noqa: S704
        f'<svg class="chart {css_class}" viewBox="0 0 {width:g} {height:g}" role="img" '
        f'aria-label={quoteattr(label)} xmlns="http://www.w3.org/2000/svg" {FONT}>'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>")


# --- sparkline -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Point:
    label: str  # e.g. the day
    value: float | None  # 0..1; None: no data
    light: Light


def sparkline(points: Sequence[Point], label: str, *, width: float = 84, height: float = 22) -> Markup:
    """Small bars, one per point, their height the value (0..1) and their colour its light; a point
    without data is a short dashed outline."""
    gap = 2.0
    bar = (width - gap * (len(points) - 1)) / max(len(points), 1)
    body = []
    for i, point in enumerate(points):
        x = i * (bar + gap)
        if point.value is None:
            body.append(f'<rect x="{x:.1f}" y="{height - 3:.1f}" width="{bar:.1f}" height="3" fill="none" '
                        f'stroke="{MUTED}" stroke-dasharray="2 1"><title>{escape(point.label)}: –</title></rect>')
            continue
        h = max(1.5, point.value * height)
        body.append(f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                    f'fill="{COLOURS[point.light]}"><title>{escape(point.label)}: '
                    f"{escape(percent(point.value))}</title></rect>")
    return _svg(width, height, label, body, "sparkline")


# --- horizontal bars -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # 0..1
    light: Light
    text: str  # the figure written next to the bar


def bar_chart(bars: Sequence[Bar], label: str, *, marks: Sequence[float] = (), low: float = 0.0,
              width: float = 720) -> Markup:
    """One row per item (school names on the left, readable for 50+ schools), bars from `low` to 100 %
    with the value written at the end; dashed lines at the thresholds in `marks`. A `low` above 0 makes
    small differences visible (availability 95 % against 99 %); values below it show no bar."""
    row, top, left, right = 18.0, 22.0, 270.0, 64.0
    plot = width - left - right
    height = top + row * len(bars) + 6

    def scaled(value: float) -> float:
        return min(max((value - low) / (1 - low), 0.0), 1.0)

    body = [f'<text x="{left:.0f}" y="12" font-size="10" fill="{MUTED}">{escape(percent(low, 0))}</text>']
    if all(scaled(mark) < 0.85 for mark in marks):  # else the mark's label would cover the end's
        body.append(f'<text x="{left + plot:.0f}" y="12" font-size="10" fill="{MUTED}" text-anchor="end">'
                    f"{escape(percent(1.0, 0))}</text>")
    for mark in marks:
        x = left + plot * scaled(mark)
        body.append(f'<line x1="{x:.1f}" y1="16" x2="{x:.1f}" y2="{height - 4:.1f}" stroke="{MUTED}" '
                    f'stroke-dasharray="3 3"/><text x="{x:.1f}" y="12" font-size="10" fill="{MUTED}" '
                    f'text-anchor="middle">{escape(percent(mark, 0))}</text>')
    for i, item in enumerate(bars):
        y = top + i * row
        name = item.label if len(item.label) <= LABEL_CHARS else item.label[:LABEL_CHARS - 1] + "…"
        body.append(f'<g><title>{escape(item.label)}: {escape(item.text)}</title>'
                    f'<text x="{left - 8:.0f}" y="{y + 12:.1f}" font-size="11" fill="{INK}" '
                    f'text-anchor="end">{escape(name)}</text>'
                    f'<rect x="{left:.0f}" y="{y + 3:.1f}" width="{plot:.1f}" height="{row - 6:.1f}" fill="none" '
                    f'stroke="{GRID}"/>')
        if item.value is not None:
            body.append(f'<rect x="{left:.0f}" y="{y + 3:.1f}" width="{plot * scaled(item.value):.1f}" '
                        f'height="{row - 6:.1f}" fill="{COLOURS[item.light]}"/>')
        body.append(f'<text x="{left + plot + 6:.0f}" y="{y + 12:.1f}" font-size="11" fill="{INK}">'
                    f'{escape(item.text)}</text></g>')
    return _svg(width, height, label, body, "bars")


# --- line over time --------------------------------------------------------------------------------

def line_chart(points: Sequence[tuple[dt.datetime, float | None]], label: str, *, start: dt.datetime,
               end: dt.datetime, marks: Sequence[float] = (), step: dt.timedelta = dt.timedelta(hours=1),
               width: float = 720, height: float = 200) -> Markup:
    """Values 0..1 over time as an area with a line; gaps where points are missing (more than `step`
    apart). A tick and a date per day (Europe/Berlin), 0–100 % on the left, dashed threshold lines. A day's
    date stands right of its tick; the last one, close to the end when the day has just begun, gets room
    beyond the plot (the chart is drawn that much wider) instead of being cut."""
    left, right, top, bottom = 44.0, 10.0, 10.0, 30.0
    plot_w, plot_h = width - left - right, height - top - bottom
    span = (end - start).total_seconds() or 1.0

    def x(at: dt.datetime) -> float:
        return left + plot_w * (at - start).total_seconds() / span

    def y(value: float) -> float:
        return top + plot_h * (1 - min(max(value, 0.0), 1.0))

    body = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        body.append(f'<line x1="{left:.0f}" y1="{y(tick):.1f}" x2="{width - right:.0f}" y2="{y(tick):.1f}" '
                    f'stroke="{GRID}"/><text x="{left - 6:.0f}" y="{y(tick) + 4:.1f}" font-size="10" '
                    f'fill="{MUTED}" text-anchor="end">{escape(percent(tick, 0))}</text>')
    for mark in marks:
        body.append(f'<line x1="{left:.0f}" y1="{y(mark):.1f}" x2="{width - right:.0f}" y2="{y(mark):.1f}" '
                    f'stroke="{MUTED}" stroke-dasharray="4 3"/>')
    canvas = width
    midnight = start.astimezone(BERLIN).replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    while midnight < end:
        text = day(midnight.date())
        body.append(f'<line x1="{x(midnight):.1f}" y1="{top:.0f}" x2="{x(midnight):.1f}" y2="{top + plot_h + 4:.1f}" '
                    f'stroke="{GRID}"/><text x="{x(midnight) + 3:.1f}" y="{height - 12:.0f}" font-size="10" '
                    f'fill="{MUTED}">{escape(text)}</text>')
        canvas = max(canvas, x(midnight) + 3 + len(text) * 10 * LABEL_EM + 2)
        midnight = (midnight + dt.timedelta(days=1, hours=2)).replace(hour=0)  # DST-safe next midnight
    runs: list[list[tuple[dt.datetime, float]]] = []
    previous: dt.datetime | None = None
    for at, value in points:
        if value is None:
            previous = None
            continue
        if previous is None or at - previous > step:
            runs.append([])
        runs[-1].append((at, value))
        previous = at
    for run in runs:
        line = " ".join(f"{x(at):.1f},{y(v):.1f}" for at, v in run)
        base = f"{x(run[-1][0]):.1f},{y(0):.1f} {x(run[0][0]):.1f},{y(0):.1f}"
        body.append(f'<polygon points="{line} {base}" fill="{COLOURS[Light.GREEN]}" fill-opacity="0.18"/>'
                    f'<polyline points="{line}" fill="none" stroke="{COLOURS[Light.GREEN]}" stroke-width="1.5"/>')
    if not runs:
        body.append(f'<text x="{left + plot_w / 2:.0f}" y="{top + plot_h / 2:.0f}" font-size="12" fill="{MUTED}" '
                    f'text-anchor="middle">–</text>')
    return _svg(round(canvas), height, label, body, "line")
