"""The column arrays that one ``unnest`` statement writes."""

from dataclasses import dataclass, field
from decimal import Decimal

from bourse.common.db import dataclass_columns, unnest_columns


@dataclass
class Row:
    id: int
    amount: Decimal
    tags: list[str] = field(default_factory=list)


def test_dataclass_columns_are_the_fields_in_order_and_not_copies() -> None:
    rows = [Row(1, Decimal("1.50"), ["a"]), Row(2, Decimal("-3"))]

    columns = dataclass_columns(Row, rows)

    assert columns == [[1, 2], [Decimal("1.50"), Decimal("-3")], [["a"], []]]
    assert columns[2][0] is rows[0].tags  # shallow: astuple would have deep-copied it
    assert columns == unnest_columns([(r.id, r.amount, r.tags) for r in rows])


def test_no_rows_empty_columns() -> None:
    assert dataclass_columns(Row, []) == [[], [], []]
