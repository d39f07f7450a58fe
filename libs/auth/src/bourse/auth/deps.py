"""FastAPI dependencies: ``CurrentUser`` (401 problem+json without a valid bearer token or
API key; 403 ``insufficient_scope`` when a key's scopes do not allow the method),
``TokenUser`` (a bearer token only) and ``require_role``. The app stores its
:class:`TokenVerifier` in ``app.state.verifier``; API keys are checked by its
``api_keys`` (:class:`bourse.auth.api_keys.KeyVerifier`)."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from bourse.auth.api_keys import KEY_ID_HEADER, KEY_SECRET_HEADER
from bourse.auth.principal import Principal
from bourse.auth.scopes import check_method_scope, check_not_a_key
from bourse.auth.verify import InvalidTokenError, TokenVerifier
from bourse.common.errors import Problem, unauthorized

# The key headers are read from the request, not declared as two more security
# dependencies: each dependency FastAPI solves costs every authenticated request, and two
# more (with the nesting) were ~30 us of ~330. The bearer scheme's description names them.
_bearer = HTTPBearer(
    auto_error=False,
    description=f"an access token; or, instead, an API key: {KEY_ID_HEADER} and "
    f"{KEY_SECRET_HEADER} headers",
)


def verifier_of(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.verifier
    return verifier


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, by its bearer token, else by its API key headers; a key's scopes must
    allow the request's method."""
    bearer = credentials is not None and credentials.scheme.lower() == "bearer"
    return await _principal(request, credentials.credentials if credentials and bearer else None)


async def authenticate(request: Request) -> Principal:
    """:func:`current_user` for a route that FastAPI does not solve dependencies for
    (:mod:`bourse.common.direct`): the ``Authorization`` header read as ``HTTPBearer``
    reads it."""
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    return await _principal(request, token if scheme.lower() == "bearer" and token else None)


async def _principal(request: Request, token: str | None) -> Principal:
    if token is not None:
        try:
            return await verifier_of(request).verify(token)
        except InvalidTokenError as exc:
            raise unauthorized(f"invalid access token: {exc}") from exc
    principal = await _by_key(request)
    check_method_scope(principal, request.method)
    return principal


async def _by_key(request: Request) -> Principal:
    key_id = request.headers.get(KEY_ID_HEADER)
    secret = request.headers.get(KEY_SECRET_HEADER)
    if key_id is None and secret is None:
        raise unauthorized()
    if not key_id or not secret:
        raise unauthorized(f"an API key needs both {KEY_ID_HEADER} and {KEY_SECRET_HEADER}")
    keys = verifier_of(request).api_keys
    if keys is None:
        raise unauthorized("API keys are not accepted here")
    client = request.client.host if request.client else None
    return await keys.verify(key_id, secret, client)


CurrentUser = Annotated[Principal, Depends(current_user)]


async def token_user(principal: CurrentUser) -> Principal:
    check_not_a_key(principal)
    return principal


TokenUser = Annotated[Principal, Depends(token_user)]


def require_role(role: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(user: CurrentUser) -> Principal:
        if not user.has_role(role):
            raise Problem(403, "forbidden", f"the {role} role is required")
        return user

    return check
