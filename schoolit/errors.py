"""Domain errors raised by services and mapped to HTTP answers in one place (`schoolit.web.errors`)."""

from __future__ import annotations

from dataclasses import dataclass


class ConfigError(Exception):
    """The configuration is unusable; the CLI prints it as one line and exits with code 2."""


class DatabaseUnavailable(Exception):
    """The database cannot be reached; the CLI prints it as one line and exits with code 2."""


class DomainError(Exception):
    """Base for errors a service reports to its caller."""

    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


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
    """One invalid input field and why."""

    field: str
    message: str


class ValidationFailed(DomainError):
    """Input is invalid; every problem is listed with its field."""

    status_code = 422

    def __init__(self, errors: list[FieldError], detail: str = "Validation failed") -> None:
        super().__init__(detail)
        self.errors = errors


class CommandFailed(Exception):
    """A CLI command cannot do what was asked (bad archive, missing tool, non-empty target, ...);
    printed as one line, exit code 2."""
