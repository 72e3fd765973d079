"""docker-compose.yml, .env.example and the Dockerfile, checked by reading them (no Docker engine runs
in the test environment): the compose file parses, every command is one the CLI accepts, services
start in the right order with health checks, and no secret is written into any of these files."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml

from tests.deploy.commands import ROOT, our_commands, parse

COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|KEY", re.IGNORECASE)
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}
REFERENCE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
ONLY_A_REFERENCE = re.compile(rf"^{REFERENCE.pattern}$")
DSN_PASSWORD = re.compile(r"://[^:/@\s]+:(?P<password>\$\{[^}]*\}|[^@\s]*)@")


def _env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable substitution, the subset this project uses."""

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        value = env.get(name)
        unset_or_empty = not value if op and op.startswith(":") else value is None
        if op and op.endswith("?") and unset_or_empty:
            raise AssertionError(f"compose would stop: {name} {arg}")
        if op and op.endswith("-") and unset_or_empty:
            return arg
        return value or ""

    return REFERENCE.sub(substitute, text.replace("$$", "\0")).replace("\0", "$")


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in (*_strings(key), *_strings(value))]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return [node] if isinstance(node, str) else []


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    # safe_load resolves the `<<: *anchor` merge keys the way compose does.
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def filled_env() -> dict[str, str]:
    """.env.example with its empty secrets filled in, as an operator's .env would be."""
    return {name: value or f"filled-{name.lower()}" for name, value in _env_example().items()}


def test_services_and_volumes(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"db", "migrate", "app", "probe"} <= set(services)
    db = services["db"]
    assert re.match(r"postgres:16(\.|-|$)", db["image"])
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]
    # Named volumes, declared at the top level, hold the database and the attachments.
    assert {"pgdata", "appdata"} <= set(compose["volumes"])
    assert "appdata:/var/lib/schoolit" in services["app"]["volumes"]
    assert services["app"]["environment"]["DATA_DIR"] == "/var/lib/schoolit"


