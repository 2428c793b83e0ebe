"""Request and response models. Requests forbid unknown fields; money is exact Decimal."""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from bson import ObjectId
from fastapi import Depends, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    model_validator,
)

from dates import KNOWN_TIMEZONES

T = TypeVar("T")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000000")  # 1e12


def quantize(value: Decimal) -> Decimal:
    """The one rounding rule for money: half-up to the paisa."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# ------------------------------------------------ shared types


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    return value


def _two_places(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if value.as_tuple().exponent < -2 and value != value.quantize(CENT):
        raise ValueError("at most 2 decimal places")
    return value.quantize(CENT)


def _as_number(value: Decimal) -> float | int:
    # JSON numbers, as the frontend expects; exact for amounts up to 10^13.
    return float(value)


_json_number = PlainSerializer(_as_number, return_type=float, when_used="json")

# A positive amount in a request: > 0, at most 2 decimals (never silently rounded), at most 1e12.
Money = Annotated[
    Decimal,
    BeforeValidator(_no_bool),
    Field(gt=0, le=MAX_AMOUNT, allow_inf_nan=False),
    AfterValidator(_two_places),
    _json_number,
]
# Any stored or computed amount in a response.
Amount = Annotated[Decimal, _json_number]
Percent = Annotated[Decimal, _json_number]


def _oid_to_str(value: Any) -> Any:
    return str(value) if isinstance(value, ObjectId) else value


ObjectIdStr = Annotated[str, BeforeValidator(_oid_to_str)]


def _timezone(value: str) -> str:
    if value not in KNOWN_TIMEZONES:
        raise ValueError("unknown IANA timezone")
    return value


Timezone = Annotated[str, AfterValidator(_timezone)]


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OutModel(BaseModel):
    """A stored document as a response: `_id` becomes `id`, internal fields are dropped."""

    model_config = ConfigDict(extra="ignore")

    id: ObjectIdStr

    @model_validator(mode="before")
    @classmethod
    def _from_document(cls, data: Any) -> Any:
        if isinstance(data, dict) and "_id" in data:
            data = {**data, "id": data["_id"]}
        return data


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    skip: int
    limit: int


class PageParams:
    def __init__(
        self,
        skip: Annotated[int, Query(ge=0, le=100_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=100, description="At most 100")] = 20,
    ) -> None:
        self.skip = skip
        self.limit = limit


Pagination = Annotated[PageParams, Depends()]


class ErrorOut(BaseModel):
    detail: str
    code: str


class Message(BaseModel):
    detail: str


# ------------------------------------------------ notifications (shared)


class NotificationType(StrEnum):
    payment_due = "payment_due"
    payment_reminder = "payment_reminder"
    payment_received = "payment_received"
    debt_completed = "debt_completed"
    goal_milestone = "goal_milestone"
    expense_alert = "expense_alert"
    income_received = "income_received"
    system = "system"


class ChannelPrefs(RequestModel):
    email: bool = True
    push: bool = True


NotificationPreferences = dict[NotificationType, ChannelPrefs]


# ------------------------------------------------ auth and users

# Active ISO 4217 currency codes.
_ISO_4217 = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW
ZWG
"""
CURRENCIES = frozenset(_ISO_4217.split())


def _currency(value: str) -> str:
    value = value.upper()
    if value not in CURRENCIES:
        raise ValueError("not an ISO 4217 currency code")
    return value


def _password(value: str) -> str:
    # bcrypt reads only the first 72 bytes: refuse longer passwords instead of truncating them.
    if len(value.encode()) > 72:
        raise ValueError("must be at most 72 bytes in UTF-8")
    return value


Currency = Annotated[str, AfterValidator(_currency)]
Password = Annotated[str, Field(min_length=8, max_length=72), AfterValidator(_password)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ()-]{6,19}$")]
Name = Annotated[str, Field(min_length=1, max_length=100)]


class Profile(RequestModel):
    date_of_birth: date | None = None
    address: Annotated[str, Field(max_length=500)] | None = None
    preferred_currency: Currency = "INR"
    timezone: Timezone = "Asia/Kolkata"


class ProfileUpdate(RequestModel):
    """Partial: fields left out keep their value; `null` clears only the optional ones."""

    date_of_birth: date | None = None
    address: Annotated[str, Field(max_length=500)] | None = None
    preferred_currency: Currency = Field(default=None)  # type: ignore[assignment]
    timezone: Timezone = Field(default=None)  # type: ignore[assignment]


class SignupRequest(RequestModel):
    email: EmailStr
    password: Password
    full_name: Name
    phone: Phone | None = None


class LoginRequest(RequestModel):
    email: Annotated[str, Field(max_length=320)]
    password: Annotated[str, Field(max_length=1024)]


class RefreshRequest(RequestModel):
    refresh_token: Annotated[str, Field(max_length=4096)]


class PasswordResetRequest(RequestModel):
    email: Annotated[str, Field(max_length=320)]


class PasswordResetConfirm(RequestModel):
    token: Annotated[str, Field(min_length=1, max_length=512)]
    new_password: Password


class ChangePasswordRequest(RequestModel):
    current_password: Annotated[str, Field(max_length=1024)]
    new_password: Password


class DeleteAccountRequest(RequestModel):
    password: Annotated[str, Field(max_length=1024)]


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
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserOut


class AccessToken(BaseModel):
    """OAuth2 password-flow answer, for Swagger's Authorize button."""

    access_token: str
    token_type: str = "bearer"


# ------------------------------------------------ debts and payments (issue 3)


# ------------------------------------------------ income, expenses, budgets (issue 4)


# ------------------------------------------------ goals and notifications inbox (issue 5)


# ------------------------------------------------ dashboard and reports (issue 6)
