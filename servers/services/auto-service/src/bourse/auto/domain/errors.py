"""A refused input: ``code`` is the stable problem code the API answers with (422)."""


class DomainError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
