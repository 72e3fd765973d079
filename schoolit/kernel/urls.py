"""Same-site paths: where a redirect after login or a form may lead."""

from __future__ import annotations

from urllib.parse import urlsplit


def local_path(target: str | None, default: str = "/") -> str:
    """Only same-site paths: an open redirect would let a phishing link borrow our name."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
