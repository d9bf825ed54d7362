"""Redaction of RPC URLs and headers, so that credentials never reach a repr, log or error.

Hosted endpoints carry API keys in the userinfo (``https://user:key@host``), in the path
(``/v3/<key>``, ``/v2/<key>``) or in the query (``?apikey=<key>``). A path segment is
taken for a key when it is long (>= 16 characters) and looks random: mixed letters and
digits, or hex. Query values are always masked; their names stay, to help debugging.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

__all__ = ["SENSITIVE_HEADERS", "redact_headers", "redact_url"]

MASK = "***"
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "apikey", "cookie"}
)
_KEYLIKE = re.compile(r"^(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9_\-]{16,}$|^(0x)?[0-9a-fA-F]{16,}$")


def _segment(segment: str) -> str:
    return MASK if _KEYLIKE.match(segment) else segment


def redact_url(url: str) -> str:
    """``url`` with its credentials masked; text that is not a URL is masked whole."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    if not parts.scheme or not parts.netloc:
        return MASK
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    if parts.username is not None or parts.password is not None:
        host = f"{MASK}@{host}"
    path = "/".join(_segment(s) for s in parts.path.split("/"))
    query = "&".join(
        f"{pair.split('=', 1)[0]}={MASK}" if "=" in pair else MASK
        for pair in parts.query.split("&")
        if pair
    )
    return urlunsplit((parts.scheme, host, path, query, ""))


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with every credential-bearing value masked."""
    return {
        name: MASK if name.lower() in SENSITIVE_HEADERS or "token" in name.lower() else value
        for name, value in headers.items()
    }
