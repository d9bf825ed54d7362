"""Redaction of RPC URLs and headers; it lives in the bottom layer
(:mod:`anyio_workflow.core.redact`), where the stores use it too."""

from ..core.redact import (
    SENSITIVE_HEADERS,
    install_log_redaction,
    redact_headers,
    redact_text,
    redact_url,
    shown,
)

__all__ = [
    "SENSITIVE_HEADERS",
    "install_log_redaction",
    "redact_headers",
    "redact_text",
    "redact_url",
    "shown",
]
