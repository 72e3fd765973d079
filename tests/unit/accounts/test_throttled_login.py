"""The error of a throttled login step says when to try again: whole minutes, one at least, in the
singular for one."""

from __future__ import annotations

from schoolit.accounts.credential_pages import too_many_attempts
from schoolit.kernel.i18n import current_locale


def test_one_minute_and_several() -> None:
    token = current_locale.set("de")
    try:
        assert too_many_attempts(20) == ("Zu viele fehlgeschlagene Versuche. Bitte versuchen Sie es in 1 Minute "
                                         "erneut.")
        assert too_many_attempts(600) == ("Zu viele fehlgeschlagene Versuche. Bitte versuchen Sie es in 10 Minuten "
                                          "erneut.")
        current_locale.set("en")
        assert too_many_attempts(90) == "Too many failed attempts. Please try again in 2 minutes."
        assert too_many_attempts(60) == "Too many failed attempts. Please try again in 1 minute."
    finally:
        current_locale.reset(token)
