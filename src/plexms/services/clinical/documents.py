"""What a stored document may be: an allow-list of inert media types, checked by their bytes.

A document is served back to browsers, so a type a browser would run (``text/html``,
``image/svg+xml``, XML, scripts) is never accepted, and the bytes must be what the type says
(magic numbers; plain text is UTF-8 without control characters other than tab and line ends).
Content is always served as an attachment with ``nosniff`` and a sandbox CSP
(:data:`CONTENT_HEADERS`); a row stored before this rule, or of any type outside the list, is
served as ``application/octet-stream`` (:func:`served_media_type`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from plexms.core.errors import InputError
from plexms.services.errors import UnsupportedMediaType

__all__ = [
    "ALLOWED_MEDIA_TYPES",
    "CONTENT_HEADERS",
    "check_document",
    "download_name",
    "served_media_type",
]

_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _is_text(content: bytes) -> bool:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _TEXT_CONTROLS.search(text) is None


_SNIFFERS: dict[str, tuple[str, Callable[[bytes], bool], str]] = {
    "application/pdf": ("pdf", lambda b: b.startswith(b"%PDF-"), "a PDF (starting %PDF-)"),
    "image/png": ("png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"), "a PNG image"),
    "image/jpeg": ("jpg", lambda b: b.startswith(b"\xff\xd8\xff"), "a JPEG image"),
    "text/plain": ("txt", _is_text, "UTF-8 text without control characters"),
}

#: The media types a document may have (anything a browser would run is left out).
ALLOWED_MEDIA_TYPES: tuple[str, ...] = tuple(sorted(_SNIFFERS))

#: Headers of every response carrying a document's bytes: never rendered in plexms's origin.
CONTENT_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "no-store",
}


def check_document(media_type: str, content: bytes) -> str:
    """The document's media type, once its type is allowed and its bytes match it.

    Raises ``UnsupportedMediaType`` (415, field ``media_type``) for a type outside
    :data:`ALLOWED_MEDIA_TYPES`, ``InputError`` (422, field ``content_base64``) when the bytes
    are not of that type.
    """
    media_type = media_type.strip().lower()
    if media_type not in _SNIFFERS:
        raise UnsupportedMediaType(
            f"media type {media_type!r} is not accepted; allowed: {', '.join(ALLOWED_MEDIA_TYPES)}",
            field="media_type",
        )
    _, sniff, what = _SNIFFERS[media_type]
    if not sniff(content):
        raise InputError("content_base64", f"is not {what}", allowed=f"{media_type} content")
    return media_type


def served_media_type(stored: str) -> str:
    """The ``Content-Type`` to serve a stored document with (octet-stream if not allowed)."""
    return stored if stored in _SNIFFERS else "application/octet-stream"


def download_name(document_id: int, stored: str) -> str:
    """``document-<id>.<ext>``: a file name free of user text."""
    ext = _SNIFFERS[stored][0] if stored in _SNIFFERS else "bin"
    return f"document-{document_id}.{ext}"
