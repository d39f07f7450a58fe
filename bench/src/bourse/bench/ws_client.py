"""A lean WebSocket client for load generation (RFC 6455, client side, no extensions).

A benchmark's clients share the machine with the stack they measure, so what they cost is
taken from it. The websockets library's client spent about 20 us of CPU per message
received (a task wake-up, its state machine, an async iterator); this one parses the
frames in the protocol's ``data_received`` and hands each text message to a callback on the
spot: one call per chunk the socket delivers, a few slices per frame. It answers pings
(the server closes a client that does not) and a close; it sends masked text frames.
"""

import asyncio
import base64
import hashlib
import os
import struct
from collections.abc import Callable
from urllib.parse import urlsplit

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _CLOSE, _PING, _PONG, _CONTINUATION = 0x1, 0x8, 0x9, 0xA, 0x0

OnMessage = Callable[[bytes], None]


def accept_of(key: bytes) -> bytes:
    """The Sec-WebSocket-Accept a server answers to ``key``."""
    return base64.b64encode(hashlib.sha1(key + _GUID).digest())


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One final frame, masked as a client's must be."""
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header + mask + masked


class LeanWebSocket(asyncio.Protocol):
    """Connect with :func:`connect`; ``on_message`` gets every text message's bytes."""

    def __init__(self, request: bytes, key: bytes, on_message: OnMessage) -> None:
        self._request = request
        self._key = key
        self._on_message = on_message
        self._buffer = bytearray()
        self._fragments: list[bytes] = []
        self._transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(self._request)  # the opening handshake

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed before the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self.opened.done() and not self._handshake():
            return
        self._frames()

    def send_text(self, text: str) -> None:
        assert self._transport is not None
        self._transport.write(client_frame(_TEXT, text.encode()))

    def close(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(client_frame(_CLOSE, struct.pack("!H", 1000)))
            self._transport.close()

    def _handshake(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._buffer[:end]).decode("latin-1").split("\r\n")
        del self._buffer[: end + 4]
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
        if (
            head[0].split()[1:2] != ["101"]
            or headers.get("sec-websocket-accept") != accept_of(self._key).decode()
        ):
            self.opened.set_exception(ConnectionError(f"handshake refused: {head[0]}"))
            assert self._transport is not None
            self._transport.close()
            return False
        self.opened.set_result(None)
        return True

    def _frames(self) -> None:
        buffer = self._buffer
        while len(buffer) >= 2:
            first, second = buffer[0], buffer[1]
            size, start = second & 0x7F, 2
            if size == 126:
                if len(buffer) < 4:
                    return
                size, start = int.from_bytes(buffer[2:4]), 4
            elif size == 127:
                if len(buffer) < 10:
                    return
                size, start = int.from_bytes(buffer[2:10]), 10
            if len(buffer) < start + size:
                return
            payload = bytes(buffer[start : start + size])
            del buffer[: start + size]
            self._frame(first & 0x80 != 0, first & 0x0F, payload)

    def _frame(self, final: bool, opcode: int, payload: bytes) -> None:
        if opcode in (_TEXT, _CONTINUATION):
            if not final:
                self._fragments.append(payload)
            elif self._fragments:
                self._on_message(b"".join([*self._fragments, payload]))
                self._fragments.clear()
            else:
                self._on_message(payload)
        elif opcode == _PING:
            assert self._transport is not None
            self._transport.write(client_frame(_PONG, payload))
        elif opcode == _CLOSE:
            self.close()
            if not self.closed.done():
                self.closed.set_result(None)


async def connect(url: str, on_message: OnMessage, timeout: float = 30) -> LeanWebSocket:
    """Open ``url`` (ws://host:port/path); the socket once the server accepted it."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    key = base64.b64encode(os.urandom(16))
    request = (
        f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    _, socket = await loop.create_connection(
        lambda: LeanWebSocket(request, key, on_message), host, port
    )
    async with asyncio.timeout(timeout):
        await socket.opened
    return socket
