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


SECRET = "in-l5P6rgxnO4QSPAxZnTuLld28voqssWSeu_G2kWR0"


def test_api_key_secrets_are_redacted_whatever_their_spelling() -> None:
    messages = [
        f"headers: X-Bourse-Key-Secret: {SECRET}",
        f"headers: [(b'x-bourse-key-secret', b'{SECRET}')]",
        f'body: {{"key_id": "bk_1", "secret": "{SECRET}"}}',
        f"query: ?secret={SECRET}&x=1",
    ]
    for message in messages:
        record = logging.LogRecord("bourse", logging.INFO, __file__, 1, "%s", (message,), None)
        line = JsonFormatter("user").format(record)
        assert SECRET not in line and "[redacted]" in line, line
