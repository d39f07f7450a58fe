"""Where messages travel: one durable topic exchange per domain, routing keys
``<entity>.<event>[.<SYMBOL>]``."""

import zlib
from typing import Final

USERS: Final = "bourse.users"
ORDERS: Final = "bourse.orders"
TRADER: Final = "bourse.trader"
EXCHANGE: Final = "bourse.exchange"
MARKET: Final = "bourse.market"
AUTO: Final = "bourse.auto"
PORTFOLIO: Final = "bourse.portfolio"
ALL_EXCHANGES: Final = (USERS, ORDERS, TRADER, EXCHANGE, MARKET, AUTO, PORTFOLIO)

DEAD_LETTER_EXCHANGE: Final = "bourse.dlx"


def shard_of(symbol: str, shards: int) -> int:
    """The exchange shard that owns ``symbol``: stable across processes and restarts."""
    return zlib.crc32(symbol.encode()) % shards


def command_key(symbol: str, shards: int) -> str:
    """Routing key of an exchange command for ``symbol``: ``command.shard-<k>.<SYMBOL>``;
    shard k's queue binds ``command.shard-<k>.#``."""
    return f"command.shard-{shard_of(symbol, shards)}.{symbol}"


def shard_binding(shard: int) -> str:
    return f"command.shard-{shard}.#"


def execution_key(symbol: str) -> str:
    return f"execution.{symbol}"


def started_key(shard: int) -> str:
    """Routing key of a shard's start announcement: it travels with the execution reports
    (``execution.#``); ``started.shard-<k>`` is never a symbol (symbols are upper case)."""
    return f"execution.started.shard-{shard}"


# Every shard's start announcement (and no execution report).
STARTED_BINDING: Final = "execution.started.#"


def shard_queue(shard: int) -> str:
    """The command queue of exchange shard ``shard`` (single active consumer)."""
    return f"exchange.commands.shard-{shard}"
