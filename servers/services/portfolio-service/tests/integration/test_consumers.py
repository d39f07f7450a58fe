"""Events arriving through RabbitMQ on the work queue, as the other services publish
them: each fill applied once however often it is delivered, cash, prices, and shares
deposited under a symbol with a dot."""

import uuid
from typing import Any

import httpx

from bourse.messaging.broker import Broker
from bourse.testing.messaging import envelope_of
from bourse.testing.polling import eventually
from bourse.testing.portfolio import cash, fill, price, securities

from portfolio_support import Headers

Json = dict[str, Any]


async def positions_of(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Json]:
    body: Json = (await client.get("/api/v1/portfolio", headers=headers)).json()
    return {p["symbol"]: p for p in body["positions"]}


async def test_a_fill_delivered_twice_is_applied_once(
    client: httpx.AsyncClient, publisher: Broker, headers_for: Headers, symbol: str
) -> None:
    user = uuid.uuid4()
    first = fill(user, symbol, "buy", "5", "20")
    envelope = envelope_of(first)
    await publisher.publish_envelope(first.EXCHANGE, first.routing_key(), envelope)
    await publisher.publish_envelope(first.EXCHANGE, first.routing_key(), envelope)  # redelivery
    await publisher.publish(first)  # the same fill again in a new message
    marker = fill(user, f"{symbol}.M", "buy", "1", "1")  # same user: consumed after them
    await publisher.publish(marker)
    headers = headers_for(user)

    async def marker_applied() -> dict[str, Json] | None:
        held = await positions_of(client, headers)
        return held if f"{symbol}.M" in held else None

    held = await eventually(marker_applied)
    assert (held[symbol]["qty"], held[symbol]["avg_cost"]) == ("5", "20")


async def test_every_settled_fill_of_an_order_counts(
    client: httpx.AsyncClient, publisher: Broker, headers_for: Headers, symbol: str
) -> None:
    """Whatever state each fill left the order in (trader settles fills in every state,
    a cancel that lost the race included), each settled fill trades the position."""
    user, order = uuid.uuid4(), uuid.uuid4()
    for n in range(3):
        await publisher.publish(
            fill(user, symbol, "buy", "1", "10", order_id=order, cash_after=str(100 - 10 * n))
        )
    headers = headers_for(user)

    async def three() -> bool:
        return (await positions_of(client, headers)).get(symbol, {}).get("qty") == "3"

    await eventually(three)


async def test_cash_prices_and_deposits_arrive_through_the_broker(
    client: httpx.AsyncClient, publisher: Broker, headers_for: Headers, symbol: str
) -> None:
    user, dotted = uuid.uuid4(), f"{symbol}.B"
    await publisher.publish(price(dotted, "12.5"))
    await publisher.publish(cash(user, "250"))
    headers = headers_for(user)

    async def cash_seen() -> bool:
        body: Json = (await client.get("/api/v1/portfolio", headers=headers)).json()
        return bool(body["cash"] == "250")

    await eventually(cash_seen)
    await publisher.publish(securities(user, dotted, "8"))

    async def deposited() -> Json | None:
        return (await positions_of(client, headers)).get(dotted)

    position = await eventually(deposited)
    assert position == {
        "symbol": dotted,
        "qty": "8",
        "avg_cost": "12.5",  # the last price known when the shares came in
        "market_price": "12.5",
        "market_value": "100",
        "unrealized_pl": "0",
        "realized_pl": "0",
    }
