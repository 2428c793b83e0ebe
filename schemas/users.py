"""Accounts: sign-up, login, tokens, the profile."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from schemas.base import ANSWER_DEFAULTS_REQUIRED, OutModel, RequestModel
from schemas.goals import NotificationPreferences
from schemas.types import (
    Currency,
    Email,
    IsoDate,
    Name,
    Password,
    Phone,
    Secret,
    Text,
    Timezone,
    TypedSecret,
)


class Profile(RequestModel):
    model_config = ANSWER_DEFAULTS_REQUIRED  # an answer only (UserOut); requests use ProfileUpdate

    date_of_birth: IsoDate | None = None
    address: Text(500) | None = None
    preferred_currency: Currency = "INR"
    timezone: Timezone = "Asia/Kolkata"


class ProfileUpdate(RequestModel):
    """Partial: fields left out keep their value; `null` clears only the optional ones."""

    date_of_birth: IsoDate | None = None
    address: Text(500) | None = None
    preferred_currency: Currency = Field(default=None)  # type: ignore[assignment]
    timezone: Timezone = Field(default=None)  # type: ignore[assignment]


class SignupRequest(RequestModel):
    email: Email
    password: Password
    full_name: Name
    phone: Phone | None = None


class LoginRequest(RequestModel):
    email: Text(320)
    password: TypedSecret


class RefreshRequest(RequestModel):
    refresh_token: Annotated[Secret, Field(max_length=4096)]


class PasswordResetRequest(RequestModel):
    email: Text(320)


class PasswordResetConfirm(RequestModel):
    token: Annotated[Secret, Field(min_length=1, max_length=512)]
    new_password: Password


class ChangePasswordRequest(RequestModel):
    current_password: TypedSecret
    new_password: Password


class DeleteAccountRequest(RequestModel):
    password: TypedSecret


class UserOut(OutModel):
    email: str
    full_name: str
    phone: str | None = None
    profile: Profile
    notification_preferences: NotificationPreferences = {}
    is_active: bool = True
    created_at: datetime


class UserUpdate(RequestModel):
    full_name: Name = Field(default=None)  # type: ignore[assignment]
    phone: Phone | None = None
    profile: ProfileUpdate | None = None
    notification_preferences: NotificationPreferences | None = None


class TokenPair(BaseModel):
    model_config = ANSWER_DEFAULTS_REQUIRED

    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserOut


class AccessToken(BaseModel):
    """OAuth2 password-flow answer, for Swagger's Authorize button."""

    model_config = ANSWER_DEFAULTS_REQUIRED

    access_token: str
    token_type: str = "bearer"
