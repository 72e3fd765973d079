"""The one flow of a posted form (schoolit/form_flow.py): the columns' problems and the handler's checks
gathered one reason per field, the service called only when there are none, its refusals turned into the
same answer in the request's language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Request

from schoolit import form_flow, rules
from schoolit.errors import Conflict, FieldError, ValidationFailed
from schoolit.kernel import form_limits
from schoolit.kernel.i18n import current_locale


@pytest.fixture(autouse=True)
def german() -> Iterator[None]:
    token = current_locale.set("de")
    yield
    current_locale.reset(token)


def posted(problems: dict[str, str] | None = None) -> Request[Any, Any, Any]:
    """A posted request; `problems`: what the input limits left for a route declared `at_fields`."""
    scope: Any = {"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b"", "state": {}}
    request: Request[Any, Any, Any] = Request(scope=scope)
    if problems:
        form_limits.keep_form_problems(request, problems)
    return request


class Service:
    """A service's stand-in that counts its calls and answers or refuses as told."""

    def __init__(self, answer: Any = None, refusal: Exception | None = None) -> None:
        self.calls, self.answer, self.refusal = 0, answer, refusal

    async def __call__(self) -> Any:
        self.calls += 1
        if self.refusal is not None:
            raise self.refusal
        return self.answer


async def test_a_form_without_problems_is_saved() -> None:
    save = Service(answer={"id": 7})
    outcome = await form_flow.attempt(posted(), save)
    assert outcome == form_flow.Saved({"id": 7}) and save.calls == 1


async def test_a_field_left_to_the_service_is_its_to_judge() -> None:
    """The fault form's school number: " 51600 " is longer than its column and still a school (the service
    strips it), and "516001" gets the service's reason beside the form's other problems."""
    save = Service(answer="saved")
    assert await form_flow.attempt(posted({"school_number": "höchstens 5 Zeichen"}), save,
                                   left_to_service=("school_number",)) == form_flow.Saved("saved")
    refusing = Service(refusal=ValidationFailed([FieldError("school_number", "five digits"),
                                                 FieldError("description", rules.REQUIRED)]))
    outcome = await form_flow.attempt(posted({"school_number": "höchstens 5 Zeichen", "room": "höchstens 60 Zeichen"}),
                                      refusing, left_to_service=("school_number",))
    assert isinstance(outcome, form_flow.Refused) and refusing.calls == 0
    assert outcome.errors == {"room": "höchstens 60 Zeichen"}  # another column's problem still stops the form
    outcome = await form_flow.attempt(posted({"school_number": "höchstens 5 Zeichen"}), refusing,
                                      left_to_service=("school_number",))
    assert isinstance(outcome, form_flow.Refused) and refusing.calls == 1
    assert outcome.errors == {"school_number": "fünf Ziffern", "description": "Pflichtfeld"}


async def test_the_columns_and_the_checks_are_shown_at_once_and_nothing_is_saved() -> None:
    save = Service()
    outcome = await form_flow.attempt(posted({"note": "höchstens 300 Zeichen"}), save,
                                      found=[FieldError("minutes", rules.WHOLE_NUMBER)])
    assert isinstance(outcome, form_flow.Refused) and outcome.status == 422 and save.calls == 0
    assert outcome.errors == {"note": "höchstens 300 Zeichen", "minutes": "muss eine ganze Zahl sein"}


async def test_one_reason_per_field_the_columns_unless_the_checks_come_first() -> None:
    column = {"locale": "höchstens 5 Zeichen"}
    checks = [FieldError("locale", rules.NOT_ALLOWED), FieldError("locale", rules.REQUIRED)]
    by_default = await form_flow.attempt(posted(column), Service(), found=checks)
    assert isinstance(by_default, form_flow.Refused) and by_default.errors == column
    first = await form_flow.attempt(posted(column), Service(), found=checks, checks_first=True)
    assert isinstance(first, form_flow.Refused) and first.errors == {"locale": "kein zulässiger Wert"}


async def test_the_service_refusal_is_in_the_request_language_with_its_labels() -> None:
    refusal = ValidationFailed([FieldError("name", rules.REQUIRED, "Name"), FieldError("ids", "CLSKIB000: verliehen"),
                                FieldError("ids", "CLSKIB001: verliehen")])
    outcome = await form_flow.attempt(posted(), Service(refusal=refusal))
    assert isinstance(outcome, form_flow.Refused) and outcome.status == 422 and not outcome.problem
    assert outcome.found == (FieldError("name", "Pflichtfeld", "Name"), FieldError("ids", "CLSKIB000: verliehen"),
                             FieldError("ids", "CLSKIB001: verliehen"))  # every one, for a list of them


async def test_a_conflict_is_shown_on_the_page_only_when_asked() -> None:
    with pytest.raises(Conflict):
        await form_flow.attempt(posted(), Service(refusal=Conflict(rules.TAKEN)))
    outcome = await form_flow.attempt(posted(), Service(refusal=Conflict(rules.TAKEN)), conflict=True)
    assert outcome == form_flow.Refused(problem="bereits vergeben", status=409)


def test_the_summary_lists_the_whole_forms_refusal_then_each_field_with_its_label() -> None:
    refused = form_flow.Refused(found=(FieldError("serial", "Pflichtfeld"), FieldError("ids", "CLSKIB000: verliehen"),
                                       FieldError("mac", "keine MAC-Adresse", "MAC address")),
                                problem="das Gerät ist ausgesondert", status=409)
    assert refused.summary({"serial": "Serial number"}) == [
        {"field": "", "label": "", "message": "das Gerät ist ausgesondert"},
        {"field": "serial", "label": "Seriennummer", "message": "Pflichtfeld"},
        {"field": "ids", "label": "", "message": "CLSKIB000: verliehen"},  # no label: a sentence of its own
        {"field": "mac", "label": "MAC-Adresse", "message": "keine MAC-Adresse"}]  # as the service named it
    assert form_flow.Refused().summary({}) == []
