"""Piccolo configuration: the one database engine and the registry of domain apps.

The engine starts without a DSN; `schoolit.db.connected()` fills it in (DATABASE_URL, or the embedded
server's socket) before the first query.
"""

from piccolo.conf.apps import AppRegistry

from schoolit.db import DB

__all__ = ["APP_REGISTRY", "DB"]

APP_REGISTRY = AppRegistry(
    apps=[
        "schoolit.accounts.piccolo_app",
        "schoolit.inventory.piccolo_app",
        "schoolit.tickets.piccolo_app",
        "schoolit.probes.piccolo_app",
    ]
)
