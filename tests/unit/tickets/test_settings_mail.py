"""Mail settings: nothing is configured by default; TLS mode and port follow each other."""

from __future__ import annotations

import pytest

from schoolit.errors import ConfigError
from schoolit.settings import load_settings


def test_no_smtp_by_default() -> None:
    settings = load_settings({"DATA_DIR": "data"})
    assert not settings.smtp_configured and settings.smtp_tls == "starttls" and settings.smtp_port == 587
    assert settings.public_url == "http://127.0.0.1:8000"


def test_smtp_from_the_environment() -> None:
    settings = load_settings({"DATA_DIR": "data", "SMTP_HOST": "mail.kreis.example", "SMTP_TLS": "tls",
                              "SMTP_USER": "schulit", "SMTP_PASSWORD": "geheim", "SMTP_FROM": "it@kreis.example",
                              "PUBLIC_URL": "https://support.kreis.example/"})
    assert settings.smtp_configured and settings.smtp_port == 465
    assert settings.public_url == "https://support.kreis.example"
    assert "geheim" not in repr(settings)
    with pytest.raises(ConfigError):
        load_settings({"DATA_DIR": "data", "SMTP_TLS": "maybe"})
