"""Structured JSON logs, one object per line, carrying the correlation id. Access
tokens never reach them: uvicorn logs each WebSocket's path with its query string
(``/ws/portfolio?token=...``), so every message is redacted. API key secrets are never
logged by our code (they travel in a header or a JSON body, neither of which is logged);
should one appear in a message anyway (``X-Bourse-Key-Secret: ...``, ``"secret": "..."``,
``secret=...``), it is redacted too."""

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from bourse.common import context

_RESERVED = set(vars(logging.makeLogRecord({})))
_TOKEN = re.compile(r"(token=)[^&\s\"']+")
_SECRET = re.compile(
    r"""((?:x-bourse-key-secret|secret)['"]?\s*[:=,]\s*\(?\s*b?['"]?)[^&\s"',)]+""", re.IGNORECASE
)


def redact(text: str) -> str:
    """``text`` with the value of every ``token=`` parameter and of anything named
    ``secret`` (an API key's) replaced."""
    return _SECRET.sub(r"\1[redacted]", _TOKEN.sub(r"\1[redacted]", text))


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        if (cid := context.correlation_id.get()) is not None:
            out["correlation_id"] = cid
        out.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiormq", "aio_pika", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
