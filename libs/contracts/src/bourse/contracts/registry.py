"""The catalog: every message type, its schema version, exchange and payload model."""

from dataclasses import dataclass

from bourse.contracts import events
from bourse.contracts.events import Payload


@dataclass(frozen=True)
class EventSpec:
    name: str  # the envelope's ``type``
    version: int
    exchange: str
    model: type[Payload]


_MODELS: tuple[type[Payload], ...] = (
    events.UserRegistered,
    events.RiskRequested,
    events.RiskAccepted,
    events.RiskRejected,
    events.AccountUpdated,
    events.SharesReleased,
    events.SecuritiesDeposited,
    events.ExchangeCommand,
    events.ExecutionsReported,
    events.ExchangeStarted,
    events.TradeExecuted,
    events.BookChanged,
    events.PriceChanged,
    events.InstrumentChanged,
    events.OrderChanged,
    events.OrderCancelRequested,
    events.OrderRequested,
    events.AutoRunFinished,
    events.AlertTriggered,
    events.PortfolioUpdated,
)

CATALOG: dict[str, EventSpec] = {
    m.TYPE: EventSpec(m.TYPE, m.VERSION, m.EXCHANGE, m) for m in _MODELS
}


def route_required(message_type: str) -> bool:
    spec = CATALOG.get(message_type)
    return spec is not None and spec.model.ROUTE_REQUIRED


def payload_model(message_type: str) -> type[Payload]:
    """The payload model of ``message_type``; ``KeyError`` when the type is unknown."""
    return CATALOG[message_type].model
