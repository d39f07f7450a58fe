"""Where the stack benchmarks find the running stack: this checkout, whose e2e client
(``tests.e2e.helpers``) they reuse, and its gateway (``bourse.stack``).

Importing this module puts the checkout's root on ``sys.path`` (tests/ is not a package
of the workspace); the benchmarks import it before tests.e2e.helpers, which isort's
order (bourse < tests) keeps.
"""

import argparse
import sys
from pathlib import Path

from bourse.stack import GATEWAY

ROOT = Path(__file__).resolve().parents[4]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def add_gateway_option(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    """``--base-url``: the gateway the benchmark talks to (the stack's, by default)."""
    parser.add_argument("--base-url", default=GATEWAY, help=help)


def websocket_url(base_url: str, path: str) -> str:
    """The WebSocket URL of ``path`` behind an ``http://`` base URL."""
    return base_url.replace("http://", "ws://", 1) + path
