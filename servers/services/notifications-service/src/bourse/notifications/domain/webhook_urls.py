"""Which webhook URLs may be called (server-side request forgery): ONE rule,
:func:`check_url`, applied when a webhook is registered and again before every delivery,
where each address the host resolves to must also pass :func:`is_internal`.

The URL is parsed by httpx, the client that delivers, and its host is read the way libc
reads it: ``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1`` and ``0`` are IPv4
addresses (``inet_aton``); a trailing dot, upper case and percent-encoding change nothing;
an IPv6 address may embed an IPv4 one (``::ffff:127.0.0.1``, 6to4, NAT64, Teredo).

Refused: loopback, private, link-local, multicast, reserved, unspecified, shared
(CGNAT 100.64/10) and other non-global addresses; names that are local by convention
(``localhost``, ``*.localhost``, ``*.internal``, ``*.local``, ...) or by shape (one label:
a sibling container's name). Registration does not resolve names (no DNS round trip in a
request, and what a name resolves to can change anyway): the delivery does, every time.
``allowed`` networks pass (local development and tests call a receiver on 127.0.0.1)."""

import ipaddress
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

LOCAL_NAMES = frozenset(
    {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "broadcasthost"}
)
# RFC 6761 (localhost), RFC 6762 (local), RFC 8375 (home.arpa), ICANN's private-use
# .internal (metadata.google.internal), and the customary localdomain.
LOCAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".home.arpa")
SHARED = ipaddress.ip_network("100.64.0.0/10")  # CGNAT: not private, not global either
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_NUMBER = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")


class WebhookUrlError(ValueError):
    code = "invalid_webhook_url"


class InvalidWebhookUrlError(WebhookUrlError):
    """Not a URL the webhook client can call."""


class WebhookUrlNotAllowedError(WebhookUrlError):
    """A URL of an internal host."""

    code = "webhook_url_not_allowed"


@dataclass(frozen=True)
class Target:
    url: httpx.URL  # as the client parses it
    host: str  # ASCII (IDNA), lower case, without a trailing dot
    address: Address | None  # the host, when it is an address


def check_url(url: str, allowed: Sequence[Network] = ()) -> Target:
    """The webhook target of ``url``: an absolute http(s) URL without credentials whose
    host is not internal. Raises :class:`InvalidWebhookUrlError` or
    :class:`WebhookUrlNotAllowedError`."""
    parsed = _parse(url)
    host = _host(parsed)
    address = literal_address(host)
    if address is None:
        _check_name(host)
    elif is_internal(address, allowed):
        raise WebhookUrlNotAllowedError(f"{address} is not a public address")
    return Target(parsed, host, address)


def is_internal(address: Address, allowed: Sequence[Network] = ()) -> bool:
    """Not a public internet address (nor one embedded in it), unless ``allowed``."""
    if any(address in network for network in allowed):
        return False
    return any(_special(a) for a in _with_embedded(address))


def literal_address(host: str) -> Address | None:
    """``host`` as libc reads an address (IPv6, or any ``inet_aton`` spelling of IPv4);
    None when it is a name. A host ending in a number is an address or invalid."""
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError as exc:
            raise InvalidWebhookUrlError(f"not a valid IPv6 address: {host}") from exc
    if not _NUMBER.match(host.rsplit(".", 1)[-1]):
        return None
    value = _inet_aton(host)
    if value is None:
        raise InvalidWebhookUrlError(f"not a valid IPv4 address: {host}")
    return ipaddress.IPv4Address(value)


def _parse(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise InvalidWebhookUrlError(f"not a valid URL: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise InvalidWebhookUrlError("the URL must be absolute http:// or https://")
    if parsed.userinfo:
        raise InvalidWebhookUrlError("the URL must not carry credentials")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise InvalidWebhookUrlError(f"not a valid port: {parsed.port}")
    return parsed


def _host(parsed: httpx.URL) -> str:
    """The host as a resolver sees it: percent-decoded (outside an IPv6 zone), lower
    case, no trailing dot."""
    raw = parsed.raw_host.decode("ascii")
    if ":" not in raw:
        raw = unquote(raw, errors="strict") if "%" in raw else raw
    host = raw.lower().rstrip(".")
    if not host or not host.isascii():
        raise InvalidWebhookUrlError(f"not a valid host: {raw!r}")
    return host


def _check_name(host: str) -> None:
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidWebhookUrlError(f"not a valid host name: {host!r}")
    if host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES):
        raise WebhookUrlNotAllowedError(f"{host} is a local name")
    if len(labels) == 1:
        raise WebhookUrlNotAllowedError(f"{host} is not a fully qualified public name")


def _inet_aton(host: str) -> int | None:
    """inet_aton(3): 1 to 4 parts, each decimal, 0x hex or 0 octal; the last part fills
    the bytes the others leave (``127.1`` is 127.0.0.1, ``2130706433`` too)."""
    parts = host.split(".")
    if len(parts) > 4:
        return None
    numbers = [_aton_part(part) for part in parts]
    if any(n is None for n in numbers):
        return None
    *leading, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = last
    for index, number in enumerate(leading):
        value |= number << (8 * (3 - index))
    return value


def _aton_part(part: str) -> int | None:
    try:
        if part.startswith("0x"):
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        return int(part, 10)
    except ValueError:
        return None


def _with_embedded(address: Address) -> Iterator[Address]:
    """``address`` and the IPv4 address an IPv6 one carries (mapped, compatible, 6to4,
    NAT64, Teredo's server and client)."""
    yield address
    if isinstance(address, ipaddress.IPv4Address):
        return
    if address.ipv4_mapped is not None:
        yield address.ipv4_mapped
    if address.sixtofour is not None:
        yield address.sixtofour
    if address.teredo is not None:
        yield from address.teredo
    if int(address) >> 32 == 0 or any(address in network for network in NAT64):
        yield ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


def _special(address: Address) -> bool:
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
        or address in SHARED
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )
