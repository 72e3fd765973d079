"""Domain errors raised by services and mapped to HTTP answers in one place (`schoolit.web.errors`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from schoolit.kernel.i18n import N_, gettext

FIELD_AND_REASON = N_("%(label)s: %(reason)s")


class ConfigError(Exception):
    """The configuration is unusable; the CLI prints it as one line and exits with code 2."""


class DatabaseUnavailable(Exception):
    """The database cannot be reached; the CLI prints it as one line and exits with code 2."""


class DomainError(Exception):
    """Base for errors a service reports to its caller."""

    status_code = 400

    def __init__(self, detail: str, **params: object) -> None:
        """`detail`: an English message id; `params` fill its `%(name)s` places. `detail` keeps the filled
        English text (logs, the command line); pages and problem answers translate `message` with `params`."""
        filled = detail % params if params else detail
        super().__init__(filled)
        self.detail = filled
        self.message, self.params = detail, params

    def shown(self) -> str:
        """The refusal in the current language. Values that are message ids ("open tickets") are translated
        too; names pass through unchanged."""
        return gettext(self.message, **{name: gettext(value) if isinstance(value, str) else value
                                        for name, value in self.params.items()})


class NotFound(DomainError):
    """Unknown, or outside the caller's scope (the two are deliberately indistinguishable)."""

    status_code = 404


class Forbidden(DomainError):
    """The caller's role may not take this action."""

    status_code = 403


class Conflict(DomainError):
    """The action conflicts with the current state (duplicate key, already claimed, ...)."""

    status_code = 409


@dataclass(frozen=True)
class FieldError:
    """One invalid input field and why; `label` is the field's label as its resource describes it (an
    English message id), None to name it by the label registered for its code (`schoolit.kernel.labels`)."""

    field: str
    message: str
    label: str | None = None


class ValidationFailed(DomainError):
    """Input is invalid; every problem is listed with its field."""

    status_code = 422
    detail_lists_errors = False  # the detail only says again what the errors say (a page shows them once)

    def __init__(self, errors: list[FieldError], detail: str = "Validation failed", *,
                 labels: Mapping[str, str] | None = None) -> None:
        """`labels`: the labels of the fields checked, by code, for the errors that bring none."""
        super().__init__(detail)
        self.errors = [e if e.label is not None or not labels or e.field not in labels
                       else FieldError(e.field, e.message, labels[e.field]) for e in errors]


def listed(errors: Iterable[tuple[str, str]]) -> str:
    """Field errors in one line, "Landkreis: muss eine ganze Zahl sein; Status: kein zulässiger Wert": each
    label with its reason, both already in the reader's language."""
    return "; ".join(gettext(FIELD_AND_REASON, label=label, reason=reason) for label, reason in errors)


class CommandFailed(Exception):
    """A CLI command cannot do what was asked (bad archive, missing tool, non-empty target, ...);
    printed as one line, exit code 2."""
