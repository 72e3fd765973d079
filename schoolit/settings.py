"""All configuration, read from the environment once (`get_settings()`): the one loader every setting of
the server goes through — no other module reads the environment for its configuration.

No secret has a built-in default. In demo mode (`SCHOOLIT_DEMO=1`, set by `schoolit demo`) a secret
key is generated once into `DATA_DIR` so a fresh clone runs without any setup.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from schoolit.errors import ConfigError
from schoolit.truth import truth


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.strip():
        return False
    try:
        return truth(raw)
    except ValueError:
        raise ConfigError(f"{name} must be true or false, not {raw!r}") from None


def _int(env: dict[str, str], name: str, default: int, minimum: int = 0, maximum: int = 2**31) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name} must be between {minimum} and {maximum}, not {value}")
    return value


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK = "127.0.0.0/8,::1/128"


def _networks(env: dict[str, str], name: str, default: str) -> tuple[Network, ...]:
    """A comma-separated list of addresses or CIDR networks (a bare address is a /32 or /128)."""
    raw = env.get(name)
    raw = default if raw is None or raw.strip() == "" else raw
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a comma-separated list of IP addresses or networks, not {raw!r}") from None


def _names(env: dict[str, str], name: str) -> frozenset[str]:
    """A comma-separated list of names, lower case (role lists; accounts checks the roles when the app
    starts: `schoolit.accounts.choices.check_settings`)."""
    return frozenset(part.strip().lower() for part in env.get(name, "").split(",") if part.strip())


def _choice(env: dict[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, default).strip().lower() or default
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; see the table in README.md."""

    data_dir: Path
    database_url: str | None
    secret_key: str | None
    # The role that owns the tables and runs `schoolit migrate` (and backup/restore); DATABASE_URL is
    # then the app's role, which owns nothing and may only append to the audit log. Unset: one role.
    database_owner_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    log_format: str = "console"
    log_level: str = "info"
    demo: bool = False
    default_locale: str = "de"
    secure_cookies: bool = False
    session_idle_minutes: int = 60
    db_pool_min: int = 1
    db_pool_max: int = 10
    # A streaming replica for read-only pages (schoolit.replica), and how far behind it may be, in seconds.
    database_read_url: str | None = None
    database_read_max_lag: int = 30
    # Who may read /metrics (others get 404), and whose X-Forwarded-For/-Proto headers are believed.
    metrics_allow: tuple[Network, ...] = field(default_factory=lambda: _networks({}, "", LOOPBACK))
    trusted_proxies: tuple[Network, ...] = field(default_factory=lambda: _networks({}, "", "127.0.0.1"))
    # Directory of pg_dump/pg_restore/psql to use instead of searching (backup and restore).
    pg_bindir: Path | None = None
    # Probe data: raw samples, hourly and daily rollups are kept this many days; an asset down for
    # this many consecutive polls opens an outage ticket. Hourly rollups of access points are kept
    # only for the 24 h figure (a million access points × 8 days of hours would not fit); uplinks keep
    # theirs for the 7-day utilisation chart. Longer windows come from the daily rollups.
    probe_raw_retention_days: int = 14
    probe_hourly_retention_days: int = 8
    probe_ap_hourly_retention_days: int = 1
    probe_daily_retention_days: int = 400
    outage_after_failures: int = 3
    # A closed ticket keeps its reporter's name and e-mail address this many days; then they are erased
    # from the ticket and pseudonymised in the audit log (the ticket-retention job).
    ticket_retention_days: int = 365
    # Days a mail of an unknown sender is kept when it never became a ticket (dismissed, ignored, or left
    # in the triage): then its sender, subject and text are erased (the ticket-retention job).
    mail_triage_retention_days: int = 90
    probe_silent_after_minutes: int = 30
    mdm_silent_after_days: int = 30
    # The in-app scheduler of periodic jobs (schoolit.jobs); off for installations that run
    # `schoolit maintenance due` from a systemd timer or cron instead.
    scheduler: bool = True
    # Outgoing e-mail (ticket notifications); nothing is sent while smtp_host is unset.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_tls: str = "starttls"
    smtp_from: str = "schoolit@localhost"
    # The address people reach this installation at, for links in e-mails (tracking pages).
    public_url: str = "http://127.0.0.1:8000"
    # Roles that must log in with a second factor (TOTP); their users enrol at their next login.
    require_totp_roles: frozenset[str] = frozenset()
    # Roles whose people may not log in with a local password, only through a sign-in provider.
    password_login_off_roles: frozenset[str] = frozenset()
    # A Fernet key for secrets at rest; unset: derived from secret_key (schoolit.encryption).
    encryption_key: str | None = field(default=None, repr=False)

    def require_secret_key(self) -> str:
        """The secret key, or a clear configuration error when none is set."""
        if not self.secret_key:
            raise ConfigError(
                "SECRET_KEY is not set (generate one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self.secret_key

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host)

    @property
    def embedded_database_dir(self) -> Path:
        return self.data_dir / "pg"


