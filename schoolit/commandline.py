"""Helpers for the domains' `schoolit` subcommands: one way to run a command with the database."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from schoolit.settings import Settings

Job = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]
Handler = Callable[[argparse.Namespace, Settings], int]


def with_database(job: Job) -> Handler:
    """A parser handler that runs `job(args)` with the database connected (no pool: one connection)."""

    def handler(args: argparse.Namespace, settings: Settings) -> int:
        from schoolit.db import connected

        async def run() -> int:
            async with connected(settings, pool=False):
                return await job(args)

        return asyncio.run(run())

    return handler
