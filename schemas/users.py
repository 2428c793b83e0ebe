"""Accounts: sign-up, login, tokens, the profile."""

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from schemas.base import OutModel, RequestModel, ResponseModel, UpdateModel
from schemas.notifications import NotificationPreferences
from schemas.types import (
    Amount,
    Currency,
    Day,
    DayOut,
    Email,
    Instant,
    Name,
    Password,
    Phone,
    Secret,
    SignedMoney,
    Text,
    Threshold,
    Timezone,
    TypedSecret,
)

# A card used above this percent of its limit raises an alert, once a cycle (the default of
# the profile's `card_utilisation_alert`).
CARD_UTILISATION_ALERT = 30


class TaxRegimeChoice(StrEnum):
    old = "old"
    new = "new"


class Profile(RequestModel):
    date_of_birth: Day | None = None
    address: Text(500) | None = None
    preferred_currency: Currency = "INR"
    timezone: Timezone = "Asia/Kolkata"
    tax_regime: TaxRegimeChoice = TaxRegimeChoice.old  # the tax summary's default
    card_utilisation_alert: Threshold = (
        CARD_UTILISATION_ALERT  # % of a card's limit in use that raises an alert
    )
    # Warn (once per episode) when the forecast goes below this; null: no such warning.
    low_balance_threshold: SignedMoney | None = None


class ProfileUpdate(RequestModel):
    """Partial: fields left out keep their value; `null` clears only the optional ones."""

    date_of_birth: Day | None = None
    address: Text(500) | None = None
    preferred_currency: Currency = Field(default=None)  # type: ignore[assignment]
    timezone: Timezone = Field(default=None)  # type: ignore[assignment]
    tax_regime: TaxRegimeChoice = Field(default=None)  # type: ignore[assignment]
    card_utilisation_alert: Threshold = Field(default=None)  # type: ignore[assignment]
    low_balance_threshold: SignedMoney | None = None


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


class ProfileOut(ResponseModel):
    date_of_birth: DayOut | None = None
    address: str | None = None
    preferred_currency: str = "INR"
    timezone: str = "Asia/Kolkata"
    tax_regime: TaxRegimeChoice = TaxRegimeChoice.old
    card_utilisation_alert: int = CARD_UTILISATION_ALERT
    low_balance_threshold: Amount | None = None


class UserOut(OutModel):
    email: str
    full_name: str
    phone: str | None = None
    profile: ProfileOut
    notification_preferences: NotificationPreferences = {}
    is_active: bool = True
    created_at: Instant
    updated_at: Instant


class UserUpdate(UpdateModel):
    full_name: Name = Field(default=None)  # type: ignore[assignment]
    phone: Phone | None = None
    profile: ProfileUpdate | None = None
    notification_preferences: NotificationPreferences | None = None


class TokenPair(ResponseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserOut


class AccessToken(ResponseModel):
    """OAuth2 password-flow answer, for Swagger's Authorize button."""

    access_token: str
    token_type: str = "bearer"


UserUpdate.echo_of = UserOut
