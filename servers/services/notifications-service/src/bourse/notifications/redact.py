"""Keeps access tokens out of the logs: uvicorn logs each WebSocket's path with its
query string (``/ws/notifications?token=...``) at INFO."""

import logging
import re

TOKEN = re.compile(r"(token=)[^&\s\"']+")


def redact(text: str) -> str:
    return TOKEN.sub(r"\1[redacted]", text)


class TokenRedactor(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install(logger_names: tuple[str, ...] = ("uvicorn.error", "uvicorn.access")) -> None:
    """Idempotent: one redactor per logger."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenRedactor) for f in logger.filters):
            logger.addFilter(TokenRedactor())
