"""Every form the pages offer, posted with awkward text in every field, as an admin, a supporter and a school
contact: the answer is a page (saved, or refused with reasons), never a server error.

The pages are found as a person finds them: from the start page through the links of each page (a bounded
number of addresses, one per shape such as /devices/{id}), and each form is posted once with its hidden fields
as given and every other field holding AWKWARD — percent signs that %-formatting would take for conversions
(templates %-format the messages they translate: a refusal naming the value typed went wrong that way once),
and a value no choice has. Everything runs in the test's rolled-back transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

from tests.integration.accounts.test_login import login
from tests.integration.world import World

AWKWARD = "50 % d%(x)s %"
PAGES_PER_ACTOR = 120
# Each actor's crawl reaches at least these many page shapes and forms (73/81, 51/32 and 22/8 when written).
REACHED = {"admin": (60, 70), "verbund_supporter": (40, 25), "school_contact": (15, 6)}
ACTORS = tuple(REACHED)
# Not followed or posted: leaving the session, files rather than pages, and the API (test_api_fuzz.py).
SKIPPED = re.compile(r"^/(logout|api/|static/|metrics)|\.(csv|pdf|png|ics|svg)(\?|$)|[?&](format|download)=")


@dataclass
class Form:
    action: str
    multipart: bool
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, type, value as given)


class _Page(HTMLParser):
    """The links and post forms of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"])
        elif tag == "form" and a.get("method", "get").lower() == "post":
            self._form = Form(a.get("action", ""), a.get("enctype", "") == "multipart/form-data")
            self.forms.append(self._form)
        elif tag in ("input", "select", "textarea", "button") and self._form is not None and a.get("name"):
            kind = a.get("type", "text") if tag == "input" else tag
            if kind not in ("submit", "button", "reset", "image") or tag == "button":
                self._form.fields.append((a["name"], kind, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def _shape(path: str) -> str:
    """The address with its numbers as placeholders, and the tab it opens (`?section=`): one page of each
    shape is enough."""
    parts = urlsplit(path)
    section = re.search(r"(?:^|&)section=(\w+)", parts.query)
    return re.sub(r"\d+", "{id}", parts.path) + (f"?section={section.group(1)}" if section else "")


def _data(form: Form) -> tuple[dict[str, str], dict[str, tuple[str, bytes, str]]]:
    data: dict[str, str] = {}
    files: dict[str, tuple[str, bytes, str]] = {}
    for name, kind, value in form.fields:
        if kind == "hidden" or name == "_csrf_token":
            data.setdefault(name, value)
        elif kind == "file":
            files[name] = ("notiz.txt", AWKWARD.encode(), "text/plain")
        elif kind == "button":
            data.setdefault(name, value)  # the action a button names (`action=check`)
        else:
            data[name] = AWKWARD
    return data, files


async def _crawl_and_post(client: httpx.AsyncClient, email: str) -> tuple[int, int, list[str]]:
    await login(client, email)
    queue, seen_pages, seen_forms, failures = ["/", "/report"], set(), set(), []
    posted = 0
    while queue and len(seen_pages) < PAGES_PER_ACTOR:
        path = queue.pop(0)
        if _shape(path) in seen_pages or SKIPPED.search(path):
            continue
        seen_pages.add(_shape(path))
        page = await client.get(path)
        if page.status_code >= 500:
            failures.append(f"GET {path}: {page.status_code}")
            continue
        if page.status_code != 200 or "text/html" not in page.headers.get("content-type", ""):
            continue
        parsed = _Page()
        parsed.feed(page.text)
        queue.extend(urljoin(path, link) for link in parsed.links)
        for form in parsed.forms:
            action = urljoin(path, form.action or path)
            if (_shape(action), tuple(sorted(n for n, _k, _v in form.fields))) in seen_forms \
                    or SKIPPED.search(action):
                continue
            seen_forms.add((_shape(action), tuple(sorted(n for n, _k, _v in form.fields))))
            data, files = _data(form)
            answer = await client.post(action, data=data, files=files or None)
            posted += 1
            if answer.status_code >= 500:
                failures.append(f"POST {action} (from {path}): {answer.status_code}")
            if (await client.get("/", follow_redirects=False)).status_code != 200:
                await login(client, email)  # a form that ended the session (a password changed, say)
    return len(seen_pages), posted, failures


async def test_no_form_answers_a_server_error(client: httpx.AsyncClient, world: World) -> None:
    for actor in ACTORS:
        client.cookies.clear()
        pages, posted, failures = await _crawl_and_post(client, world.users[actor]["email"])
        least_pages, least_forms = REACHED[actor]
        assert pages >= least_pages and posted >= least_forms, (actor, pages, posted)  # the crawl went far
        assert not failures, (actor, failures)
