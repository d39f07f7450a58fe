"""Why the domain says no."""


class DomainError(Exception):
    """A request the rules refuse (the caller's input or balance): a 422 at the API."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class LedgerError(Exception):
    """An event that would break the ledger (a negative balance, a release of more than
    is held): a contract breach upstream, never applied."""