def _demo_secret_key(data_dir: Path) -> str:
    """Load, or create once, the demo secret key kept in DATA_DIR (mode 0600)."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping (the process environment by default)."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("DATA_DIR") or "./data").expanduser().resolve()
    demo = _flag(env, "SCHOOLIT_DEMO", False)
    secret_key = env.get("SECRET_KEY") or None
    if secret_key is not None and len(secret_key) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters long")
    if secret_key is None and demo:
        secret_key = _demo_secret_key(data_dir)
    pool_min = _int(env, "DB_POOL_MIN", 1, 0, 100)
    pool_max = _int(env, "DB_POOL_MAX", 10, 1, 500)
    if pool_max < pool_min:
        raise ConfigError("DB_POOL_MAX must not be smaller than DB_POOL_MIN")
    host = env.get("HOST") or "127.0.0.1"
    port = _int(env, "PORT", 8000, 1, 65535)
    smtp_tls = _choice(env, "SMTP_TLS", "starttls", ("starttls", "tls", "off"))
    database_url = env.get("DATABASE_URL") or None
    database_owner_url = env.get("DATABASE_OWNER_URL") or None
    if database_owner_url and not database_url:
        raise ConfigError("DATABASE_OWNER_URL needs DATABASE_URL (the app's role) beside it")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        database_owner_url=database_owner_url,
        secret_key=secret_key,
        host=host,
        port=port,
        log_format=_choice(env, "LOG_FORMAT", "console", ("console", "json")),
        log_level=_choice(env, "LOG_LEVEL", "info", ("debug", "info", "warning", "error")),
        demo=demo,
        default_locale=_choice(env, "DEFAULT_LOCALE", "de", ("de", "en")),
        secure_cookies=_flag(env, "SECURE_COOKIES", False),
        session_idle_minutes=_int(env, "SESSION_IDLE_MINUTES", 60, 5, 24 * 60),
        probe_raw_retention_days=_int(env, "PROBE_RAW_RETENTION_DAYS", 14, 1, 3650),
        probe_hourly_retention_days=_int(env, "PROBE_HOURLY_RETENTION_DAYS", 8, 1, 3650),
        probe_ap_hourly_retention_days=_int(env, "PROBE_AP_HOURLY_RETENTION_DAYS", 1, 1, 3650),
        probe_daily_retention_days=_int(env, "PROBE_DAILY_RETENTION_DAYS", 400, 1, 3650),
        outage_after_failures=_int(env, "OUTAGE_AFTER_FAILURES", 3, 1, 100),
        ticket_retention_days=_int(env, "TICKET_RETENTION_DAYS", 365, 1, 3650),
        mail_triage_retention_days=_int(env, "MAIL_TRIAGE_RETENTION_DAYS", 90, 1, 3650),
        probe_silent_after_minutes=_int(env, "PROBE_SILENT_AFTER_MINUTES", 30, 5, 10080),
        mdm_silent_after_days=_int(env, "MDM_SILENT_AFTER_DAYS", 30, 1, 3650),
        scheduler=_flag(env, "SCHEDULER", True),
        db_pool_min=pool_min,
        db_pool_max=pool_max,
        database_read_url=env.get("DATABASE_READ_URL") or None,
        database_read_max_lag=_int(env, "DATABASE_READ_MAX_LAG", 30, 0, 86400),
        metrics_allow=_networks(env, "METRICS_ALLOW", LOOPBACK),
        trusted_proxies=_networks(env, "TRUSTED_PROXIES", "127.0.0.1"),
        pg_bindir=Path(env["PG_BINDIR"]).expanduser() if env.get("PG_BINDIR") else None,
        smtp_host=env.get("SMTP_HOST") or None,
        smtp_port=_int(env, "SMTP_PORT", 465 if smtp_tls == "tls" else 587, 1, 65535),
        smtp_user=env.get("SMTP_USER") or None,
        smtp_password=env.get("SMTP_PASSWORD") or None,
        smtp_tls=smtp_tls,
        smtp_from=env.get("SMTP_FROM") or "schoolit@localhost",
        public_url=(env.get("PUBLIC_URL") or f"http://{host}:{port}").rstrip("/"),
        require_totp_roles=_names(env, "REQUIRE_TOTP_ROLES"),
        password_login_off_roles=_names(env, "PASSWORD_LOGIN_OFF_ROLES"),
        encryption_key=env.get("ENCRYPTION_KEY") or None,
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return load_settings()
