"""Uploaded files (ticket attachments, disposal certificates), the same rules for every domain: the type
is checked by the first bytes (images and PDF, not by name or declared type), at most 10 MiB, a clean
display name, stored once per content under DATA_DIR/attachments/<2 hex>/<sha256>. Over HTTP, the same
for the API and the pages: the multipart upload form, the body size a request may have, and the
download answer (never sniffed, never run as a page)."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Response
from litestar.datastructures import UploadFile

from schoolit import rules
from schoolit.errors import FieldError, ValidationFailed
from schoolit.kernel.i18n import N_

MAX_BYTES = 10 * 1024 * 1024
# (content type, leading bytes); WebP also needs "WEBP" at offset 8, checked below.
_SIGNATURES: tuple[tuple[str, bytes], ...] = (
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/gif", b"GIF87a"),
    ("image/gif", b"GIF89a"),
    ("image/webp", b"RIFF"),
    ("application/pdf", b"%PDF-"),
)
_UNSAFE = re.compile(r"[^\w.\- ()äöüÄÖÜß]+")


def sniff(content: bytes) -> str | None:
    """The content type the bytes really are (images and PDF), or None."""
    for content_type, magic in _SIGNATURES:
        if content.startswith(magic):
            if content_type == "image/webp" and content[8:12] != b"WEBP":
                continue
            return content_type
    return None


def clean_filename(name: str) -> str:
    """A display name without paths or odd characters."""
    base = os.path.basename(name.replace("\\", "/")).strip()
    return (_UNSAFE.sub("_", base) or "datei")[:200]


def check(filename: str, content: bytes) -> str:
    """The content type of an acceptable upload, or ValidationFailed."""
    if not content:
        raise ValidationFailed([FieldError("file", rules.EMPTY_FILE)])
    if len(content) > MAX_BYTES:
        raise ValidationFailed([FieldError("file", N_("the file is larger than 10 MiB"))])
    content_type = sniff(content)
    if content_type is None:
        raise ValidationFailed([FieldError("file", N_("only images (PNG, JPEG, GIF, WebP) and PDF are accepted"))])
    return content_type


def store(data_dir: Path, content: bytes) -> str:
    """Write the content (once per digest) and return its SHA-256."""
    digest = hashlib.sha256(content).hexdigest()
    path = path_of(data_dir, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(content)
        temporary.replace(path)  # atomic: a reader never sees half a file
    return digest


def path_of(data_dir: Path, digest: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ValueError("not a SHA-256 digest")
    return data_dir / "attachments" / digest[:2] / digest


UPLOAD_LIMIT = MAX_BYTES + 64 * 1024  # the file plus the multipart envelope


@dataclass
class UploadForm:
    file: UploadFile


def download(row: dict[str, Any], content: bytes) -> Response[bytes]:
    disposition = "inline" if row["content_type"] != "application/pdf" else "attachment"
    return Response(content=content, media_type=row["content_type"], headers={
        "content-disposition": f'{disposition}; filename="{row["filename"]}"',
        "x-content-type-options": "nosniff", "content-security-policy": "default-src 'none'",
    })
