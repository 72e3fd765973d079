"""A rule is stated once: no rule message is written out in two modules.

A rule message is what a refusal says about a field ("must not be empty", "unknown county"): an English
message id that starts with a lower-case letter, written as a literal in `N_`, `_`, `gettext` or
`ngettext`, or as the message of a `FieldError`, a `CellError` or an `.error(field, message)` call.
When two modules write the same one, the rule is stated twice and the two copies drift apart; one
module defines it (a constant, better a function that checks the rule, e.g. in `schoolit/rules.py`,
`schoolit/limits.py`, `schoolit/lists.py` or the owning domain) and the others use it.

Label registries (`choices.py`, `fields.py`, `accounts/audit_labels.py`) name values and fields, not
refusals, and are not counted. `SHARED_WORDS` lists the few messages that stand in two modules because
they are two different rules that happen to use the same words, each with its reason.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "schoolit"
LABEL_REGISTRIES = {"choices.py", "fields.py", "audit_labels.py"}
MESSAGE_FUNCTIONS = {"N_", "_", "gettext", "ngettext"}

# message -> why its modules state different rules with the same words. Only add with a reason.
SHARED_WORDS: dict[str, str] = {}


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _called(node: ast.Call) -> str:
    if isinstance(node.func, ast.Name):
        return node.func.id
    return node.func.attr if isinstance(node.func, ast.Attribute) else ""


def rule_messages(source: str) -> set[str]:
    """The rule messages a module's source writes out."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = _called(node)
        texts: list[str | None] = []
        if name in MESSAGE_FUNCTIONS:
            texts.append(_literal(node.args[0]))
        if name == "FieldError" and len(node.args) >= 2:
            texts.append(_literal(node.args[1]))
        if name == "error" and len(node.args) >= 2:  # f.error(field, message), parsed.error(row, field, message)
            texts.append(_literal(node.args[-1]))
        if name == "CellError":
            texts.append(_literal(node.args[0]))
        found.update(text for text in texts if text and text[0].islower())
    return found


def stated_twice() -> dict[str, list[str]]:
    modules: dict[str, list[str]] = defaultdict(list)
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "piccolo_migrations" in relative.parts or relative.name in LABEL_REGISTRIES:
            continue
        for message in rule_messages(path.read_text()):
            modules[message].append(relative.as_posix())
    return {message: found for message, found in modules.items() if len(found) > 1}


def test_no_rule_message_is_stated_in_two_modules() -> None:
    twice = {message: modules for message, modules in stated_twice().items() if message not in SHARED_WORDS}
    assert not twice, "rule messages written out in more than one module (define each once and use it): " + \
        "; ".join(f"{message!r} in {', '.join(modules)}" for message, modules in sorted(twice.items()))


def test_the_shared_words_are_still_shared() -> None:
    gone = sorted(set(SHARED_WORDS) - set(stated_twice()))
    assert not gone, f"no longer in two modules, remove them from SHARED_WORDS: {gone}"


def test_the_scan_finds_messages_in_every_form() -> None:
    source = '''
UNKNOWN = N_("unknown thing")
errors.append(FieldError("name", "must be short"))
f.error("id", N_("no such id"))
parsed.error(3, "room", problem)  # a field name, not a message
raise CellError(N_("a value is wanted"))
label = N_("Name")  # a label, not a rule
'''
    assert rule_messages(source) == {"unknown thing", "must be short", "no such id", "a value is wanted"}
