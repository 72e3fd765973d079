"""Composition root: `create_app()` wires settings, logging, database lifespan, routes and plugins."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.logging.config import LoggingConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router

from schoolit import __version__, db
from schoolit.logs import configure_logging, get_logger
from schoolit.metrics import metrics_handler
from schoolit.settings import Settings, get_settings
from schoolit.web.controllers import WebController, health
from schoolit.web.errors import EXCEPTION_HANDLERS
from schoolit.web.middleware import locale_middleware_factory, request_id_middleware
from schoolit.web.templating import template_config

STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"
log = get_logger("schoolit.app")


def _database_lifespan(settings: Settings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with db.connected(settings) as dsn:
            log.info("database connected", database=db.redact_dsn(dsn))
            await _warn_about_pending_migrations()
            yield

    return lifespan


async def _warn_about_pending_migrations() -> None:
    """`serve` migrates only with --migrate; say so in the log when an upgrade forgot to."""
    from schoolit.migrations import pending_migrations

    pending = await pending_migrations(read_only=True)
    if pending:
        log.warning("database migrations are pending; run `schoolit migrate`", pending=len(pending))


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Litestar:
    """The ASGI application.

    `manage_database=False` leaves the pool to the caller (the tests open it once per session).
    """
    settings = settings or get_settings()
    settings.require_secret_key()
    configure_logging(settings)
    api = Router(path="/api/v1", route_handlers=[])
    return Litestar(
        route_handlers=[
            WebController,
            health,
            metrics_handler(settings.metrics_allow),
            api,
            create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False,
                                       cache_control=None),
        ],
        lifespan=[_database_lifespan(settings)] if manage_database else [],
        middleware=[request_id_middleware, locale_middleware_factory(settings.default_locale)],
        template_config=template_config(),
        plugins=[HTMXPlugin()],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024),
        openapi_config=OpenAPIConfig(
            title="schoolit API",
            version=__version__,
            description="School-IT inventory, tickets and probes for German counties that run schools.",
            path="/schema",
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"]), YamlRenderPlugin()],
        ),
        logging_config=LoggingConfig(configure_root_logger=False, log_exceptions="never"),
        debug=False,
    )
