"""Domain walls hold for SQL too: no module's SQL names a table or view of another domain.

Each domain's tables are its Piccolo tables plus the tables and views its migrations create with raw
SQL (`CREATE TABLE`/`CREATE VIEW` in its piccolo_migrations). A module belongs to the domain package
it lives in (`schoolit/<domain>/...`); modules outside the domain packages (the kernel, `web`,
`dashboards`) own no table. SQL is found in every string literal of a module (docstrings aside, f-string
parts included): an upper-case `FROM`, `JOIN`, `INTO`, `UPDATE`, `TABLE`, `REFERENCES`, `ONLY`,
`TRUNCATE` or `COPY` followed by a table name (schema-qualified or quoted too), and in a string that
starts like a statement (`select …`) the same words in lower case; `.sql` files under schoolit/ count as
their directory's module. Piccolo queries are held by imports: only a domain's own tables.py (its foreign
keys) and piccolo_app.py import another domain's Piccolo tables, so a query builder cannot reach a
foreign table either. (Table names put together at run time are not seen.) Every domain is checked:
the apps' (accounts, inventory, tickets, probes) modules against the others' tables, and modules outside
them (dashboards, the kernel, web, the top-level modules) against all tables.
Domains offer read functions for what others need (e.g. `accounts.directory`, `inventory.figures`,
`inventory.services.school_summary`, `probes.figures`, `tickets.reports.county_figures`), and views
for lists that show, search or sort by another domain's labels inside one statement: the views named
in `PUBLISHED_VIEWS` of the owner's tables.py (`county_directory`, `user_directory`,
`school_directory`) may be named by anyone.

KNOWN_CROSSINGS lists the reads that remain, each with its reason; a crossing that is not listed fails,
and so does a listed one that is gone (so the list only shrinks).
"""

from __future__ import annotations

import ast
import importlib
import re
from collections import defaultdict
from pathlib import Path

from schoolit.piccolo_conf import APP_REGISTRY

ROOT = Path(__file__).resolve().parents[2] / "schoolit"
_KEYWORDS = r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE|REFERENCES|ONLY|TRUNCATE|COPY)\s+(?:public\.)?\"?([a-z_][a-z0-9_]*)"
_REFERENCE = re.compile(_KEYWORDS)
_REFERENCE_ANY_CASE = re.compile(_KEYWORDS, re.IGNORECASE)
_STATEMENT = re.compile(r"^\s*\(?\s*(?:select|insert|update|delete|with|copy|create|alter|lock|truncate)\s",
                        re.IGNORECASE)
_CREATED = re.compile(r"CREATE\s+(?:TABLE|VIEW|MATERIALIZED\s+VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z_][a-z0-9_]*)",
                      re.IGNORECASE)

# (module, table): why the module still reads another domain's table: the probes' figures are about
# inventory assets and join their states with them inside one statement (the derivation pass and ingest
# are hot paths), the scheduler's table lives in the accounts app, and the demo seeds across domains. The
# way out is a view or read function of the owner (docs/architecture.md, "Domains and how they call
# each other").
KNOWN_CROSSINGS: dict[tuple[str, str], str] = {
    # probes -> inventory: probe figures are about inventory assets, joined in the same statement.
    ("probes/derivation.py", "access_point"): "derivation pass: an asset's county and school (hot path)",
    ("probes/derivation.py", "uplink"): "derivation pass: an asset's county and school (hot path)",
    ("probes/access_point_pass.py", "access_point"): "derivation pass: an access point's school (hot path)",
    ("probes/ingest.py", "access_point"): "ingest: which reported assets are visible to the probe (hot path)",
    ("probes/ingest.py", "uplink"): "ingest: which reported assets are visible to the probe (hot path)",
    ("probes/outages.py", "access_point"): "outage check: monitored means an active access point",
    ("probes/outages.py", "uplink"): "outage check: monitored means a live uplink",
    ("probes/figures.py", "access_point"): "live coverage and a school's network section join states to assets",
    ("probes/figures.py", "access_point_room"): "live coverage: which access points cover a room",
    ("probes/figures.py", "room"): "live coverage of teaching rooms, per school and per county",
    ("probes/figures.py", "uplink"): "a school's network section: its lines with their states",
    # the kernel's scheduler keeps its own table, registered in the accounts app (a kernel module has no app).
    ("jobs.py", "job_run"): "the scheduler's own records (schoolit/jobs.py is their only reader and writer)",
    # demo seeding builds a world across domains (never run in production).
    ("probes/demo.py", "access_point"): "demo: points the simulated access points at the simulator",
    ("probes/demo.py", "uplink"): "demo: points the simulated uplink at the simulator",
    ("probes/demo.py", "school"): "demo: the simulated county's management network",
    ("probes/demo.py", "snmp_profile"): "demo: the simulator's SNMP profile",
    ("probes/demo.py", "probe"): "demo: the demo probe's registration",
}


def _published() -> set[str]:
    """Views the owners publish for other domains' SQL (`PUBLISHED_VIEWS` in a domain's tables.py)."""
    published: set[str] = set()
    for module_name in APP_REGISTRY.apps:
        tables = importlib.import_module(module_name.removesuffix("piccolo_app") + "tables")
        published.update(getattr(tables, "PUBLISHED_VIEWS", ()))
    return published


