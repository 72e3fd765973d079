"""Piccolo's CLI looks for `piccolo_conf` here; the real configuration lives in the package."""

from schoolit.piccolo_conf import APP_REGISTRY, DB

__all__ = ["APP_REGISTRY", "DB"]
