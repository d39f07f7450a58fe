"""Concurrent uses of one refresh token: exactly one wins, and whichever request loses
the race revokes the family, the winner's new refresh token included."""

import asyncio
import uuid

import httpx

CONCURRENT = 6
ROUNDS = 5


async def _session(client: httpx.AsyncClient) -> str:
    address = f"race{uuid.uuid4().hex[:12]}@example.com"
    credentials = {"email": address, "password": "s3cret-pass!"}
    assert (await client.post("/api/v1/auth/register", json=credentials)).status_code == 201
    response = await client.post("/api/v1/auth/login", json=credentials)
    assert response.status_code == 200, response.text
    token: str = response.json()["refresh_token"]
    return token


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": token})


async def test_one_concurrent_refresh_wins_and_the_loser_revokes_the_winner(
    client: httpx.AsyncClient,
) -> None:
    for _ in range(ROUNDS):
        token = await _session(client)
        answers = await asyncio.gather(*(_refresh(client, token) for _ in range(CONCURRENT)))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200] + [401] * (CONCURRENT - 1), [a.text for a in answers]
        assert {a.json()["code"] for a in answers if a.status_code == 401} == {
            "refresh_token_reused"
        }
        winner = next(a for a in answers if a.status_code == 200).json()["refresh_token"]
        after = await _refresh(client, winner)
        assert after.status_code == 401, after.text
        assert after.json()["code"] == "invalid_refresh_token"


async def test_a_refresh_racing_a_logout_leaves_nothing_usable(client: httpx.AsyncClient) -> None:
    for _ in range(ROUNDS):
        token = await _session(client)
        answers = await asyncio.gather(
            _refresh(client, token),
            client.post("/api/v1/auth/logout", json={"refresh_token": token}),
        )
        if answers[0].status_code == 200:  # refreshed first: the logout revoked its child
            child = answers[0].json()["refresh_token"]
            assert (await _refresh(client, child)).status_code == 401
        assert (await _refresh(client, token)).status_code == 401


async def test_a_reuse_racing_the_childs_rotation_leaves_nothing_usable(
    client: httpx.AsyncClient,
) -> None:
    """The stolen parent comes back while the legitimate holder rotates the child: if
    the child's rotation wins, the revocation must still catch the grandchild."""
    for _ in range(ROUNDS):
        parent = await _session(client)
        first = await _refresh(client, parent)
        child = first.json()["refresh_token"]
        reuse, rotation = await asyncio.gather(_refresh(client, parent), _refresh(client, child))
        assert reuse.status_code == 401
        if rotation.status_code == 200:
            grandchild = rotation.json()["refresh_token"]
            assert (await _refresh(client, grandchild)).status_code == 401
        assert (await _refresh(client, child)).status_code == 401
