"""The routing keys that order-service does not publish because no queue binds them
(only its trade-updates log wants those events): checked against every queue that every
service declares, so that a new binding cannot silently wait for events never sent."""

import pytest

from bourse.auto import config as auto_config
from bourse.auto.consumers import subscription as auto_subscription
from bourse.contracts.events import OrderRequested
from bourse.contracts.topology import ORDERS
from bourse.messaging.runtime import Subscription
from bourse.notifications import config as notifications_config
from bourse.notifications.consumers import subscription as notifications_subscription
from bourse.order import config as order_config
from bourse.order.consumers import subscriptions as order_subscriptions
from bourse.order.domain.trade_updates import LOG_ONLY_STATUSES
from bourse.portfolio import config as portfolio_config
from bourse.portfolio.consumers import subscription as portfolio_subscription
from bourse.stock import config as stock_config
from bourse.stock.consumers import market_subscription
from bourse.trader import config as trader_config
from bourse.trader.consumers import subscription as trader_subscription

LOG_ONLY_KEYS = (
    *(f"order.{status}" for status in LOG_ONLY_STATUSES),
    *(f"order.{status}.{OrderRequested.REQUESTER}" for status in LOG_ONLY_STATUSES),
    "order.cancel_requested",
)


def every_subscription() -> list[Subscription]:
    return [
        *order_subscriptions(order_config.Settings()),
        trader_subscription(trader_config.Settings()),
        portfolio_subscription(portfolio_config.Settings()),
        notifications_subscription(notifications_config.Settings()),
        auto_subscription(auto_config.Settings()),
        market_subscription(stock_config.Settings()),
    ]


def topic_matches(pattern: str, key: str) -> bool:
    """RabbitMQ's topic match: ``*`` one word, ``#`` zero or more."""
    return _words_match(pattern.split("."), key.split("."))


def _words_match(pattern: list[str], key: list[str]) -> bool:
    if not pattern:
        return not key
    if pattern[0] == "#":
        return any(_words_match(pattern[1:], key[start:]) for start in range(len(key) + 1))
    return bool(key) and pattern[0] in ("*", key[0]) and _words_match(pattern[1:], key[1:])


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("order.#", "order.new", True),
        ("order.new.#", "order.new", True),
        ("order.new.#", "order.new.auto", True),
        ("order.*", "order.new", True),
        ("order.*", "order.new.auto", False),
        ("order.filled.#", "order.new", False),
        ("order.risk_requested", "order.new", False),
        ("order.#.auto", "order.new.auto", True),
        ("#", "order.new", True),
    ],
)
def test_topic_matching(pattern: str, key: str, expected: bool) -> None:
    assert topic_matches(pattern, key) is expected


def test_no_queue_binds_an_order_event_that_is_only_logged() -> None:
    bound = [
        (subscription.queue.name, binding.routing_key)
        for subscription in every_subscription()
        for binding in subscription.queue.bindings
        if binding.exchange == ORDERS
    ]
    assert bound  # the order flow's queues are there
    wanted = [(queue, pattern, key) for queue, pattern in bound for key in LOG_ONLY_KEYS]
    assert [w for w in wanted if topic_matches(w[1], w[2])] == []
