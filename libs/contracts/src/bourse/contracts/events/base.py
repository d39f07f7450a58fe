"""What every payload is: its envelope type, version, exchange and routing key."""

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

Side = Literal["buy", "sell"]
OrderStatus = Literal[
    "pending_new",
    "new",
    "partially_filled",
    "filled",
    "pending_cancel",
    "canceled",
    "rejected",
    "expired",
    "replaced",
]


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True)
    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    EXCHANGE: ClassVar[str]
    # A command must reach a queue (publishing retries until one is bound); an event with
    # no subscriber yet is simply not delivered to anyone.
    ROUTE_REQUIRED: ClassVar[bool] = False

    def routing_key(self) -> str:
        return self.TYPE


class SymbolPayload(Payload):
    """An event about one symbol, routed as ``<type>.<SYMBOL>`` (market.trade.AAPL)."""

    symbol: str

    def routing_key(self) -> str:
        return f"{self.TYPE}.{self.symbol}"
