"""Where the stack benchmarks find the running stack: its gateway (``bourse.stack``)."""

import argparse

from bourse.stack import GATEWAY


def add_gateway_option(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    """``--base-url``: the gateway the benchmark talks to (the stack's, by default)."""
    parser.add_argument("--base-url", default=GATEWAY, help=help)


def websocket_url(base_url: str, path: str) -> str:
    """The WebSocket URL of ``path`` behind an ``http://`` base URL."""
    return base_url.replace("http://", "ws://", 1) + path
