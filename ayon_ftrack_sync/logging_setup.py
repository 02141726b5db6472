"""Process-wide logging with secret redaction.

Third-party clients log request details; a redacting filter on the root handlers makes sure
no configured API key reaches a log line, whoever formatted it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

MASK = "******"


def redact(text: str, *secrets: str | None) -> str:
    """`text` with every given secret masked (empty and missing secrets are skipped)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Replaces every known secret in the rendered message with a mask."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = redact(message, *self._secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            text = redact(logging.Formatter().formatException(record.exc_info), *self._secrets)
            record.exc_text, record.exc_info = text, None
        return True


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Plain stderr logging (containers collect it), secrets masked, noisy libraries quieter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("urllib3", "ftrack_api", "websocket"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
