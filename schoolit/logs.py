"""Structured logging (structlog): console lines for people, JSON lines with LOG_FORMAT=json.

Every line logged while a request is handled carries its `request_id` (bound by the request-id
middleware in `schoolit.web.middleware`). Secrets that travel in paths (tracking tokens, one-time
links) never reach a log line: every `path` value is redacted on the way out (`redact_path`).
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

import structlog

from schoolit.settings import Settings

# A path segment that is a secret: our tokens by their prefix, or any long random-looking string
# (20 or more URL-safe characters with a digit and a letter: slugs and names have no such run).
_SECRET_SEGMENT = re.compile(r"(?<=/)(?:(?:trk|sit)_[^/]+|(?=[^/]*[0-9])(?=[^/]*[A-Za-z])[A-Za-z0-9_-]{20,})(?=/|$)")
REDACTED = "[redacted]"


def redact_path(path: str) -> str:
    """The path with secret segments replaced: `/track/trk_abc…` -> `/track/[redacted]`."""
    return _SECRET_SEGMENT.sub(REDACTED, path)


def _redact_paths(logger: object, name: str, event: structlog.typing.EventDict) -> structlog.typing.EventDict:
    for key in ("path", "url"):
        if isinstance(event.get(key), str):
            event[key] = redact_path(event[key])
    return event


_SHARED: list[structlog.typing.Processor] = [
    _redact_paths,
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Route structlog and the standard library (uvicorn, asyncpg) through one formatter."""
    stream = stream or sys.stderr
    renderer: structlog.typing.Processor
    if settings.log_format == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=stream.isatty())
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # uvicorn's own access log would duplicate ours (which carries the request id).
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
