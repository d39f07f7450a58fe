"""/api/v1/api-keys (API.md, Identity) and the key check the other services call,
``POST /internal/api-keys/verify``.

Managing keys needs a user's access token: a caller authenticated by a key gets 403
``insufficient_scope`` (a leaked key cannot mint more keys nor revoke its owner's).

/internal/* is not routed by nginx (nor by the Kubernetes Ingress): only services reach
it. It answers no more than any public route does when given the key's headers (who the
key belongs to), with the same failed-attempt throttle, so it needs no secret of its own.
A request that came through a proxy (it carries ``X-Forwarded-For``) is refused all the
same, should a misconfigured edge ever route it.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from bourse.auth.deps import TokenUser
from bourse.common.errors import not_found
from bourse.common.pagination import After, Limit, Page
from bourse.messaging.runtime import Db
from bourse.user import api_keys
from bourse.user.api.schemas import ApiKey, ApiKeyRequest, KeyCheck, KeyOwner, NewApiKey
from bourse.user.config import Settings

router = APIRouter(prefix="/api/v1/api-keys", tags=["api-keys"])
internal = APIRouter(prefix="/internal/api-keys", tags=["internal"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not authenticated"},
    403: {"description": "authenticated by an API key (`insufficient_scope`)"},
    404: {"description": "no such key of yours"},
    409: {"description": "too many active keys (`too_many_api_keys`)"},
    422: {"description": "invalid input"},
}
CHECK_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "unknown, revoked or wrong key (`invalid_api_key`)"},
    404: {"description": "reached through a proxy"},
    422: {"description": "invalid input"},
    429: {"description": "too many failed attempts (`too_many_attempts`), Retry-After"},
}


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Config = Annotated[Settings, Depends(_settings)]


@router.post("", status_code=201, response_model=NewApiKey, responses=PROBLEMS)
async def create_api_key(body: ApiKeyRequest, user: TokenUser, db: Db) -> NewApiKey:
    # No Idempotency-Key replay here: replaying the first answer would mean storing the
    # secret in clear. A retried creation makes a second key; the first can be revoked.
    row, secret = await api_keys.create_key(db, user.user_id, body.name, list(body.scopes))
    return NewApiKey(**_shown(row), secret=secret)


@router.get("", response_model=Page[ApiKey], responses=PROBLEMS)
async def list_api_keys(
    user: TokenUser, db: Db, limit: Limit = 50, after: After = None
) -> Page[ApiKey]:
    page = await api_keys.list_keys(db, user.user_id, limit, after)
    return Page[ApiKey](items=[ApiKey(**_shown(row)) for row in page.items], next=page.next)


@router.delete("/{id}", status_code=204, responses=PROBLEMS)
async def revoke_api_key(id: uuid.UUID, user: TokenUser, db: Db) -> Response:
    await api_keys.revoke_key(db, user.user_id, id)
    return Response(status_code=204)


@internal.post("/verify", response_model=KeyOwner, responses=CHECK_PROBLEMS)
async def verify_api_key(body: KeyCheck, request: Request, db: Db, settings: Config) -> KeyOwner:
    if "x-forwarded-for" in request.headers:
        raise not_found("route")
    row = await api_keys.verify_key(db, settings, body.key_id, body.secret, body.client)
    return KeyOwner(
        user_id=row.user_id, key_id=row.key_id, scopes=list(row.scopes), roles=list(row.roles)
    )


def _shown(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "key_id": row.key_id,
        "name": row.name,
        "scopes": list(row.scopes),
        "created_at": row.created_at,
    }
