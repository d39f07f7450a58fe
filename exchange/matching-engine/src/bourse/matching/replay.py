"""The replay contract: JSON-line commands in, JSON-line events out, one book.

uv run python -m bourse.matching replay < cmds.jsonl > events.jsonl
"""

import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from bourse.matching.book import OrderBook
from bourse.matching.commands import apply_command
from bourse.matching.types import INVALID_COMMAND, event_to_dict


def replay(book: OrderBook, commands: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Apply ``commands`` to ``book``, yielding contract events (with ``seq``)."""
    for cmd in commands:
        events = apply_command(book, cmd)
        first = book.seq - len(events) + 1
        for offset, event in enumerate(events):
            yield event_to_dict(event, first + offset)


def run_commands(commands: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Apply contract commands to one fresh book; return contract events (with ``seq``)."""
    return list(replay(OrderBook(), commands))


def _parse_lines(lines: Iterable[str]) -> Iterator[Mapping[str, Any]]:
    for line in lines:
        if not line.strip():
            continue
        try:
            cmd = json.loads(line)
        except ValueError:
            cmd = None
        yield cmd if isinstance(cmd, dict) else {"op": INVALID_COMMAND}


def main(stdin: IO[str], stdout: IO[str]) -> int:
    write = stdout.write
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    for event in replay(OrderBook(), _parse_lines(stdin)):
        write(dumps(event))
        write("\n")
    stdout.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.stdin, sys.stdout))
