"""Test support of user-service's tests: API keys made and presented through the API."""

from typing import Any

import httpx


async def new_key(
    client: httpx.AsyncClient, auth: dict[str, str], scopes: list[str] | None = None
) -> dict[str, Any]:
    """A new key of the user of ``auth``, as its creation answers it (secret included)."""
    body = {"name": "my bot", "scopes": scopes or ["read", "trade"]}
    response = await client.post("/api/v1/api-keys", json=body, headers=auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def key_headers(key: dict[str, Any], secret: str | None = None) -> dict[str, str]:
    return {"X-Bourse-Key-Id": key["key_id"], "X-Bourse-Key-Secret": secret or key["secret"]}
