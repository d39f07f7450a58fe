"""Two instances of the service at once, on one database and one broker: each has its own
fan-out queue, so a client connected to either one gets every price and every change,
whichever instance consumed the fill from the shared work queue."""

import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from bourse.messaging.broker import Broker
from bourse.portfolio.config import Settings
from bourse.portfolio.main import create_app
from bourse.testing.auth import TestIssuer
from bourse.testing.portfolio import fill, price
from bourse.testing.ws import receive

from portfolio_support import Frame, Instance, feed, position_of, receive_until, serve


@pytest.fixture
async def second(settings: Settings, issuer: TestIssuer) -> AsyncIterator[Instance]:
    async with serve(create_app(settings, verifier=issuer.verifier())) as running:
        yield running


def qty(symbol: str, wanted: str) -> Callable[[Frame], bool]:
    return lambda frame: (position_of(frame, symbol) or {}).get("qty") == wanted


async def test_both_instances_push_prices_and_fills(
    instance: Instance, second: Instance, issuer: TestIssuer, publisher: Broker, symbol: str
) -> None:
    user = uuid.uuid4()
    token = issuer.token(user)
    async with feed(instance, token) as on_first, feed(second, token) as on_second:
        clients = (on_first, on_second)
        for ws in clients:
            assert (await receive(ws))["positions"] == []
        await publisher.publish(fill(user, symbol, "buy", "3", "10"))
        for ws in clients:
            await receive_until(ws, qty(symbol, "3"))

        await publisher.publish(price(symbol, "12"))
        for ws in clients:
            moved, _ = await receive_until(ws, lambda frame: frame["equity"] == "36")
            assert moved["type"] == "update"

        for n in range(4):  # each consumed by one instance or the other: both push it
            await publisher.publish(fill(user, symbol, "buy", "1", "12"))
            for ws in clients:
                await receive_until(ws, qty(symbol, str(4 + n)))
