"""Settings and the command line: ``python -m bourse.exchange_server serve --shard K``."""

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aio_pika
import httpx
import pytest

from bourse.exchange_server.config import Settings


def test_each_shard_has_its_own_port_and_directory(tmp_path: Path) -> None:
    settings = Settings(shard=2, shards=4, journal_dir=tmp_path)
    assert settings.port == 8102
    assert settings.shard_dir == tmp_path / "shard-2"
    assert Settings(shard=1, shards=2, port=9001).port == 9001
    assert Settings().journal_dir == Path("var/exchange")


def test_a_shard_must_exist() -> None:
    with pytest.raises(ValueError, match="does not exist"):
        Settings(shard=2, shards=2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_serve_recovers_consumes_and_stops_on_sigterm(vhost_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = os.environ | {
        "BOURSE_EXCHANGE_AMQP_URL": vhost_url,
        "BOURSE_EXCHANGE_JOURNAL_DIR": str(tmp_path),
        "BOURSE_EXCHANGE_SHARDS": "2",
    }
    args = ["-m", "bourse.exchange_server", "serve", "--shard", "1", "--port", str(port)]
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, env=env, stdout=asyncio.subprocess.PIPE
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            async with asyncio.timeout(20):
                while True:
                    try:
                        if (await client.get("/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
            assert (await client.get("/healthz")).json() == {"status": "ok"}
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 20)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert process.returncode in (0, -signal.SIGTERM)
    assert b"shard 1 stopped at journal seq 0" in output
    assert (tmp_path / "shard-1" / "LOCK").exists()


async def test_declare_creates_the_shard_queue_and_exits(vhost_url: str) -> None:
    env = os.environ | {"BOURSE_EXCHANGE_AMQP_URL": vhost_url, "BOURSE_EXCHANGE_SHARDS": "2"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bourse.exchange_server", "declare", "--shard", "1", env=env
    )
    assert await asyncio.wait_for(process.wait(), 30) == 0
    connection = await aio_pika.connect(vhost_url)
    async with connection:
        channel = await connection.channel()
        for name in ("exchange.commands.shard-1", "exchange.commands.shard-1.dlq"):
            await channel.declare_queue(name, passive=True)  # raises if missing
