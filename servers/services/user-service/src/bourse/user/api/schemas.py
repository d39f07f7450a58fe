from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

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
