"""The one flow of a page's posted form: checked at once, saved, or shown again with each reason at its field.

A page handler states only what is its own — its checks of what the service cannot see (a number typed as
text, two passwords that differ), the service call, and how its page is drawn — and `attempt` does the rest:
the values too long for their columns (`schoolit.kernel.form_limits.form_problems`, for a route declared
`at_fields`) and the handler's checks are gathered, one reason per field; if there are none the service is
called, and its `ValidationFailed` becomes the same kind of answer. The handler shows a `Refused` form again
with what was typed (422 — 409 for a conflict it asks to show on the page), nothing saved, or goes on with
the `Saved` value. A refused form opens with its error summary (`summary`, the macro `error_summary` of
`web/_form.html`), where the reader is taken.

It lives outside `web` and `kernel` because every domain's pages use it (accounts may not import web, and
the kernel imports nothing of schoolit outside itself, the errors included).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from schoolit.errors import Conflict, FieldError, ValidationFailed
from schoolit.kernel import form_limits
from schoolit.kernel.i18n import gettext

T = TypeVar("T")


@dataclass(frozen=True)
class Saved(Generic[T]):
    """The form was taken: what the service answered."""

    value: T


@dataclass(frozen=True)
class Refused:
    """The form is shown again, nothing saved: each problem at its field (`found`, the reasons in the
    request's language, the labels as the service named them), or — a conflict with what is stored — one
    `problem` about the whole form; `status` is the page's answer."""

    found: tuple[FieldError, ...] = ()
    problem: str = ""
    status: int = 422

    @property
    def errors(self) -> dict[str, str]:
        """The reason at each field (field -> text in the request's language)."""
        return {error.field: error.message for error in self.found}

    def summary(self, labels: Mapping[str, str]) -> list[dict[str, str]]:
        """The form's error summary (`summary`): the problem of the whole form first, then each field's."""
        return summary(self.found, labels, (self.problem,) if self.problem else ())


def _shown(errors: Iterable[FieldError]) -> tuple[FieldError, ...]:
    """The errors with their reasons in the request's language (message ids are translated; a text in it
    already, as the column limits give it, stays as it is)."""
    return tuple(FieldError(e.field, gettext(e.message), e.label) for e in errors)


def _one_each(columns: Iterable[FieldError], checks: Iterable[FieldError], checks_first: bool) -> list[FieldError]:
    """One reason per field, in the order the fields were found: the column's, unless the handler's own
    check names the problem better (`checks_first`)."""
    merged: dict[str, FieldError] = {}
    for error in columns:
        merged.setdefault(error.field, error)
    checked: set[str] = set()
    for error in checks:
        if error.field not in checked and (checks_first or error.field not in merged):
            merged[error.field] = error
        checked.add(error.field)
    return list(merged.values())


async def attempt(request: Any, save: Callable[[], Awaitable[T]], *, found: Iterable[FieldError] = (),
                  checks_first: bool = False, conflict: bool = False,
                  left_to_service: Iterable[str] = ()) -> Saved[T] | Refused:
    """Save a posted form, or say why not (see the module doc).

    `found`: the handler's own checks of the form; `save` is not called when they, or the columns, find a
    problem. `checks_first`: a check's reason replaces the column's at the same field (a choice among known
    values is "unknown language", whatever its length); otherwise the column's stands ("at most 80
    characters"). `conflict`: a `Conflict` of the service is shown on the page (409) instead of the error
    page. `left_to_service`: fields whose columns' problems the service states itself, beside the form's
    other problems, because it stores nothing of them as typed (the fault form's school number, stripped
    and looked up: " 51600 " is a school, "516001" "five digits")."""
    left = set(left_to_service)
    columns = [FieldError(field, message) for field, message in form_limits.form_problems(request).items()
               if field not in left]
    if problems := _one_each(columns, found, checks_first):
        return Refused(_shown(problems))
    try:
        return Saved(await save())
    except ValidationFailed as exc:
        return Refused(_shown(exc.errors))
    except Conflict as exc:
        if not conflict:
            raise
        return Refused(problem=exc.shown(), status=exc.status_code)


def summary(errors: Iterable[FieldError], labels: Mapping[str, str],
            whole: Iterable[str] = ()) -> list[dict[str, str]]:
    """What a refused form's error summary lists (`error_summary` in `web/_form.html`), in the request's
    language: first the refusals of the whole form (`whole`, such as a conflict: sentences of their own), then
    each field's label (`labels`: field -> message id, else the label the service named) and reason in the
    order of `errors` (a form lists its fields in the order it shows them). An error of a field without a
    label is shown as a sentence too."""
    shown = [{"field": "", "label": "", "message": gettext(message)} for message in whole]
    for error in errors:
        label = labels.get(error.field) or error.label
        shown.append({"field": error.field, "label": gettext(label) if label else "",
                      "message": gettext(error.message)})
    return shown


def form_summary(labels: Mapping[str, str], errors: Mapping[str, str],
                 general: Iterable[str] = ()) -> list[dict[str, str]]:
    """`summary` of a page's form from the reason at each field (`errors`, as `Refused.errors` gives them):
    `labels` names the form's fields (field -> message id or text) in the order the form shows them; the
    refusals of the whole form (`general`, and a reason at no field of the form) come first."""
    whole = [*general, *(message for field, message in errors.items() if field not in labels)]
    return summary([FieldError(field, errors[field]) for field in labels if field in errors], labels, whole)
