"""Jinja2 set-up shared by every domain: template folders, gettext, and a few globals."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from schoolit import __version__, form_flow, lists
from schoolit.kernel import labels
from schoolit.kernel.i18n import LOCALE_NAMES, current_locale, gettext, translations
from schoolit.kernel.money import euro_text
from schoolit.kernel.navigation import current_user, navigation
from schoolit.kernel.times import berlin_time, day_text

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DOMAINS = ("web", "accounts", "inventory", "tickets", "probes", "dashboards")
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_MAX_AGE = 365 * 24 * 3600  # a versioned static URL never changes its content: a year, `immutable`


@functools.cache
def static_url(path: str) -> str:
    """A static file's URL with its content's digest (`/static/css/app.css?v=1a2b3c4d5e`): browsers keep it
    for a year without asking again, and a release that changes the file changes the URL. Read once per
    process, as the files do not change while it runs."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    return f"/static/{path}?v={digest}"


def template_dirs() -> list[Path | os.PathLike[Any] | str]:
    """`templates/` of every domain package that has one (each holds `templates/<domain>/...`)."""
    return [PACKAGE_DIR / d / "templates" for d in DOMAINS if (PACKAGE_DIR / d / "templates").is_dir()]


def sentence(text: object) -> str:
    """A message as a sentence on its own (a refusal in its box, an error page's detail): its first letter
    upper case. Services word their refusals to be read mid-sentence too ("the county leads …"), as the API
    answers them."""
    shown = str(text)
    return shown[:1].upper() + shown[1:]


def _ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural translation, unfilled: Jinja's newstyle `ngettext` fills it with `num` (the
    count, unless the call names another `num`) and any other named value, e.g.
    `ngettext("%(live)s of %(num)s room", "%(live)s of %(num)s rooms", total, live=...)`.
    `i18n.ngettext` would fill in the bare count alone first and fail on the other names."""
    return translations(current_locale.get()).ngettext(singular, plural, n)


def _configure(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        app_version=__version__,
        locale_names=LOCALE_NAMES,
        current_locale=current_locale.get,
        navigation=navigation,
        current_user=current_user,
        static_url=static_url,  # /static/... with its content's digest, cached for a year
        berlin_time=berlin_time,
        day_text=day_text,  # a date as DD.MM.YYYY (schoolit.kernel.times)
        # A refused form's error summary from its reasons at the fields (pages that pass only `errors`):
        # form_summary({field: label, ...} in the form's order, errors, [whole-form refusals]).
        form_summary=form_flow.form_summary,
        euros=euro_text,  # cents as the page's language writes euros, "1.234,50 €" (schoolit.kernel.money)
        field_label=labels.shown,  # a field code as people read it (schoolit.kernel.labels)
        search_length=lists.SEARCH_LENGTH,  # the most characters a list's search box takes
    )
    env.filters["sentence"] = sentence
    env.trim_blocks = True
    env.lstrip_blocks = True


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=template_dirs(), engine=JinjaTemplateEngine, engine_callback=_configure)
