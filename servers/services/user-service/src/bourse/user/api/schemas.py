from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from bourse.auth.api_keys import KEY_ID_HEADER, KEY_SECRET_HEADER
from bourse.common.text import PlainText
from bourse.user.domain.passwords import MIN_LENGTH

Password = Annotated[str, StringConstraints(min_length=MIN_LENGTH, max_length=1024)]


class RegisterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr
    password: Password
    name: Annotated[PlainText, StringConstraints(strip_whitespace=True, max_length=200)] | None = (
        None
    )


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Annotated[str, StringConstraints(max_length=320)]
    password: Annotated[str, StringConstraints(max_length=1024)]


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=512)]


class User(BaseModel):
    id: UUID
    email: str
    name: str | None
    created_at: datetime


class Tokens(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="access token lifetime in seconds")


Scope = Literal["read", "trade"]


class ApiKeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[
        PlainText, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=2)]


class ApiKey(BaseModel):
    id: UUID
    key_id: str = Field(description=f"send it as {KEY_ID_HEADER}")
    name: str
    scopes: list[Scope]
    created_at: datetime


class NewApiKey(ApiKey):
    secret: str = Field(description=f"send it as {KEY_SECRET_HEADER}; shown only this once")


class KeyCheck(BaseModel):
    """An API key to check, and the address of the client that presented it (the
    failed-attempt throttle counts per key id and per address)."""

    model_config = ConfigDict(extra="forbid")
    key_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    secret: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    client: Annotated[str, StringConstraints(max_length=100)] | None = None


class KeyOwner(BaseModel):
    user_id: UUID
    key_id: str
    scopes: list[str]
    roles: list[str]
