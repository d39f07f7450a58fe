"""What a /ws/market client may send: ``{"action":"subscribe"|"unsubscribe", "trades":[...],
"quotes":[...], "book":[...], "bars":[...]}`` (every channel optional). Pure: parsing and
the subscription limit; whether the symbols exist is the hub's question."""

import json
from dataclasses import dataclass
from typing import Literal

from bourse.contracts.symbols import parse_symbol
from bourse.stock.live.connection import CHANNELS

Action = Literal["subscribe", "unsubscribe"]
MAX_MESSAGE_BYTES = 64 * 1024


class ProtocolError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def invalid(detail: str) -> ProtocolError:
    return ProtocolError("invalid_message", detail)


@dataclass(frozen=True)
class Request:
    action: Action
    channels: dict[str, set[str]]  # channel -> symbols (upper case)

    @property
    def symbols(self) -> set[str]:
        return {symbol for symbols in self.channels.values() for symbol in symbols}


def parse(text: str | bytes) -> Request:
    if len(text) > MAX_MESSAGE_BYTES:
        raise invalid(f"a message is at most {MAX_MESSAGE_BYTES} bytes")
    try:
        message = json.loads(text)
    except ValueError:
        raise invalid("not JSON") from None
    if not isinstance(message, dict):
        raise invalid("a message is a JSON object")
    action = message.get("action")
    if action not in ("subscribe", "unsubscribe"):
        raise invalid('"action" is "subscribe" or "unsubscribe"')
    unknown = set(message) - {"action", *CHANNELS}
    if unknown:
        raise invalid(f"unknown fields: {', '.join(sorted(unknown))} (channels: {CHANNELS})")
    channels = {channel: _symbols(message, channel) for channel in CHANNELS if channel in message}
    return Request(action, {channel: symbols for channel, symbols in channels.items() if symbols})


def _symbols(message: dict[str, object], channel: str) -> set[str]:
    value = message[channel]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid(f'"{channel}" is a list of symbols')
    try:
        return {parse_symbol(item) for item in value}
    except ValueError:
        detail = f'"{channel}" holds a string that is no symbol'
        raise ProtocolError("unknown_symbol", detail) from None


def over_limit(current: dict[str, set[str]], request: Request, limit: int) -> bool:
    """Whether subscribing to ``request`` would take the connection past ``limit``
    symbol-channel pairs."""
    after = sum(len(current[channel] | request.channels.get(channel, set())) for channel in current)
    return after > limit
