"""FastAPI dependencies: ``CurrentUser`` (401 problem+json without a valid bearer token)
and ``require_role``. The app stores its :class:`TokenVerifier` in ``app.state.verifier``."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bourse.auth.principal import Principal
from bourse.auth.verify import InvalidTokenError, TokenVerifier
from bourse.common.errors import Problem, unauthorized

_bearer = HTTPBearer(auto_error=False)


def verifier_of(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.verifier
    return verifier


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized()
    try:
        return await verifier_of(request).verify(credentials.credentials)
    except InvalidTokenError as exc:
        raise unauthorized(f"invalid access token: {exc}") from exc


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_role(role: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(user: CurrentUser) -> Principal:
        if not user.has_role(role):
            raise Problem(403, "forbidden", f"the {role} role is required")
        return user

    return check
