"""The one rule of API key scopes: a ``read`` key may only read. Reading is GET and HEAD
(and the WebSocket feeds, which only push); any other method changes something and needs
the ``trade`` scope. An access token has every scope."""

from bourse.auth.principal import TRADE, Principal
from bourse.common.errors import Problem

READ_METHODS = frozenset({"GET", "HEAD"})


def insufficient_scope(detail: str) -> Problem:
    return Problem(403, "insufficient_scope", detail)


def check_method_scope(principal: Principal, method: str) -> None:
    """Raise 403 ``insufficient_scope`` when ``principal`` may not use ``method``."""
    if method.upper() not in READ_METHODS and not principal.has_scope(TRADE):
        raise insufficient_scope(f"this API key may only read; {method} needs the trade scope")


def check_not_a_key(principal: Principal) -> None:
    """Raise 403 ``insufficient_scope`` for a caller authenticated by an API key: what a
    key must not do whatever its scopes (manage API keys)."""
    if principal.via_key:
        raise insufficient_scope("this needs a user's access token, not an API key")
