"""Text fields that PostgreSQL can store and people can read: no NUL or other control
characters, no unpaired surrogates (which cannot be encoded as UTF-8)."""

from typing import Annotated

from pydantic import AfterValidator


def plain_text(value: str) -> str:
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ValueError("control characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("not valid Unicode text") from exc
    return value


PlainText = Annotated[str, AfterValidator(plain_text)]
