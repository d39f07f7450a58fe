"""``python -m bourse.matching replay``: the replay contract on stdin/stdout."""

import argparse
import sys

from bourse.matching import replay


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bourse.matching")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("replay", help="read JSON-line commands on stdin, write events")
    parser.parse_args(argv)
    return replay.main(sys.stdin, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
