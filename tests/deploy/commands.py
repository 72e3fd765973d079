"""Checking that a command line written in a deployment file is one the CLI really accepts.

`schoolit ...` is parsed with `schoolit.cli.build_parser()`. `schoolit-probe run ...` is parsed with the
probe agent's own parser once it has a `run` command, and always with the signature agreed for it
(`run --server URL --token-file FILE [--spool DIR] [--concurrency N] [--timeout S]`), which the
deployment files may rely on.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
import tomllib
from pathlib import Path

from schoolit.cli import build_parser as schoolit_parser
from schoolit.probes.agent.cli import build_parser as probe_parser

ROOT = Path(__file__).resolve().parents[2]
OUR_PROGRAMS = ("schoolit", "schoolit-probe")
SHELL_KEYWORDS = {"do", "then", "else", "elif", "if", "while", "until", "!", "{", "("}
REDIRECTION = re.compile(r"\s\d*[<>]+&?\s*\S+")


def console_scripts() -> dict[str, str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]


def _probe_contract() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="schoolit-probe")
    run = parser.add_subparsers(dest="command", required=True).add_parser("run")
    run.add_argument("--server", required=True)
    run.add_argument("--token-file", required=True)
    run.add_argument("--spool")
    run.add_argument("--concurrency", type=int)
    run.add_argument("--timeout", type=float)
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    return {name for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for name in action.choices}


def parsers_for(program: str) -> list[argparse.ArgumentParser]:
    if program == "schoolit":
        return [schoolit_parser()]
    real = probe_parser()
    return [real, _probe_contract()] if "run" in _subcommands(real) else [_probe_contract()]


def parse(argv: list[str]) -> argparse.Namespace:
    """Parse one of our command lines; AssertionError with argparse's complaint when it is not valid."""
    program = Path(argv[0]).name
    assert program in OUR_PROGRAMS, f"{argv[0]} is not a schoolit program"
    assert program in console_scripts(), f"{program} is not an entry point in pyproject.toml"
    namespace = argparse.Namespace()
    for parser in parsers_for(program):
        errors = io.StringIO()
        try:
            with contextlib.redirect_stderr(errors):
                namespace = parser.parse_args(argv[1:])
        except SystemExit:
            raise AssertionError(f"{shlex.join(argv)}: {errors.getvalue().strip()}") from None
    return namespace


def _strip_wrappers(words: list[str]) -> list[str]:
    """Drop leading shell keywords, VAR=value assignments and a `flock [-options] LOCKFILE` wrapper."""
    while words and (words[0] in SHELL_KEYWORDS or ("=" in words[0] and not words[0].startswith(("-", "/")))):
        words = words[1:]
    if words and Path(words[0]).name == "flock":
        words = words[1:]
        while words and words[0].startswith("-"):
            words = words[1:]
        words = words[1:]  # the lock file
    return words


def our_commands(command_line: str) -> list[list[str]]:
    """Every invocation of one of our programs in a shell command line (split at ; && || |; redirections
    are dropped)."""
    lexer = shlex.shlex(REDIRECTION.sub(" ", " " + command_line), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    found: list[list[str]] = []
    current: list[str] = []
    for token in [*lexer, ";"]:
        if token in (";", "&&", "||", "|", "&"):
            words = _strip_wrappers(current)
            if words and Path(words[0]).name in OUR_PROGRAMS:
                found.append(words)
            current = []
        else:
            current.append(token)
    return found