def test_start_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert services["app"]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert services["probe"]["depends_on"] == {"app": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no"


def test_every_command_exists_in_the_cli(compose: dict[str, Any], filled_env: dict[str, str]) -> None:
    seen: dict[str, list[list[str]]] = {}
    for name, service in compose["services"].items():
        if "command" not in service:
            continue
        command = [_interpolate(word, filled_env) for word in service["command"]]
        invocations = our_commands(command[2]) if command[:2] == ["sh", "-c"] else [command]
        assert invocations, f"service {name} runs none of our programs: {command}"
        for argv in invocations:
            parse(argv)
        seen[name] = invocations
    assert seen["migrate"] == [["schoolit", "migrate"]]
    assert parse(seen["app"][0]).workers == int(filled_env["APP_WORKERS"])
    probe = parse(seen["probe"][0])
    assert (probe.command, probe.server, probe.token_file) == ("run", "http://app:8000", "/run/secrets/probe_token")
    # The image's default command, too.
    cmd = re.search(r"^CMD (\[.*\])$", DOCKERFILE.read_text(), re.MULTILINE)
    assert cmd is not None
    parse(yaml.safe_load(cmd.group(1)))


def test_healthchecks(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        check = service.get("healthcheck", {})
        if service.get("restart") == "no":
            assert check == {"disable": True}, f"one-shot service {name} should not be health-checked"
            continue
        assert check.get("test"), f"service {name} has no healthcheck"
        assert not check.get("disable")
    assert any("/health" in part for part in compose["services"]["app"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(compose["services"]["db"]["healthcheck"]["test"])


def test_published_ports_are_loopback_only(compose: dict[str, Any], filled_env: dict[str, str]) -> None:
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert _interpolate(port, filled_env).startswith("127.0.0.1:"), f"{name} publishes {port} publicly"


def test_no_secret_literals(compose: dict[str, Any]) -> None:
    """Passwords and keys appear only as ${VAR} references (or blanked, ""), in environments and inside
    DSNs alike."""
    variables: set[tuple[str, str]] = set()
    for name, service in compose["services"].items():
        for variable, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(variable):
                assert value == "" or ONLY_A_REFERENCE.match(str(value)), \
                    f"{name}: {variable} is a literal, not a ${{VAR}}"
                variables.add((name, variable))
    assert {("db", "POSTGRES_PASSWORD"), ("migrate", "SECRET_KEY"), ("app", "SECRET_KEY")} <= variables
    dsns = 0
    for text in _strings(compose):
        for match in DSN_PASSWORD.finditer(text):
            assert ONLY_A_REFERENCE.match(match["password"]), f"password literal in {text!r}"
            dsns += 1
    assert dsns >= 1
    secret_files = compose["secrets"]
    assert all(set(spec) == {"file"} for spec in secret_files.values())


def test_env_example_documents_every_variable_and_holds_no_secret(compose: dict[str, Any]) -> None:
    example = _env_example()
    referenced = {m["name"] for text in _strings(compose) for m in REFERENCE.finditer(text)}
    assert referenced - set(example) == set(), "variables used by docker-compose.yml but missing in .env.example"
    secrets_ = {name for name in example if SECRET_NAME.search(name)}
    assert {"POSTGRES_PASSWORD", "SECRET_KEY"} <= secrets_
    assert all(example[name] == "" for name in secrets_), "a secret has a value in .env.example"
    # The real .env (and the probe token) must never be committed.
    ignored = subprocess.run(["git", "-C", str(ROOT), "check-ignore", ".env", "secrets/probe_token"],
                             capture_output=True, text=True, check=False)
    assert ignored.stdout.split() == [".env", "secrets/probe_token"]


def test_required_secrets_stop_compose_when_missing(compose: dict[str, Any]) -> None:
    env = {name: value for name, value in _env_example().items() if value}
    texts = [t for t in _strings(compose["services"]["app"]) if "${SECRET_KEY" in t or "${APP_DB_PASSWORD" in t]
    assert len(texts) == 2  # SECRET_KEY and the DSN
    for text in texts:
        with pytest.raises(AssertionError, match="compose would stop"):
            _interpolate(text, env)


def test_the_app_logs_in_as_its_own_role_and_only_migrate_as_the_owner(compose: dict[str, Any],
                                                                        filled_env: dict[str, str]) -> None:
    """#19: the app's role may only append to the audit log; the owner's password reaches only the database
    and the one-shot migrate, never the app (whose env_file .env holds it: blanked) or the probe."""
    from schoolit.settings import load_settings

    services = compose["services"]
    mounted = [volume for volume in services["db"]["volumes"] if "docker-entrypoint-initdb.d" in volume]
    assert mounted and (ROOT / mounted[0].split(":")[0]).is_file()
    assert "schoolit_app" in (ROOT / mounted[0].split(":")[0]).read_text()
    for name in ("app", "migrate"):
        environment = {key: _interpolate(str(value), filled_env)
                       for key, value in services[name]["environment"].items()}
        settings = load_settings({**environment, "SECRET_KEY": "x" * 40})
        assert settings.database_url and "//schoolit_app:" in settings.database_url
        assert environment["POSTGRES_PASSWORD"] == ""
        if name == "migrate":
            assert settings.database_owner_url and "//schoolit:filled-postgres_password@" in settings.database_owner_url
        else:
            assert settings.database_owner_url is None
            assert filled_env["POSTGRES_PASSWORD"] not in " ".join(environment.values())
    assert "POSTGRES_PASSWORD" not in " ".join(_strings(services["probe"]))


def test_dockerfile() -> None:
    text = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM (\S+) AS (\S+)$", text, re.MULTILINE)
    assert [name for _, name in stages] == ["build", "runtime"]
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.MULTILINE)
    assert base is not None and re.fullmatch(r"python:3\.1\d-slim-bookworm", base.group(1))
    runtime = text.split(" AS runtime", 1)[1]
    user = re.findall(r"^USER (\S+)$", runtime, re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*/health", runtime, re.MULTILINE)
    # What the build copies exists, and .dockerignore keeps secrets and local state out of the context.
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.MULTILINE):
        for path in source.split():
            assert (ROOT / path).exists(), f"Dockerfile copies missing {path}"
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    assert {".env", "secrets", ".venv", "data", ".git"} <= set(ignored)
    assert not {"schoolit", "pyproject.toml", "README.md"} & set(ignored)


def test_the_app_runs_the_scheduled_jobs(compose: dict[str, Any], filled_env: dict[str, str]) -> None:
    """The jobs (retention, SLA flags, partitions, sessions) run inside the app: it is `schoolit serve` with
    the scheduler on, as the settings read it, and nothing else in the file runs them instead."""
    from schoolit.settings import load_settings

    app = compose["services"]["app"]
    argv = our_commands(_interpolate(" ".join(app["command"]), filled_env))[0]
    assert parse(argv).handler.__name__ == "cmd_serve"
    environment = {name: _interpolate(str(value), filled_env) for name, value in app["environment"].items()}
    assert load_settings({**environment, "SECRET_KEY": "x" * 40}).scheduler
    # Exactly one service serves with the scheduler: the one-shot migrate does not run jobs.
    assert parse(our_commands(" ".join(compose["services"]["migrate"]["command"]))[0]).handler.__name__ == "cmd_migrate"
