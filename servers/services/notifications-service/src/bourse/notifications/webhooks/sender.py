"""One signed POST of a notification to a webhook.

Before each attempt the URL passes the registration's rule again
(:func:`webhook_urls.check_url`) and every address its host resolves to must be public;
the POST then goes to the address that was checked (the ``Host`` header and TLS name stay
the URL's), so a name re-pointed at an internal address between the check and the
connection (DNS rebinding) is not followed."""

import asyncio
import ipaddress
import socket
import time
from collections.abc import Sequence
from typing import Any

import httpx

from bourse.notifications.domain import webhook_urls
from bourse.notifications.domain import webhooks as rules
from bourse.notifications.domain.webhook_urls import Address, Network, Target
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


async def post(client: httpx.AsyncClient, attempt: Attempt, allowed: Sequence[Network]) -> Outcome:
    """POST ``attempt``; any 2xx is delivered, anything else (or no answer) failed."""
    try:
        target = webhook_urls.check_url(attempt.url, allowed)
        address = await resolve(target, allowed)
    except webhook_urls.WebhookUrlError as exc:
        return Outcome(False, error=f"refused: {exc}")
    except OSError as exc:  # unresolvable: failed, and retried
        return Outcome(False, error=f"cannot resolve {attempt.url}: {exc}")
    url, extra, extensions = pinned(target, address)
    signed = headers(attempt, int(time.time())) | extra
    try:  # streamed: the status is all we need, the receiver's body is never read
        async with client.stream(
            "POST", url, content=attempt.body, headers=signed, extensions=extensions
        ) as response:
            status = response.status_code
    except httpx.HTTPError as exc:
        return Outcome(False, error=f"{type(exc).__name__}: {exc}")
    if 200 <= status < 300:
        return Outcome(True, status)
    return Outcome(False, status, f"HTTP {status}")


async def resolve(target: Target, allowed: Sequence[Network]) -> Address:
    """The address to connect to: the host's own, or the first the name resolves to when
    none of them is internal (raises WebhookUrlNotAllowedError, or OSError)."""
    if target.address is not None:
        return target.address
    port = target.url.port or (443 if target.url.scheme == "https" else 80)
    infos = await asyncio.get_running_loop().getaddrinfo(target.host, port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    internal = [a for a in addresses if webhook_urls.is_internal(a, allowed)]
    if internal or not addresses:
        raise webhook_urls.WebhookUrlNotAllowedError(
            f"{target.host} resolves to an internal address ({internal[0] if internal else '-'})"
        )
    return addresses[0]


def pinned(target: Target, address: Address) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """The URL with ``address`` for its host, the ``Host`` header of the original, and
    the TLS server name to verify the certificate against."""
    url = target.url.copy_with(host=str(address))
    host = {"Host": target.url.netloc.decode("ascii")}
    if target.address is None and target.url.scheme == "https":
        return url, host, {"sni_hostname": target.host}
    return url, host, {}
