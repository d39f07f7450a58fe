"""How a /ws/market client's frames reach its socket.

Through ASGI, every message is one ``websocket.send``: the ASGI layers, one
``transport.write`` (a system call) and, behind it, one read and one write in nginx, per
frame per client. That was 24 us of stock-service CPU and 10 us of nginx per frame delivered
at 1,000 clients. Where the socket is uvicorn's websockets (sans-I/O) protocol with no
extension negotiated, :class:`TransportWriter` writes everything waiting for the client in
one ``transport.write``: still one WebSocket text frame per message (API.md), but one system
call per client per burst of the feed, and made at once, from the feed's own turn of the
event loop, when the transport takes it (no task switch per client). Anywhere else (another
server, permessage-deflate) :class:`AsgiWriter` sends the frames one by one.

The fast path reaches uvicorn's protocol object through the ASGI ``receive`` callable it
handed to the app; ``writer_for`` checks its type, so a uvicorn that changes it gets the
ASGI path, and a test asserts the fast path under the locked version.
"""

import struct
from collections.abc import Awaitable, Callable, Sequence
from functools import lru_cache
from typing import Any, Protocol

from starlette.websockets import WebSocket, WebSocketDisconnect
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State


class Writer(Protocol):
    def ready(self) -> bool:
        """Whether :meth:`write_now` may write at once (without waiting)."""

    def write_now(self, frames: Sequence[str]) -> None:
        """Write ``frames`` at once; only when :meth:`ready`."""

    async def write(self, frames: Sequence[str]) -> None:
        """Write ``frames``, waiting until the socket takes them."""


_TEXT_FIN = 0x81  # RFC 6455 5.2: FIN, opcode 1 (text); a server's frames are not masked
_GONE = 1006


@lru_cache(maxsize=8192)
def text_frame(text: str) -> bytes:
    """One unmasked text frame (the same message goes to every subscriber: encoded once)."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", _TEXT_FIN, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", _TEXT_FIN, 126, size)
    else:
        header = struct.pack("!BBQ", _TEXT_FIN, 127, size)
    return header + payload


class AsgiWriter:
    """One ``websocket.send`` per frame, in order; always from the connection's task."""

    __slots__ = ("_send_text",)

    def __init__(self, send_text: Callable[[str], Awaitable[None]]) -> None:
        self._send_text = send_text

    def ready(self) -> bool:
        return False

    def write_now(self, frames: Sequence[str]) -> None:
        raise RuntimeError("an ASGI send is awaited: use write()")

    async def write(self, frames: Sequence[str]) -> None:
        for frame in frames:
            await self._send_text(frame)


class TransportWriter:
    """All waiting frames in one write to uvicorn's transport, under its flow control: it
    waits while the transport is paused (its buffer past the high-water mark), as
    uvicorn's own send does, so a client that does not read fills its queue and is
    closed (4408) rather than buffered without bound."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol

    def ready(self) -> bool:
        return self._protocol.writable.is_set() and self._open()

    def write_now(self, frames: Sequence[str]) -> None:
        self._protocol.transport.write(b"".join(map(text_frame, frames)))

    async def write(self, frames: Sequence[str]) -> None:
        await self._protocol.writable.wait()
        if not self._open():
            raise WebSocketDisconnect(_GONE)
        self.write_now(frames)

    def _open(self) -> bool:
        protocol = self._protocol
        return not (
            protocol.disconnected or protocol.close_sent or protocol.conn.state is not State.OPEN
        )


def writer_for(websocket: WebSocket) -> Writer:
    """The fastest writer that is correct for this (accepted) connection."""
    protocol = _sansio_protocol(websocket)
    if protocol is None or protocol.conn.extensions:
        return AsgiWriter(websocket.send_text)
    return TransportWriter(protocol)


def _sansio_protocol(websocket: WebSocket) -> WebSocketsSansIOProtocol | None:
    receive: Any = getattr(websocket, "_receive", None)  # what the server handed the app
    owner = getattr(receive, "__self__", None)
    return owner if isinstance(owner, WebSocketsSansIOProtocol) else None
