"""The one rule for webhook URLs (domain/webhook_urls.py), and the delivery's use of it:
every spelling of an internal address is refused, as libc would read it."""

import ipaddress
import socket

import httpx
import pytest

from bourse.notifications.domain import webhook_urls as urls
from bourse.notifications.domain.webhook_urls import Target
from bourse.notifications.webhooks import sender

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")

# Each spells an internal address or name; libc (getaddrinfo / inet_aton) reads it so.
INTERNAL = [
    "http://127.0.0.1:8001/hook",
    "http://2130706433:8001/",  # decimal integer
    "http://0x7f000001/",  # hex integer
    "http://0x7f.0.0.1/",  # hex part
    "http://127.1/",  # shortened dotted form
    "http://127.0.1/",
    "http://0/",  # 0.0.0.0
    "http://0.0.0.0/",
    "http://127.0.0.1./",  # trailing dot
    "http://localhost/",
    "http://localhost./",
    "http://LOCALHOST/",  # upper case
    "http://LocalHost.:8080/",
    "http://api.localhost/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://printer.local/",
    "http://router.home.arpa/",
    "http://%31%32%37.0.0.1/",  # percent-encoded
    "http://%6c%6f%63%61%6c%68%6f%73%74/",  # localhost, percent-encoded
    "http://127。0。0。1/",  # ideographic full stops (IDNA)
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:7f00:1]/",
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "http://[2002:7f00:1::]/",  # 6to4
    "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "http://[fe80::1%25eth0]/",  # link-local with a zone
    "http://[fc00::1]/",  # unique local
    "http://[FEC0::1]/",  # site-local
    "http://[ff02::1]/",  # multicast
    "http://10.0.0.1/",
    "http://10.1/",  # 10.0.0.1
    "http://167772161/",  # 10.0.0.1
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data",  # cloud metadata
    "http://2852039166/",  # 169.254.169.254
    "http://100.64.0.1/",  # shared (CGNAT)
    "http://224.0.0.1/",  # multicast
    "http://239.255.255.250/",
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",
    "http://192.0.2.1/",  # documentation
    "https://user-service:8001/",  # one label: a sibling container
    "http://postgres/",
]

INVALID = [
    "ftp://example.com/hook",
    "example.com/hook",
    " http://example.com/",
    "https://user:pw@example.com/hook",
    "http://good.com@127.0.0.1/",  # userinfo trick
    "http://127.0.0.1\\@good.com/",
    "http://example.com:99999/hook",
    "http://0177.0.0.1/",  # octal: httpx refuses it outright
    "http://1.2.3.4.5/",
    "http://256.0.0.1/",
    "http://127.16777216/",  # the last part overflows
    "http://08.0.0.1/",  # not octal
    "http://exa mple.com/",
    "http://exa%zzmple.com/",
    "http://-bad-.example.com/",
    "http://[::1/",
]

PUBLIC = [
    "https://hooks.example.com/bourse?x=1",
    "https://HOOKS.Example.COM./bourse",
    "http://93.184.216.34:8080/hook",
    "http://1572395042/",  # 93.184.216.34
    "https://[2606:2800:220:1:248:1893:25c8:1946]/",
    "https://bücher.example/hook",  # IDNA
    "https://127.0.0.1.nip.io/hook",  # a name: resolved (and refused) at delivery
]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_hosts_are_refused(url: str) -> None:
    with pytest.raises(urls.WebhookUrlNotAllowedError) as refused:
        urls.check_url(url)
    assert refused.value.code == "webhook_url_not_allowed"


@pytest.mark.parametrize("url", INVALID)
def test_invalid_urls_are_refused(url: str) -> None:
    with pytest.raises(urls.InvalidWebhookUrlError) as refused:
        urls.check_url(url)
    assert refused.value.code == "invalid_webhook_url"


@pytest.mark.parametrize("url", PUBLIC)
def test_public_urls_are_accepted(url: str) -> None:
    target = urls.check_url(url)
    assert target.host == target.host.lower() and not target.host.endswith(".")
    assert target.host.isascii()


@pytest.mark.parametrize(
    "host",
    ["2130706433", "0x7f000001", "0x7f.1", "127.1", "127.0.1", "0", "0177.0.0.1", "10.1", "1.2.3"],
)
def test_ipv4_spellings_are_read_as_libc_reads_them(host: str) -> None:
    assert urls.literal_address(host) == ipaddress.IPv4Address(socket.inet_aton(host))


def test_allowed_networks_pass_and_only_them() -> None:
    assert urls.check_url("http://127.0.0.1:8080/hook", [LOOPBACK]).address is not None
    assert urls.check_url("http://2130706433:8080/hook", [LOOPBACK]).host == "2130706433"
    for url in ("http://10.0.0.1/", "http://[::1]/", "http://localhost/"):
        with pytest.raises(urls.WebhookUrlNotAllowedError):
            urls.check_url(url, [LOOPBACK])
    with pytest.raises(urls.WebhookUrlNotAllowedError):  # mapped: not in 127/8 itself
        urls.check_url("http://[::ffff:127.0.0.1]/", [LOOPBACK])


async def test_a_name_resolving_to_an_internal_address_is_refused_at_delivery() -> None:
    """localhost resolves through /etc/hosts (no DNS needed)."""
    target = Target(httpx.URL("http://localhost:9/hook"), "localhost", None)
    with pytest.raises(urls.WebhookUrlNotAllowedError):
        await sender.resolve(target, [])
    both = [LOOPBACK, ipaddress.ip_network("::1/128")]
    assert (await sender.resolve(target, both)).is_loopback


def test_the_post_goes_to_the_checked_address_under_the_urls_name() -> None:
    target = urls.check_url("https://Hooks.Example.com:8443/bourse?x=1")
    url, headers, extensions = sender.pinned(target, ipaddress.ip_address("93.184.216.34"))
    assert str(url) == "https://93.184.216.34:8443/bourse?x=1"
    assert headers == {"Host": "hooks.example.com:8443"}
    assert extensions == {"sni_hostname": "hooks.example.com"}
    literal = urls.check_url("http://[2606:2800:220:1:248:1893:25c8:1946]/h")
    assert literal.address is not None
    url, headers, extensions = sender.pinned(literal, literal.address)
    assert url.host == "2606:2800:220:1:248:1893:25c8:1946" and extensions == {}
