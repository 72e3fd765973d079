"""Dates and times as people in Germany read them: DD.MM.YYYY ("07.12.2026", always two digits for day and
month, on every page), Europe/Berlin, with the zone named where it could be misread (shared by the templates
and the CSV files of the lists)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from schoolit.kernel.i18n import N_, gettext

BERLIN = ZoneInfo("Europe/Berlin")
# Time zone names in the page's language (Central European (Summer) Time).
ZONE_NAMES = {"CET": N_("CET"), "CEST": N_("CEST")}
DAY_FORMAT = "%d.%m.%Y"


def day_text(value: dt.date | None, missing: str = "–") -> str:
    """A date as pages show it, "07.12.2026"; `missing` for none (a moment: its date as stored, see
    `berlin_time` for a moment's Berlin date and time)."""
    return value.strftime(DAY_FORMAT) if value else missing


def berlin_time(moment: dt.datetime | None, *, seconds: bool = False, zone: bool = True) -> str:
    """A stored moment as people in Germany read it: Europe/Berlin, with the zone named (MEZ/MESZ)
    where a bare time could be taken for UTC (logs, tokens, users)."""
    if moment is None:
        return "–"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(BERLIN)
    text = local.strftime(DAY_FORMAT + (" %H:%M:%S" if seconds else " %H:%M"))
    if not zone:
        return text
    name = local.strftime("%Z")
    return f"{text} {gettext(ZONE_NAMES[name]) if name in ZONE_NAMES else name}"
