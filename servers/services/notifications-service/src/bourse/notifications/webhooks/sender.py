"""One signed POST of a notification to a webhook."""

import asyncio
import ipaddress
import socket
import time
from urllib.parse import urlsplit

import httpx

from bourse.notifications.domain import webhooks as rules
from bourse.notifications.webhooks.store import Attempt, Outcome


def headers(attempt: Attempt, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Bourse-Webhooks/1",
        rules.TIMESTAMP_HEADER: str(timestamp),
        rules.SIGNATURE_HEADER: rules.sign(attempt.secret, timestamp, attempt.body),
        rules.DELIVERY_HEADER: str(attempt.delivery_id),
        rules.EVENT_HEADER: attempt.event,
    }


async def post(client: httpx.AsyncClient, attempt: Attempt, allow_private: bool) -> Outcome:
    """POST ``attempt``; any 2xx is delivered, anything else (or no answer) failed."""
    if not allow_private and await _resolves_private(attempt.url):
        return Outcome(False, error="refused: the host resolves to a private address")
    signed = headers(attempt, int(time.time()))
    try:  # streamed: the status is all we need, the receiver's body is never read
        async with client.stream("POST", attempt.url, content=attempt.body, headers=signed) as r:
            status = r.status_code
    except httpx.HTTPError as exc:
        return Outcome(False, error=f"{type(exc).__name__}: {exc}")
    if 200 <= status < 300:
        return Outcome(True, status)
    return Outcome(False, status, f"HTTP {status}")


async def _resolves_private(url: str) -> bool:
    """Any address of the URL's host is private (checked before each attempt, so a name
    re-pointed at an internal address after it was registered is refused too)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if rules.is_private_host(host):
        return True
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, parts.port or 443, type=socket.SOCK_STREAM
        )
    except OSError:
        return False  # unresolvable: the POST fails on its own and is retried
    return any(rules.is_private_address(ipaddress.ip_address(info[4][0])) for info in infos)
