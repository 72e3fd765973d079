"""Attachments over HTTP, the same for the API and the pages: the multipart upload form, the body
size a request may have, and the download answer (never sniffed, never run as a page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Response
from litestar.datastructures import UploadFile

from schoolit.tickets.attachments import MAX_BYTES

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
