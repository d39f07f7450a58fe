"""The request input types every service shares: DecimalIn, Symbol and UtcTime."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from bourse.contracts.money import DecimalIn
from bourse.contracts.symbols import Symbol, is_symbol
from bourse.contracts.times import UtcTime


class Body(BaseModel):
    value: DecimalIn | None = None
    symbol: Symbol | None = None
    at: UtcTime | None = None


def read(text: str) -> Body:
    """A body as the services parse it: JSON numbers as exact decimals."""
    return Body.model_validate(json.loads(text, parse_float=Decimal))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"100.25"', "100.25"),
        ('"0"', "0"),
        ('"-0"', "0"),
        ('"-12.5"', "-12.5"),
        ('"007"', "7"),
        ('"1.000000000000"', "1"),  # 12 places
        ('"1.00000000000000000000"', "1"),  # trailing zeros do not count
        ('"99999999999999999999"', "99999999999999999999"),  # 20 digits
        ("100", "100"),
        ("100.25", "100.25"),
        ("0.1", "0.1"),  # exact: never through a float
        ("1e2", "100"),  # an exponent is fine in a JSON number
        ("1.5E-3", "0.0015"),
        ("-0.0", "0"),
    ],
)
def test_accepted_decimals(raw: str, expected: str) -> None:
    value = read(f'{{"value": {raw}}}').value
    assert value == Decimal(expected)
    assert value is not None and value.as_tuple().exponent <= 0  # type: ignore[operator]


@pytest.mark.parametrize(
    "raw",
    [
        '"1_000"',
        '"\u0661\u0662\u0663"',  # Arabic-Indic digits
        '"\uff11\uff12\uff13"',  # fullwidth digits
        '"1e400"',
        '"1E2"',
        '"+1"',
        '" 1 "',
        '"1\\n"',
        '"1."',
        '".5"',
        '""',
        '"-"',
        '"NaN"',
        '"Infinity"',
        '"0x10"',
        '"1,5"',
        '"' + "1" * 40 + '"',  # 40 digits
        '"' + "1" * 100 + '"',  # very long
        '"100000000000000000000"',  # 21 digits
        '"0.0000000000001"',  # 13 places
        "1e300",
        "1e20",
        "-1e300",
        "1e-300",
        "1" * 40,
        "true",
        "false",
        "[]",
        '{"a": 1}',
    ],
)
def test_refused_decimals(raw: str) -> None:
    with pytest.raises(ValidationError):
        read(f'{{"value": {raw}}}')


def test_a_float_is_read_as_written() -> None:
    """A body parsed by FastAPI itself gives floats: read through their shortest repr."""
    assert Body(value=0.1).value == Decimal("0.1")  # type: ignore[arg-type]
    for bad in (float("nan"), float("inf"), 1e300):
        with pytest.raises(ValidationError):
            Body(value=bad)  # type: ignore[arg-type]


def test_the_json_schema_documents_plain_notation() -> None:
    schema: Any = Body.model_json_schema()["properties"]["value"]["anyOf"][0]
    assert {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"}.items() <= schema["anyOf"][
        0
    ].items()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("AAPL", "AAPL"), ("brk.b", "BRK.B"), ("A", "A"), ("ABCDEFGHIJ", "ABCDEFGHIJ")],
)
def test_symbols(raw: str, expected: str) -> None:
    assert Body(symbol=raw).symbol == expected
    assert is_symbol(expected)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1ABC",
        "A-B",
        "ABCDEFGHIJK",
        " AAPL",
        "AAPL\n",
        "ÄPPL",
        "\uff21\uff21\uff30\uff2c",
        "A B",
        ".A",
        "ǅ",
    ],
)
def test_refused_symbols(raw: str) -> None:
    with pytest.raises(ValidationError):
        Body(symbol=raw)
    assert not is_symbol(raw)


def test_symbol_must_be_a_string() -> None:
    for bad in (1, None, True, ["AAPL"]):
        with pytest.raises(ValidationError):
            Body.model_validate({"symbol": bad} if bad is not None else {"symbol": 1})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-02T12:00:00Z", datetime(2026, 3, 2, 12, tzinfo=UTC)),
        ("2026-03-02T12:00:00", datetime(2026, 3, 2, 12, tzinfo=UTC)),  # no zone: UTC
        ("2026-03-02T12:00:00+05:45", datetime(2026, 3, 2, 6, 15, tzinfo=UTC)),
        ("1970-01-01T00:00:00Z", datetime(1970, 1, 1, tzinfo=UTC)),
        ("9000-12-31T23:59:59Z", datetime(9000, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_times(raw: str, expected: datetime) -> None:
    value = Body(at=raw).at  # type: ignore[arg-type]
    assert value == expected and value is not None and value.tzinfo is UTC


@pytest.mark.parametrize(
    "raw",
    [
        "9999-12-31T23:59:59-14:00",  # beyond datetime.max in UTC
        "0001-01-01T00:00:00+14:00",  # before datetime.min in UTC
        "9999-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "9001-01-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-03-02T24:00:01Z",
        "2026-12-31T23:59:60Z",  # a leap second: not an ISO time Python reads
        "not a time",
        "",
        1772000000,  # seconds (or milliseconds?) since 1970: not a time here
        1772000000.5,
        True,
    ],
)
def test_refused_times(raw: object) -> None:
    with pytest.raises(ValidationError) as info:
        Body.model_validate({"at": raw})
    assert "time" in str(info.value) or "date" in str(info.value)
