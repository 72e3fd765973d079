"""The probe agent (`schoolit.probes.agent`) imports nothing of the server.

Every module of the package is imported in a fresh interpreter; the modules that got loaded may be the
agent's own, the neutral `schoolit.snmp_protocols`, the two package `__init__`s on the way
(`schoolit`, `schoolit.probes`) and third-party libraries the agent depends on, never a server
library (litestar, piccolo, asyncpg, babel, …) nor another part of schoolit.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import schoolit.probes.agent

ALLOWED_SCHOOLIT = {"schoolit", "schoolit.probes", "schoolit.snmp_protocols"}
# (jinja2 is no marker: pysnmp's high-level API loads its MIB compiler pysmi, which renders with it)
SERVER_LIBRARIES = {"litestar", "piccolo", "asyncpg", "babel", "uvicorn", "structlog", "argon2"}


def agent_modules() -> list[str]:
    package = schoolit.probes.agent
    return [f"{package.__name__}.{info.name}" for info in pkgutil.iter_modules(package.__path__)
            if info.name != "__main__"]  # __main__ runs the command; it imports only `cli`


def server_imports(*modules: str) -> list[str]:
    """The server modules (schoolit's or a server library's) loaded by importing `modules` afresh."""
    code = "import sys, importlib\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules) + \
        "print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return [m for m in loaded if is_server_module(m)]


def is_server_module(name: str) -> bool:
    if name.split(".")[0] in SERVER_LIBRARIES:
        return True
    own = name in ALLOWED_SCHOOLIT or name == "schoolit.probes.agent" or name.startswith("schoolit.probes.agent.")
    return name.split(".")[0] == "schoolit" and not own


def test_the_agent_package_imports_no_server_module() -> None:
    modules = agent_modules()
    assert {"schoolit.probes.agent.cli", "schoolit.probes.agent.snmp", "schoolit.probes.agent.spool",
            "schoolit.probes.agent.workers", "schoolit.probes.agent.wire"} <= set(modules)
    assert server_imports(*modules) == []


def test_the_check_sees_a_server_import() -> None:
    """Server code (the target list the server builds) is reported, with the framework it brings."""
    found = server_imports("schoolit.probes.targets")
    assert "schoolit.inventory.services" in found and "schoolit.probes.targets" in found
    assert any(m.split(".")[0] == "piccolo" for m in found)
