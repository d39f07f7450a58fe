"""Container health check: GET http://127.0.0.1:<port><path> must answer 200.

    python /opt/bourse/healthcheck.py [/healthz | /readyz]

The port is the service's own setting: BOURSE_<SVC>_PORT when set, else its default
(pydantic-settings, e.g. 8100 + shard for the exchange). Standard library only, except to
read the default.
"""

import importlib
import os
import sys
import urllib.request
from pathlib import Path


def port(module: str) -> int:
    prefix = f"BOURSE_{module.removesuffix('_server').upper()}_"
    if value := os.environ.get(f"{prefix}PORT"):
        return int(value)
    settings = importlib.import_module(f"bourse.{module}.config").Settings()
    return int(settings.port)


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/healthz"
    module = Path("/opt/bourse/module").read_text().strip()
    url = f"http://127.0.0.1:{port(module)}{path}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
