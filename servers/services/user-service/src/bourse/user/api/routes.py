"""/api/v1/auth/* and /api/v1/users/me (API.md, Identity)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from bourse.auth.deps import CurrentUser
from bourse.messaging.runtime import Db
from bourse.user import handlers
from bourse.user.api.schemas import LoginRequest, RefreshRequest, RegisterRequest, Tokens, User
from bourse.user.config import Settings
from bourse.user.keys import KeyRing

router = APIRouter(prefix="/api/v1")
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not authenticated"},
    409: {"description": "conflict"},
    422: {"description": "invalid input"},
}


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _keys(request: Request) -> KeyRing:
    keys: KeyRing = request.app.state.keys
    return keys


Config = Annotated[Settings, Depends(_settings)]
Keys = Annotated[KeyRing, Depends(_keys)]


def _user(row: Any) -> User:
    return User(id=row.id, email=row.email, name=row.name, created_at=row.created_at)


@router.post(
    "/auth/register", status_code=201, response_model=User, responses=PROBLEMS, tags=["auth"]
)
async def register(body: RegisterRequest, db: Db, settings: Config) -> User:
    return _user(await handlers.register(db, settings, body.email, body.password, body.name))


LOGIN_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    429: {
        "description": "too many failed attempts on this email (`too_many_attempts`); "
        "retry after the Retry-After header's seconds"
    },
}


@router.post("/auth/login", response_model=Tokens, responses=LOGIN_PROBLEMS, tags=["auth"])
async def login(body: LoginRequest, db: Db, settings: Config, keys: Keys) -> Tokens:
    pair = await handlers.login(db, settings, keys, body.email, body.password)
    return Tokens(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@router.post("/auth/refresh", response_model=Tokens, responses=PROBLEMS, tags=["auth"])
async def refresh(body: RefreshRequest, db: Db, settings: Config, keys: Keys) -> Tokens:
    pair = await handlers.refresh(db, settings, keys, body.refresh_token)
    return Tokens(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@router.post("/auth/logout", status_code=204, responses=PROBLEMS, tags=["auth"])
async def logout(body: RefreshRequest, db: Db) -> Response:
    await handlers.logout(db, body.refresh_token)
    return Response(status_code=204)


@router.get("/auth/jwks", tags=["auth"])
async def jwks(keys: Keys, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = "public, max-age=300"
    return keys.jwks()


@router.get("/users/me", response_model=User, responses=PROBLEMS, tags=["users"])
async def me(user: CurrentUser, db: Db) -> User:
    return _user(await handlers.get_user(db, user.user_id))