def _owners() -> dict[str, str]:
    owners: dict[str, str] = {}
    for module_name in APP_REGISTRY.apps:
        config = importlib.import_module(module_name).APP_CONFIG
        for table in config.table_classes:
            owners[table._meta.tablename] = config.app_name
        for migration in Path(config.resolved_migrations_folder_path).glob("*.py"):
            for match in _CREATED.finditer(migration.read_text()):
                owners[match.group(1).lower()] = config.app_name
    return owners


def _sql_strings(tree: ast.Module) -> list[tuple[int, str]]:
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    parts = {id(value) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for value in node.values}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.append((node.lineno, "".join(v.value if isinstance(v, ast.Constant) else " {} " for v in node.values
                                               if isinstance(v, ast.Constant | ast.FormattedValue))))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings | parts:
            found.append((node.lineno, node.value))
    return found


def _crossings() -> dict[tuple[str, str], list[str]]:
    owners = _owners()
    published = _published()
    domains = set(owners.values())
    crossings: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "piccolo_migrations" in relative.parts:
            continue
        domain = relative.parts[0] if len(relative.parts) > 1 and relative.parts[0] in domains else None
        for line, text in _sql_strings(ast.parse(path.read_text(), str(path))):
            for table in _tables_named(text):
                owner = owners.get(table)
                if owner is not None and owner != domain and table not in published:
                    crossings[(relative.as_posix(), table)].append(f"line {line}: {owner}'s table {table}")
    for path in sorted(ROOT.rglob("*.sql")):
        relative = path.relative_to(ROOT)
        if "piccolo_migrations" in relative.parts:
            continue
        domain = relative.parts[0] if len(relative.parts) > 1 and relative.parts[0] in domains else None
        for table in _tables_named(path.read_text()):
            owner = owners.get(table)
            if owner is not None and owner != domain and table not in published:
                crossings[(relative.as_posix(), table)].append(f"{owner}'s table {table}")
    return crossings


def _tables_named(text: str) -> list[str]:
    """The table names a piece of SQL names: after upper-case keywords anywhere, after keywords in any
    case in a string that is a statement (lower-case SQL; prose such as "counts from school data" is
    not one)."""
    pattern = _REFERENCE_ANY_CASE if _STATEMENT.match(text) else _REFERENCE
    return [match.group(1).lower() for match in pattern.finditer(text)]


def _foreign_table_imports() -> list[str]:
    """Imports of another domain's Piccolo tables outside the places that declare the schema."""
    domains = {module.split(".")[1] for module in APP_REGISTRY.apps}
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "piccolo_migrations" in relative.parts or relative.name in {"tables.py", "piccolo_app.py"}:
            continue
        domain = relative.parts[0] if len(relative.parts) > 1 and relative.parts[0] in domains else None
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            modules: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            for module in modules:
                parts = module.split(".")
                if (len(parts) >= 3 and parts[0] == "schoolit" and parts[1] in domains and parts[2] == "tables"
                        and parts[1] != domain):
                    found.append(f"schoolit/{relative.as_posix()}:{node.lineno}: {module}")
    return found


def test_no_module_queries_another_domains_piccolo_tables() -> None:
    found = _foreign_table_imports()
    assert not found, "Piccolo tables of another domain imported (offer a read function in the owner):\n" + "\n".join(
        sorted(set(found)))


def test_no_module_names_another_domains_table_in_sql() -> None:
    crossings = _crossings()
    unexpected = {key: places for key, places in crossings.items() if key not in KNOWN_CROSSINGS}
    assert not unexpected, "SQL naming another domain's table (offer a read function in the owner):\n" + "\n".join(
        f"  schoolit/{module}: {', '.join(places)}" for (module, _table), places in sorted(unexpected.items()))
    gone = sorted(set(KNOWN_CROSSINGS) - set(crossings))
    assert not gone, f"listed in KNOWN_CROSSINGS but no longer there (remove them): {gone}"


def test_the_check_sees_a_crossing() -> None:
    """The parser finds table names in the SQL shapes the code uses (and not in prose or docstrings)."""
    tree = ast.parse('"""Reads FROM school in a docstring."""\n'
                     'table = "ticket"\n'
                     'A = "SELECT c.slug FROM ticket t JOIN county c ON c.id = t.county_id"\n'
                     'B = f"UPDATE probe SET x = 1 WHERE {table} AND id IN (SELECT id FROM room)"\n'
                     'C = "counts from school data"\n')
    names = [name for _line, text in _sql_strings(tree) for name in _tables_named(text)]
    assert names == ["ticket", "county", "probe", "room"]
    assert _tables_named('select * from public."school" s join room r on r.school_id = s.id') == ["school", "room"]
    assert _tables_named("WITH x AS (SELECT 1) DELETE FROM ticket_event") == ["ticket_event"]
    assert _tables_named("read from school data") == []
    owners = _owners()
    assert owners["school"] == "inventory" and owners["audit_log"] == "accounts"
    assert owners["probe_rollup_days"] == "probes"  # a view made by a raw migration
