"""The WebSocket feed end to end: a real server, real tokens, events through RabbitMQ.
Snapshot first, updates on price moves of held symbols, fills and cash; a newly bought
symbol followed without reconnecting; 4401 for a bad token; nothing of other users'."""

import uuid

import pytest
from websockets.exceptions import ConnectionClosed

from bourse.messaging.broker import Broker
from bourse.portfolio.config import Settings
from bourse.portfolio.main import create_app
from bourse.testing.auth import TestIssuer
from bourse.testing.portfolio import cash, fill, price
from bourse.testing.ws import receive

from portfolio_support import Instance, feed, position_of, receive_until, serve


async def test_snapshot_then_updates_including_a_new_symbol_without_reconnecting(
    instance: Instance, issuer: TestIssuer, publisher: Broker, symbol: str
) -> None:
    user, other = uuid.uuid4(), f"{symbol}X"
    async with feed(instance, issuer.token(user)) as ws:
        empty = await receive(ws)
        assert empty == {
            "type": "snapshot",
            "cash": "0",
            "positions": [],
            "equity": "0",
            "as_of": empty["as_of"],
        }
        await publisher.publish(cash(user, "1000"))
        await receive_until(ws, lambda frame: frame["cash"] == "1000")
        await publisher.publish(fill(user, symbol, "buy", "10", "20", cash_after="1000"))
        bought, _ = await receive_until(ws, lambda frame: bool(frame["positions"]))
        assert bought["type"] == "update"
        assert bought["positions"] == [
            {
                "symbol": symbol,
                "qty": "10",
                "avg_cost": "20",
                "market_price": "20",  # seeded by the fill: no market price yet
                "market_value": "200",
                "unrealized_pl": "0",
                "realized_pl": "0",
            }
        ]
        assert bought["equity"] == "1200"

        await publisher.publish(price(other, "7"))  # not held: no frame for it
        await publisher.publish(price(symbol, "21.5"))
        moved = await receive(ws)
        assert moved["type"] == "update" and moved["equity"] == "1215"
        assert moved["positions"] == [
            bought["positions"][0]
            | {
                "market_price": "21.5",
                "market_value": "215",
                "unrealized_pl": "15",
            }
        ]

        await publisher.publish(fill(user, other, "buy", "2", "7"))  # a new symbol
        both, _ = await receive_until(ws, lambda frame: len(frame["positions"]) == 2)
        assert position_of(both, other) == {
            "symbol": other,
            "qty": "2",
            "avg_cost": "7",
            "market_price": "7",
            "market_value": "14",
            "unrealized_pl": "0",
            "realized_pl": "0",
        }
        await publisher.publish(price(other, "8"))  # followed now, on the same connection
        repriced = await receive(ws)
        assert (position_of(repriced, other) or {})["market_price"] == "8"

        await publisher.publish(cash(user, "986"))  # the buy settled
        settled = await receive(ws)
        assert (settled["cash"], settled["equity"]) == ("986", "1217")  # 986 + 215 + 16


async def test_users_only_ever_see_their_own_portfolio(
    instance: Instance, issuer: TestIssuer, publisher: Broker, symbol: str
) -> None:
    alice, bob, bobs = uuid.uuid4(), uuid.uuid4(), f"{symbol}B"
    async with feed(instance, issuer.token(bob)) as ws:
        assert (await receive(ws))["positions"] == []
        await publisher.publish(fill(bob, bobs, "buy", "1", "10"))
        await receive_until(ws, lambda frame: bool(frame["positions"]))
        await publisher.publish(fill(alice, symbol, "buy", "1", "10"))
        await publisher.publish(cash(alice, "5"))
        await publisher.publish(price(symbol, "11"))  # only alice holds it
        await publisher.publish(price(bobs, "12"))
        update, skipped = await receive_until(
            ws, lambda frame: frame["positions"][0]["market_price"] == "12"
        )
        for frame in [update, *skipped]:
            assert [p["symbol"] for p in frame["positions"]] == [bobs]
            assert frame["cash"] == "0"


@pytest.mark.parametrize("token", [None, "", "garbage", "expired", "foreign"])
async def test_a_bad_token_closes_with_4401(
    instance: Instance, issuer: TestIssuer, token: str | None
) -> None:
    if token == "expired":
        token = issuer.token(uuid.uuid4(), ttl=-60)
    elif token == "foreign":
        token = TestIssuer().token(uuid.uuid4())  # signed by a key nobody trusts
    async with feed(instance, token) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_a_portfolio_that_cannot_be_loaded_closes_with_1011(
    settings: Settings, issuer: TestIssuer
) -> None:
    missing = settings.database_url.rsplit("/", 1)[0] + "/bourse_portfolio_missing"
    # Its own work queue: it must not take (and hold) the other instance's messages.
    broken = settings.model_copy(update={"database_url": missing, "queue_prefix": "broken."})
    app = create_app(broken, verifier=issuer.verifier())
    async with serve(app) as instance, feed(instance, issuer.token(uuid.uuid4())) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011


async def test_the_feed_ends_with_4401_when_its_token_expires(
    instance: Instance, issuer: TestIssuer
) -> None:
    # Valid for the verifier's 5 s of leeway past its exp: the socket lives that long.
    async with feed(instance, issuer.token(uuid.uuid4(), ttl=0)) as ws:
        assert (await receive(ws))["type"] == "snapshot"
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws, timeout=15)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4401, "access token expired")
