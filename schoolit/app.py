"""Composition root: `create_app()` wires settings, logging, database lifespan, routes and plugins."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.logging.config import LoggingConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router

from schoolit import __version__, db, jobs, replica, sql
from schoolit.accounts import audit_labels
from schoolit.accounts import fields as accounts_fields
from schoolit.accounts import jobs as accounts_jobs
from schoolit.accounts import start as accounts_start
from schoolit.accounts.access import access_guard
from schoolit.accounts.api import AccountsApi, TenantApi, UserAdminApi
from schoolit.accounts.auth import authentication_middleware_factory, provide_scope
from schoolit.accounts.choices import check_settings
from schoolit.accounts.credential_pages import CREDENTIAL_PAGES
from schoolit.accounts.pages import AdminPages, AuditPage, AuthPages
from schoolit.accounts.sso.api import SignInApi
from schoolit.accounts.sso.pages import SignInAdminPages, SignInPages
from schoolit.accounts.tenant_pages import TenantPages
from schoolit.dashboards import start as dashboards_start
from schoolit.dashboards.api import DashboardsApi, OpenDataApi
from schoolit.dashboards.pages import DashboardPages
from schoolit.inventory import audit_labels as inventory_audit_labels
from schoolit.inventory import fields as inventory_fields
from schoolit.inventory import jobs as inventory_jobs
from schoolit.inventory import resources as inventory_resources
from schoolit.inventory import start as inventory_start
from schoolit.inventory.api import API_HANDLERS as INVENTORY_API
from schoolit.inventory.disposal_pages import DisposalPages
from schoolit.inventory.import_controllers import ImportExportApi
from schoolit.inventory.import_pages import ImportPages
from schoolit.inventory.label_pages import LabelPages
from schoolit.inventory.mdm_pages import MdmApi, MdmPages
from schoolit.inventory.pages import PAGE_HANDLERS as INVENTORY_PAGES
from schoolit.inventory.warranty_pages import WarrantyPages
from schoolit.inventory.wlan_controller_pages import WlanControllerPages, WlanControllersApi
from schoolit.kernel import labels, start
from schoolit.kernel.access import declared_access, public
from schoolit.logs import configure_logging, get_logger
from schoolit.metrics import metrics_handler
from schoolit.probes import fields as probes_fields
from schoolit.probes import jobs as probes_jobs
from schoolit.probes import start as probes_start
from schoolit.probes.adoption import AdoptionPages
from schoolit.probes.controllers import NetworkStatsApi, ProbeApi
from schoolit.probes.derivation import derivation_lifespan
from schoolit.probes.pages import ProbePages
from schoolit.probes.partitions import ensure_partitions
from schoolit.replica import read_routing_middleware_factory
from schoolit.settings import Settings, get_settings
from schoolit.tickets import audit_labels as tickets_audit_labels
from schoolit.tickets import fields as tickets_fields
from schoolit.tickets import jobs as tickets_jobs
from schoolit.tickets import start as tickets_start
from schoolit.tickets.api import TicketsApi, TicketSettingsApi
from schoolit.tickets.inbound_pages import MailboxPages, TriagePages
from schoolit.tickets.mail import sender_lifespan
from schoolit.tickets.notification_pages import NotificationPages
from schoolit.tickets.pages import PublicPages, TicketAdminPages, TicketPages
from schoolit.tickets.queue_bulk_pages import QueueListPages
from schoolit.tickets.text_module_pages import TextModulePages
from schoolit.tickets.webhook_pages import WebhookPages
from schoolit.web import fields as web_fields
from schoolit.web import jobs as web_jobs
from schoolit.web.controllers import WebController, health
from schoolit.web.errors import EXCEPTION_HANDLERS
from schoolit.web.input_limits import refuse_unfit_input
from schoolit.web.jobs import JobsPage
from schoolit.web.middleware import locale_middleware_factory, request_id_middleware, security_headers
from schoolit.web.templating import STATIC_DIR, STATIC_MAX_AGE, template_config
from schoolit.web.urls import ids_in_range

log = get_logger("schoolit.app")


def _database_lifespan(settings: Settings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with db.connected(settings) as dsn, replica.serving(settings):
            log.info("database connected", database=db.redact_dsn(dsn))
            await _warn_about_pending_migrations()
            await _warn_when_the_app_owns_the_audit_log()
            await _prepare_sample_partitions()
            yield

    return lifespan


async def _warn_about_pending_migrations() -> None:
    """`serve` migrates only with --migrate; say so in the log when an upgrade forgot to."""
    from schoolit.migrations import pending_migrations

    pending = await pending_migrations(read_only=True)
    if pending:
        log.warning("database migrations are pending; run `schoolit migrate`", pending=len(pending))


async def _warn_when_the_app_owns_the_audit_log() -> None:
    """One database role for app and migrations (no DATABASE_OWNER_URL) works, but the app could then
    erase the audit log: say so in the log (docs/operations.md, "Database roles")."""
    rows = await sql.fetch("SELECT pg_has_role(current_user, c.relowner, 'USAGE') AS owns FROM pg_class c "
                          "WHERE c.oid = to_regclass('audit_log')")
    if rows and rows[0]["owns"]:
        log.warning("the app's database role owns the tables and could erase the audit log; "
                    "give it a role of its own and set DATABASE_OWNER_URL (docs/operations.md)")


async def _prepare_sample_partitions() -> None:
    """Today's and the next days' sample partitions, in case the maintenance timer is not set up yet."""
    try:
        await ensure_partitions()
    except Exception:  # an old schema (migrations pending) must not keep the app from starting
        log.exception("could not create sample partitions")


def register_jobs() -> list[jobs.Job]:
    """Every domain's scheduled jobs (schoolit.jobs), registered in this one place; also used by
    `schoolit maintenance due`. Returns them."""
    jobs.register(*accounts_jobs.JOBS, *inventory_jobs.JOBS, *tickets_jobs.JOBS, *probes_jobs.JOBS)
    return jobs.registered()


def check_route_access(app: Litestar) -> None:
    """Refuse to start when a route does not declare who may call it (schoolit.kernel.access)."""
    undeclared = [
        f"{sorted(handler.http_methods)} {route.path}"
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if declared_access(handler, route.path) is None
    ]
    if undeclared:
        raise RuntimeError(f"routes without an access declaration: {', '.join(undeclared)}")


def register_field_labels() -> None:
    """Every field code's label, for error pages and the API's problem details that name a field by its
    code and bring no label of their own (`schoolit.kernel.labels`): the inventory's described fields
    first (the first registration of a code wins), then what each domain registers for its other fields,
    then the lists' shared query parameters."""
    labels.register({field.name: field.label for resource in inventory_resources.BY_TABLE.values()
                     for field in resource.fields})
    for domain_labels in (inventory_fields.LABELS, accounts_fields.LABELS, tickets_fields.LABELS, probes_fields.LABELS,
                          web_fields.LABELS):
        labels.register(domain_labels)


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Litestar:
    """The ASGI application.

    `manage_database=False` leaves the pool to the caller (the tests open it once per session).
    """
    settings = settings or get_settings()
    settings.require_secret_key()
    check_settings(settings)
    configure_logging(settings)
    scheduled = register_jobs()
    # The start page's panels, in the order they are asked (each panel carries its own position).
    start.register(web_jobs.start_panels, probes_start.panels, dashboards_start.panels, accounts_start.panels,
                   tickets_start.panels, inventory_start.panels)
    register_field_labels()
    # The kinds of object the audit log names, from the domains that own them (accounts registers its own).
    audit_labels.register(*inventory_audit_labels.KINDS, *tickets_audit_labels.KINDS)
    api = Router(path="/api/v1", route_handlers=[AccountsApi, TenantApi, UserAdminApi, SignInApi, *INVENTORY_API,
                                                 WlanControllersApi, ProbeApi, NetworkStatsApi, TicketsApi,
                                                 TicketSettingsApi, DashboardsApi, OpenDataApi],
                 security=[{"bearer": []}])
    api.register(ImportExportApi)
    api.register(MdmApi)
    app = Litestar(
        route_handlers=[
            WebController,
            health,
            AuthPages,
            AdminPages,
            TenantPages,
            SignInPages,
            SignInAdminPages,
            *CREDENTIAL_PAGES,
            AuditPage,
            JobsPage,
            # Public as far as login goes: METRICS_ALLOW (client addresses) guards it instead.
            metrics_handler(settings.metrics_allow, opt=public()),
            TicketPages,
            TicketAdminPages,
            NotificationPages,
            ImportPages,
            MdmPages,
            TextModulePages,
            QueueListPages,
            WebhookPages,
            MailboxPages,
            TriagePages,
            PublicPages,
            *INVENTORY_PAGES,
            DashboardPages,
            ProbePages,
            WlanControllerPages,
            LabelPages,
            WarrantyPages,
            DisposalPages,
            AdoptionPages,
            api,
            create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False,
                                       opt=public(), cache_control=CacheControlHeader(
                                           max_age=STATIC_MAX_AGE, public=True, immutable=True)),
        ],
        # The mail sender, the probe derivation and the scheduler need the database, so they start after
        # (and stop before) the pool.
        lifespan=([_database_lifespan(settings), derivation_lifespan()] if manage_database else [])
        + ([sender_lifespan(settings)] if manage_database and settings.smtp_configured else [])
        + ([jobs.scheduler_lifespan(scheduled)] if manage_database and settings.scheduler else []),
        middleware=[
            request_id_middleware,
            locale_middleware_factory(settings.default_locale),
            authentication_middleware_factory(settings),
            # After the login is known (sessions are read and touched on the primary), before the handler.
            read_routing_middleware_factory(settings.secure_cookies),
        ],
        # Access first: without a login, an out-of-range id says nothing either (401 before 404).
        guards=[access_guard, ids_in_range],
        # After the guards, before any handler: input that its column cannot hold is a 422.
        before_request=refuse_unfit_input,
        before_send=[security_headers],
        dependencies={"caller": Provide(provide_scope, sync_to_thread=False)},
        template_config=template_config(),
        plugins=[HTMXPlugin()],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        state=State({"default_locale": settings.default_locale}),  # for errors of no route (schoolit.web.errors)
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024),
        openapi_config=OpenAPIConfig(
            title="schoolit API",
            version=__version__,
            description="School-IT inventory, tickets and probes for German counties that run schools. "
                        "Authenticate with `Authorization: Bearer <token>` (schoolit token create).",
            path="/schema",
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"]), YamlRenderPlugin()],
            components=Components(security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", description="schoolit API token"),
            }),
        ),
        logging_config=LoggingConfig(configure_root_logger=False, log_exceptions="never"),
        debug=False,
    )
    check_route_access(app)
    return app
