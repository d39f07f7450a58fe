"""Where the stack benchmarks find the running stack: this checkout, whose e2e client
(``tests.e2e.helpers``) and process table (``scripts.stack``) they reuse, and its gateway.

Importing this module puts the checkout's root on ``sys.path`` (neither folder is a
package of the workspace); the benchmarks import it before those two, which isort's
order (bourse < scripts < tests) keeps.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.stack import GATEWAY  # noqa: E402


def add_gateway_option(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    """``--base-url``: the gateway the benchmark talks to (the stack's, by default)."""
    parser.add_argument("--base-url", default=GATEWAY, help=help)


def websocket_url(base_url: str, path: str) -> str:
    """The WebSocket URL of ``path`` behind an ``http://`` base URL."""
    return base_url.replace("http://", "ws://", 1) + path
