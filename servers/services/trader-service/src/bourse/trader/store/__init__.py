"""All of trader-service's SQL, inside the caller's transaction: the ledger's HTTP use
cases (:mod:`.ledger`, SQLAlchemy Core), watchlists (:mod:`.watchlists`) and the
consumer's batches (:mod:`.batches`, the hot path: asyncpg, one statement per table for
the whole batch).

Lock order, everywhere: account rows (in user id order when there are several), then
holdings and reservations; the account lock serializes everything that touches one
user's money.
"""

from bourse.trader.store.batches import lock_books, open_accounts, save_books
from bourse.trader.store.ledger import (
    account_as_read,
    activities_page,
    add_activity,
    lock_account,
    lock_holding,
    lot_size,
    open_account,
    read_account,
    save_account,
    save_balance,
    save_holding,
    upsert_instrument,
)
from bourse.trader.store.watchlists import (
    add_watchlist,
    count_watchlists,
    delete_watchlist,
    get_watchlist,
    known_symbols,
    lock_watchlists_of,
    save_watchlist,
    watchlist_name_taken,
    watchlists_page,
)

__all__ = [
    "account_as_read",
    "activities_page",
    "add_activity",
    "add_watchlist",
    "count_watchlists",
    "delete_watchlist",
    "get_watchlist",
    "known_symbols",
    "lock_account",
    "lock_books",
    "lock_holding",
    "lock_watchlists_of",
    "lot_size",
    "open_account",
    "open_accounts",
    "read_account",
    "save_account",
    "save_balance",
    "save_books",
    "save_holding",
    "save_watchlist",
    "upsert_instrument",
    "watchlist_name_taken",
    "watchlists_page",
]
