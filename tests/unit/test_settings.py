"""Settings come from the environment; no secret has a production default."""

from __future__ import annotations

import ast
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

import schoolit
from schoolit.accounts.choices import check_settings
from schoolit.errors import ConfigError
from schoolit.settings import load_settings


def test_defaults_without_secret(tmp_path: Path) -> None:
    settings = load_settings({"DATA_DIR": str(tmp_path)})
    assert settings.database_url is None
    assert settings.secret_key is None
    assert (settings.host, settings.port, settings.log_format) == ("127.0.0.1", 8000, "console")
    assert settings.embedded_database_dir == tmp_path / "pg"
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        settings.require_secret_key()


def test_demo_mode_generates_key_once_and_keeps_it(tmp_path: Path) -> None:
    first = load_settings({"DATA_DIR": str(tmp_path), "SCHOOLIT_DEMO": "1"})
    second = load_settings({"DATA_DIR": str(tmp_path), "SCHOOLIT_DEMO": "true"})
    assert first.secret_key and len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_explicit_secret_wins_over_demo_key(tmp_path: Path) -> None:
    key = "k" * 40
    settings = load_settings({"DATA_DIR": str(tmp_path), "SCHOOLIT_DEMO": "1", "SECRET_KEY": key})
    assert settings.require_secret_key() == key
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": "short"}, "at least 32 characters"),
        ({"PORT": "eighty"}, "PORT must be a whole number"),
        ({"PORT": "70000"}, "PORT must be between 1 and 65535"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be one of console, json"),
        ({"SCHOOLIT_DEMO": "maybe"}, "SCHOOLIT_DEMO must be true or false"),
        ({"DB_POOL_MIN": "5", "DB_POOL_MAX": "2"}, "DB_POOL_MAX must not be smaller"),
        ({"METRICS_ALLOW": "10.0.0.0/8, intranet"}, "METRICS_ALLOW must be a comma-separated list"),
        ({"TRUSTED_PROXIES": "10.0.0.300"}, "TRUSTED_PROXIES must be a comma-separated list"),
    ],
)
def test_invalid_values_are_named(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"DATA_DIR": str(tmp_path), **env})


def test_values_are_read(tmp_path: Path) -> None:
    settings = load_settings({
        "DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql://u:p@db/x", "HOST": "0.0.0.0",  # noqa: S104
        "PORT": "9000", "LOG_FORMAT": "JSON", "DEFAULT_LOCALE": "en", "SECURE_COOKIES": "yes",
    })
    assert settings.database_url == "postgresql://u:p@db/x"
    assert (settings.host, settings.port, settings.log_format) == ("0.0.0.0", 9000, "json")  # noqa: S104
    assert settings.default_locale == "en"
    assert settings.secure_cookies is True


def test_networks_are_read(tmp_path: Path) -> None:
    settings = load_settings({
        "DATA_DIR": str(tmp_path), "METRICS_ALLOW": "10.1.2.0/24, 192.0.2.7 ,::1",
        "TRUSTED_PROXIES": "172.16.0.0/12,192.168.0.0/16", "PG_BINDIR": "/usr/lib/postgresql/16/bin",
    })
    assert [str(n) for n in settings.metrics_allow] == ["10.1.2.0/24", "192.0.2.7/32", "::1/128"]
    assert [str(n) for n in settings.trusted_proxies] == ["172.16.0.0/12", "192.168.0.0/16"]
    assert settings.pg_bindir == Path("/usr/lib/postgresql/16/bin")


def test_role_settings_are_read_and_checked_when_the_app_starts(tmp_path: Path) -> None:
    settings = load_settings({"DATA_DIR": str(tmp_path), "REQUIRE_TOTP_ROLES": " Admin, supporter ",
                              "PASSWORD_LOGIN_OFF_ROLES": "authority"})
    assert settings.require_totp_roles == {"admin", "supporter"}
    assert settings.password_login_off_roles == {"authority"}
    check_settings(settings)
    for name in ("REQUIRE_TOTP_ROLES", "PASSWORD_LOGIN_OFF_ROLES"):
        wrong = load_settings({"DATA_DIR": str(tmp_path), name: "admin,janitor"})
        with pytest.raises(ConfigError, match=f"{name} names unknown roles \\(janitor\\)"):
            check_settings(wrong)


def test_the_encryption_key_is_a_setting(tmp_path: Path) -> None:
    assert load_settings({"DATA_DIR": str(tmp_path)}).encryption_key is None
    key = Fernet.generate_key().decode()
    settings = load_settings({"DATA_DIR": str(tmp_path), "ENCRYPTION_KEY": key})
    assert settings.encryption_key == key
    assert key not in repr(settings)


# Modules that touch the process environment for something other than schoolit's own settings: the
# variables of other programs (prometheus_client's multiprocess directory, systemd's state directory of
# the probe agent, the environment handed to pg_dump and snmpd), the Piccolo configuration's module,
# and `schoolit demo` switching demo mode on before the settings are read. Only remove entries.
ENVIRONMENT_USERS = {
    "__init__.py", "cli.py", "metrics.py", "ops.py", "probes/agent/spool.py", "probes/simulators.py",
}


def test_only_the_settings_loader_reads_the_environment() -> None:
    root = Path(schoolit.__file__).parent
    readers = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb")
                    and isinstance(node.value, ast.Name) and node.value.id == "os"):
                readers.add(str(path.relative_to(root)))
    assert "settings.py" in readers
    assert readers - {"settings.py"} <= ENVIRONMENT_USERS, sorted(readers - {"settings.py"} - ENVIRONMENT_USERS)
