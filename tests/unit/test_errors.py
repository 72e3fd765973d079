"""Services' refusals (`NotFound`, `Forbidden`, `Conflict`) reach people as the `detail` of a page or a
problem answer, translated there (`schoolit.web.errors.detail_shown`). So each one raises a message id marked
for the catalogs (`N_("device not found")`), a constant holding one, or a text already translated
(`_("…", name=…)`), never a bare string or an f-string, which no catalog can hold."""

from __future__ import annotations

import ast
from pathlib import Path

import schoolit

ROOT = Path(schoolit.__file__).parent
REFUSALS = {"NotFound", "Forbidden", "Conflict", "DomainError"}
# Read by operators on the command line, which speaks English (`schoolit: error: …`), or by the probe agent.
NOT_FOR_PEOPLE = {
    ("accounts/services.py", "unknown county"),  # county_id_by_slug: `--county` of commands
    ("accounts/tenants.py", "unknown county"),  # county_by_slug: `schoolit county …`, the seed
    ("accounts/tenants.py", "unknown arrangement"),  # arrangement_by_slug: `schoolit arrangement …`
    ("tickets/policy.py", "unknown calendar"),  # add_holidays: `schoolit setup` and the demo
    ("inventory/school_commands.py", "unknown school number"),  # `schoolit school update`
    ("probes/schemas.py", "the body is not valid JSON"),  # the probe agent's batch, logged by the agent
}


def _refusals(tree: ast.AST) -> list[ast.Call]:
    """The calls that make a refusal: `NotFound(…)` and the like, and `super().__init__(…)` in a class of
    their own (`class CountyHeld(Conflict)`)."""
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
             and node.func.id in REFUSALS]
    for cls in ast.walk(tree):
        if isinstance(cls, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id in REFUSALS for b in cls.bases):
            calls += [node for node in ast.walk(cls) if isinstance(node, ast.Call)
                      and isinstance(node.func, ast.Attribute) and node.func.attr == "__init__"
                      and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Name)
                      and node.func.value.func.id == "super"]
    return calls


def unmarked(path: Path) -> list[tuple[int, str]]:
    """(line, text) of each refusal in `path` raised with a bare string or an f-string."""
    found = []
    for node in _refusals(ast.parse(path.read_text(encoding="utf-8"))):
        if not node.args:
            continue
        message = node.args[0]
        if isinstance(message, ast.Constant) and isinstance(message.value, str):
            found.append((node.lineno, message.value))
        elif isinstance(message, ast.JoinedStr):
            found.append((node.lineno, "".join(part.value for part in message.values
                                               if isinstance(part, ast.Constant)).strip()))
    return found


def test_every_refusal_is_a_message_id_or_translated() -> None:
    problems = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for line, text in unmarked(path):
            if not any(relative == where and text.startswith(start) for where, start in NOT_FOR_PEOPLE):
                problems.append(f"schoolit/{relative}:{line}: {text!r}")
    assert not problems, "refusals people would read in English; mark them N_(…) and translate:\n" + "\n".join(
        problems)


def test_the_check_finds_bare_strings_and_f_strings(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text('raise NotFound("device not found")\nraise Conflict(f"cannot go to {x}")\n'
                      'raise NotFound(N_("device not found"))\nraise Forbidden(ROLE_MAY_NOT)\n'
                      'raise Conflict(_("cannot go to %(x)s", x=x))\n'
                      'class Held(Conflict):\n    def __init__(self, n):\n        super().__init__(f"{n} open")\n'
                      'class Fine(Conflict):\n    def __init__(self, n):\n'
                      '        super().__init__(N_("%(n)s open"), n=n)\n',
                      encoding="utf-8")
    assert unmarked(source) == [(1, "device not found"), (2, "cannot go to"), (8, "open")]
