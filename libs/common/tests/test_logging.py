"""JSON logs: an access token in a logged path never reaches the output."""

import json
import logging

from bourse.common.logging import JsonFormatter


def test_tokens_are_redacted_from_logged_paths() -> None:
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:5000", "/ws/notifications?token=eyJhbGc.x.y&v=1"),
        None,
    )
    line = json.loads(JsonFormatter("notifications").format(record))
    assert line["msg"] == (
        '127.0.0.1:5000 - "WebSocket /ws/notifications?token=[redacted]&v=1" [accepted]'
    )
