"""Redaction of RPC URLs, headers, log lines and secrets-looking values, so that
credentials never reach a repr, a log line, an error or a record.

Hosted endpoints carry API keys in the userinfo (``https://user:key@host``), in the path
(``/v3/<key>``, ``/key/Sh0rtKey9``) or in the query (``?apikey=<key>``), and no rule can
tell every key from a plain path segment. So a URL is shown as ``scheme://host[:port]``
and nothing of its userinfo, path or query: a URL that has any of them ends in ``/***``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "SENSITIVE_HEADERS",
    "install_log_redaction",
    "redact_headers",
    "redact_text",
    "redact_url",
    "shown",
]

MASK = "***"
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "apikey", "cookie"}
)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>()\[\]{},]+")
_SECRET = re.compile(r"^(0x)?[0-9a-fA-F]{64}$|^[1-9A-HJ-NP-Za-km-z]{86,90}$")


def redact_url(url: str) -> str:
    """``url`` as ``scheme://host[:port]``, with ``/***`` for any userinfo, path or query;
    text that is not a URL is masked whole."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return MASK
    if not parts.scheme or not parts.hostname:
        return MASK
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    shown_host = f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")
    hidden = parts.username is not None or parts.path not in ("", "/") or parts.query
    if hidden or parts.fragment:
        return shown_host + "/" + MASK
    return shown_host + parts.path


def redact_text(text: str) -> str:
    """``text`` with every URL in it redacted (:func:`redact_url`)."""
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


def shown(value: object, limit: int = 50) -> str:
    """``value`` as it may appear in an error: a repr cut to ``limit`` characters, or a
    placeholder when it looks like a private key (64 hex digits, or a base58 keypair)."""
    text = str(value)
    if _SECRET.match(text.strip()):
        return "<hidden: it looks like a private key>"
    return repr(text[:limit])


class _RedactingFilter(logging.Filter):
    """Rewrites a record's message and arguments with every URL redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _redact_arg(arg) for key, arg in record.args.items()}
        return True


def _redact_arg(arg: Any) -> Any:
    if isinstance(arg, str | bytes) or type(arg).__name__ == "URL":
        text = arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg)
        redacted = redact_text(text)
        return arg if redacted == text else redacted
    return arg


_FILTER = _RedactingFilter()
THIRD_PARTY_LOGGERS = (
    "httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy",
    "httpcore.socks", "hypercorn.access", "hypercorn.error",
)  # fmt: skip


def install_log_redaction(*names: str) -> None:
    """Redact URLs in every record of the HTTP libraries' loggers (and of ``names``):
    httpx logs each request's full URL at INFO. Idempotent."""
    for name in (*THIRD_PARTY_LOGGERS, *names):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with every credential-bearing value masked."""
    return {
        name: MASK if name.lower() in SENSITIVE_HEADERS or "token" in name.lower() else value
        for name, value in headers.items()
    }
