"""Contract fuzzing: schemathesis generates requests from each service's OpenAPI (valid and
invalid ones, with a real user's token) and no answer may be a 5xx."""

import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from bourse.testing.api import signup

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["user", "trader", "order", "stock", "portfolio", "auto", "notifications"]


@pytest.mark.parametrize("service", SERVICES)
async def test_no_5xx_on_any_generated_request(
    api: httpx.AsyncClient, tools: ModuleType, service: str
) -> None:
    base = tools.BY_NAME[service].url
    try:
        schema = httpx.get(f"{base}/openapi.json", timeout=5)
    except httpx.HTTPError:
        pytest.skip(f"{service} is not running")
    assert schema.status_code == 200
    trader = await signup(api)
    cli = shutil.which("schemathesis", path=str(ROOT / ".venv" / "bin")) or "schemathesis"
    result = subprocess.run(
        [
            cli,
            "run",
            f"{base}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "25",
            "--seed",
            "1",
            "--request-timeout",
            "10",
            "-H",
            f"Authorization: Bearer {trader.token}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tools.VAR,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
