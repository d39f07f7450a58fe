"""Payloads of the trading path. Each model: ``TYPE`` (envelope type), ``VERSION``,
``EXCHANGE`` and a ``routing_key()``. Names are past tense: they state what happened.

One module per conversation; every name is importable from here."""

from bourse.contracts.events.accounts import (
    AccountUpdated,
    RiskAccepted,
    RiskRejected,
    RiskRequested,
    SecuritiesDeposited,
    SharesReleased,
    UserRegistered,
)
from bourse.contracts.events.automation import (
    AlertTriggered,
    AutoRunFinished,
    OrderRequested,
    PortfolioUpdated,
)
from bourse.contracts.events.base import OrderStatus, Payload, Side, SymbolPayload
from bourse.contracts.events.exchange import (
    EngineEvent,
    ExchangeCommand,
    ExchangeStarted,
    ExecutionsReported,
    trade_key,
)
from bourse.contracts.events.lifecycle import (
    Fill,
    FillSettled,
    OrderCancelRequested,
    OrderChanged,
    OrderSnapshot,
)
from bourse.contracts.events.market import (
    BookChanged,
    InstrumentChanged,
    PriceChanged,
    TradeExecuted,
)

__all__ = [
    "AccountUpdated",
    "AlertTriggered",
    "AutoRunFinished",
    "BookChanged",
    "EngineEvent",
    "ExchangeCommand",
    "ExchangeStarted",
    "ExecutionsReported",
    "Fill",
    "FillSettled",
    "InstrumentChanged",
    "OrderCancelRequested",
    "OrderChanged",
    "OrderRequested",
    "OrderSnapshot",
    "OrderStatus",
    "Payload",
    "PortfolioUpdated",
    "PriceChanged",
    "RiskAccepted",
    "RiskRejected",
    "RiskRequested",
    "SecuritiesDeposited",
    "SharesReleased",
    "Side",
    "SymbolPayload",
    "TradeExecuted",
    "UserRegistered",
    "trade_key",
]
