"""One way to query: raw SQL goes through `schoolit.sql` with `{}` placeholders; only it (and the engine
in `schoolit.db`) acquires connections.

The test reads every module's syntax tree and fails on a module outside `ALLOWED` that acquires a
connection (a pool's `acquire`, `asyncpg.connect`, Piccolo's engine calls, a transaction's own
connection), builds Piccolo query strings or raw queries itself, or writes asyncpg's `$1` placeholders.
`ALLOWED` may only shrink.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import schoolit

ROOT = Path(schoolit.__file__).parent

# Where connections are handled by design.
ALLOWED = {
    "sql.py": "the helper itself",
    "db.py": "the engine: pools, the server check, transactions",
    "replica.py": "the read replica's own pool and its lag sampler on both servers",
    "migrations.py": "raw-SQL migration steps run their DDL on the engine of the migration",
    "ops.py": "backup and restore talk to the server as its owner, outside the app's pool",
}
CONNECTION_ATTRIBUTES = {"acquire", "run_querystring", "run_ddl", "get_new_connection", "fetchval", "fetchrow",
                         "executemany", "copy_records_to_table", "copy_to_table", "copy_from_query",
                         "current_transaction", "start_connection_pool", "pool"}
NUMBERED = re.compile(r"\$\d")


def offences(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if node.attr in CONNECTION_ATTRIBUTES:
                found.append(f"line {node.lineno}: .{node.attr}")
            elif node.attr == "connect" and isinstance(node.value, ast.Name) and node.value.id == "asyncpg":
                found.append(f"line {node.lineno}: asyncpg.connect")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "raw"
              and node.args and isinstance(node.args[0], ast.Constant | ast.JoinedStr)):
            found.append(f"line {node.lineno}: Table.raw")
        elif isinstance(node, ast.Name) and node.id == "QueryString":
            found.append(f"line {node.lineno}: QueryString")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and NUMBERED.search(node.value):
            found.append(f"line {node.lineno}: $n placeholder")
    return found


def test_only_the_helper_acquires_connections_and_numbers_placeholders() -> None:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        name = str(path.relative_to(ROOT))
        if "piccolo_migrations" in path.parts or name in ALLOWED:
            continue
        if problems := offences(ast.parse(path.read_text(), name)):
            found[name] = problems
    assert not found, f"use schoolit.sql (`{{}}` placeholders) instead: {found}"


def test_the_allowed_modules_still_need_it() -> None:
    unneeded = [name for name in ALLOWED if not offences(ast.parse((ROOT / name).read_text()))]
    assert not unneeded, f"remove from ALLOWED: {unneeded}"


def test_the_check_finds_each_kind() -> None:
    source = '''
async def f(db, conn):
    async with db.DB.pool.acquire() as c:
        await c.fetchval("SELECT $1", 1)
    await asyncpg.connect(dsn="x")
    await School.raw("SELECT 1")
    QueryString("SELECT {}", 1)
'''
    kinds = " ".join(offences(ast.parse(source)))
    for kind in (".pool", ".acquire", ".fetchval", "$n placeholder", "asyncpg.connect", "Table.raw", "QueryString"):
        assert kind in kinds
