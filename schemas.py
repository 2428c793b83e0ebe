"""Request and response models. Requests forbid unknown fields; money is exact Decimal."""

import re
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
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    computed_field,
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

# ---- input grammars: each request type publishes in the OpenAPI schema exactly the inputs it
# accepts, so generated clients, the schema and the server agree (tests/test_fuzz.py checks both
# directions: schema-valid input is accepted, schema-invalid input is a 4xx).


def _grammar(pattern: str, expected: str, *, text_only: bool = False) -> BeforeValidator:
    """Strings must match `pattern` (the one the schema publishes) before any parsing;
    `text_only` also refuses JSON numbers (a date is never a Unix timestamp)."""
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        if text_only and isinstance(value, int | float):
            raise ValueError(f"must be {expected}")
        if isinstance(value, str) and not compiled.fullmatch(value):
            raise ValueError(f"must be {expected}")
        return value

    return BeforeValidator(check)


def _json_integer(value: Any) -> Any:
    if isinstance(value, bool | str):  # JSON integers only: 12 and 12.0, never "12" or true
        raise ValueError("must be an integer")
    return value


def Integer(minimum: int, maximum: int, **field: Any) -> Any:
    """A JSON integer within bounds (the schema's `minimum`/`maximum`)."""
    schema = {"type": "integer", "minimum": minimum, "maximum": maximum}
    return Annotated[
        int,
        BeforeValidator(_json_integer),
        Field(ge=minimum, le=maximum, **field),
        WithJsonSchema(schema | field, mode="validation"),
    ]


# Decimal strings: digits, optional 1-2 decimals, no sign, exponent or spaces.
POSITIVE_DECIMAL = r"^(?:[1-9][0-9]{0,11}(?:\.[0-9]{1,2})?|0\.(?:[1-9][0-9]?|0[1-9]))$"
DECIMAL = r"^(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,2})?$"
PERCENT = r"^(?:100(?:\.00?)?|[1-9]?[0-9](?:\.[0-9]{1,2})?)$"
_DECIMAL_TEXT = "a decimal number with at most 2 decimal places, like 1234.50"


def _decimal_input(pattern: str, number: dict[str, Any]) -> tuple[Any, ...]:
    """A JSON number (a multiple of 0.01 within `number`'s bounds) or a decimal string."""
    schema = {
        "anyOf": [
            {"type": "number", "multipleOf": 0.01, **number},
            {"type": "string", "pattern": pattern},
        ]
    }
    return (
        BeforeValidator(_no_bool),
        _grammar(pattern, _DECIMAL_TEXT),
        WithJsonSchema(schema, mode="validation"),
    )


# A positive amount in a request: > 0, at most 2 decimals (never silently rounded), at most 1e12.
Money = Annotated[
    Decimal,
    *_decimal_input(POSITIVE_DECIMAL, {"exclusiveMinimum": 0, "maximum": int(MAX_AMOUNT)}),
    Field(gt=0, le=MAX_AMOUNT, allow_inf_nan=False),
    AfterValidator(_two_places),
    _json_number,
]

# Request dates: ISO 8601 in the years 1900-2100 (a wider year would overflow when moved between
# timezones), a real calendar day. A datetime has an optional offset: naive is the user's time.
_YEAR = r"(?:19[0-9]{2}|20[0-9]{2}|2100)"
_LEAP_YEAR = r"(?:(?:19|20)(?:0[48]|[2468][048]|[13579][26])|2000)"
_DAY = (
    rf"(?:{_YEAR}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    rf"|{_LEAP_YEAR}-02-29)"
)
_TIME = r"T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
_OFFSET = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
ISO_DATE = rf"^{_DAY}$"
ISO_DATETIME = rf"^{_DAY}(?:{_TIME}{_OFFSET}?)?$"


def _date_input(pattern: str, expected: str, example: str) -> tuple[Any, ...]:
    schema = {"type": "string", "pattern": pattern, "examples": [example]}
    return (
        _grammar(pattern, f"an ISO 8601 {expected} between 1900 and 2100", text_only=True),
        WithJsonSchema(schema, mode="validation"),
    )


# "2024-01-31"
IsoDate = Annotated[date, *_date_input(ISO_DATE, "date", "2024-01-31")]
# "2024-01-31", "2024-01-31T18:30", "2024-01-31T18:30:00+05:30" (a date is its midnight)
IsoDateTime = Annotated[
    datetime, *_date_input(ISO_DATETIME, "date or datetime", "2024-01-31T18:30:00+05:30")
]
# A calendar day; a datetime is accepted and read in the user's timezone (naive = local).
IsoDay = Annotated[date | datetime, *_date_input(ISO_DATETIME, "date or datetime", "2024-01-31")]

# Free text is trimmed; `Text(n)` checks its length as sent, `NotBlank(n)` also needs a visible
# character. The class below is exactly the whitespace the trimming removes (Unicode White_Space).
_VISIBLE = r"[^\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def _max_chars(limit: int) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, str) and len(value) > limit:
            raise ValueError(f"must be at most {limit} characters")
        return value

    return BeforeValidator(check)


def Text(max_length: int) -> Any:
    """Free text of at most `max_length` characters as sent; stored trimmed."""
    schema = {"type": "string", "maxLength": max_length}
    return Annotated[str, _max_chars(max_length), WithJsonSchema(schema, mode="validation")]


def NotBlank(max_length: int) -> Any:
    """Like Text, with at least one visible character."""
    schema = {"type": "string", "maxLength": max_length, "pattern": _VISIBLE}
    return Annotated[
        str,
        _max_chars(max_length),
        Field(min_length=1),
        WithJsonSchema(schema, mode="validation"),
    ]


# Secrets are taken as sent: never trimmed.
Secret = Annotated[str, StringConstraints(strip_whitespace=False)]
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


Timezone = Annotated[
    str,
    StringConstraints(strip_whitespace=False),
    AfterValidator(_timezone),
    WithJsonSchema({"type": "string", "enum": sorted(KNOWN_TIMEZONES)}, mode="validation"),
]


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


async def _page_params(
    skip: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="At most 100")] = 20,
) -> PageParams:
    # async: FastAPI runs a plain `def` dependency (or a class) in its thread pool, a thread
    # hand-off per request (measured in bench/RESULTS-load.md).
    return PageParams(skip, limit)


Pagination = Annotated[PageParams, Depends(_page_params)]


class ErrorOut(BaseModel):
    detail: str
    code: str


class Message(BaseModel):
    detail: str


class ValidationIssue(BaseModel):
    """One invalid field: where (`loc`), what (`msg`, `type`), the input and the limits."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = None
    ctx: dict[str, str] | None = None


class ValidationErrorOut(BaseModel):
    """A 422: field errors (`code: validation_error`) or a broken rule (`detail` explains it)."""

    detail: list[ValidationIssue] | str
    code: str


ERROR_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not authenticated (missing, invalid, expired or revoked token)",
    403: "Forbidden",
    404: "Not found (or not yours)",
    409: "Conflicts with the current state",
    410: "Gone",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many attempts, see Retry-After",
    503: "Temporarily unavailable, see Retry-After",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


def responses(*codes: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each error status with its body model and a description;
    `(404, "Debt not found")` words one for the route."""
    declared: dict[int | str, dict[str, Any]] = {}
    for item in codes:
        code, description = item if isinstance(item, tuple) else (item, ERROR_DESCRIPTIONS[item])
        declared[code] = {
            "model": ValidationErrorOut if code == 422 else ErrorOut,
            "description": description,
        }
        if code in (429, 503):
            declared[code]["headers"] = _RETRY_AFTER
    return declared


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


StrictBool = Annotated[bool, Field(strict=True)]  # true/false only, as the schema says


class ChannelPrefs(RequestModel):
    email: StrictBool = True
    push: StrictBool = True


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


def user_currency(user: dict[str, Any]) -> str:
    """The user's preferred currency (profile.preferred_currency), INR by default."""
    return user.get("profile", {}).get("preferred_currency") or "INR"


# The codes in any letter case, as one pattern: "usd" is USD.
CURRENCY = "^(?:{})$".format(
    "|".join("".join(f"[{c}{c.lower()}]" for c in code) for code in sorted(CURRENCIES))
)


def _currency(value: str) -> str:
    # ASCII only: the dotless i (U+0131) would upper-case to I.
    value = value.upper() if value.isascii() else value
    if value not in CURRENCIES:
        raise ValueError("not an ISO 4217 currency code")
    return value


def _password(value: str) -> str:
    # bcrypt reads only the first 72 bytes: refuse longer passwords instead of truncating them.
    if len(value.encode()) > 72:
        raise ValueError("must be at most 72 bytes in UTF-8")
    return value


Currency = Annotated[
    str,
    StringConstraints(strip_whitespace=False),
    AfterValidator(_currency),
    WithJsonSchema({"type": "string", "pattern": CURRENCY}, mode="validation"),
]
# "password" format: 8-72 characters and at most 72 bytes in UTF-8 (a JSON Schema can't count
# bytes; tests/test_fuzz.py teaches the fuzzer the format).
Password = Annotated[
    Secret,
    Field(min_length=8, max_length=72, json_schema_extra={"format": "password"}),
    AfterValidator(_password),
]
TypedSecret = Annotated[Secret, Field(max_length=1024, json_schema_extra={"format": "password"})]
# The HTML5 (WHATWG) grammar for an email address, with a dot in the domain.
EMAIL = (
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=False),
    _grammar(EMAIL, "an email address"),
    Field(max_length=254),
    WithJsonSchema(
        {"type": "string", "pattern": EMAIL, "maxLength": 254, "examples": ["asha@example.com"]},
        mode="validation",
    ),
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=False), Field(pattern=r"^\+?[0-9][0-9 ()-]{6,19}$")
]
Name = NotBlank(100)


class Profile(RequestModel):
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


class DebtType(StrEnum):
    home_loan = "home_loan"
    car_loan = "car_loan"
    personal_loan = "personal_loan"
    education_loan = "education_loan"
    credit_card = "credit_card"
    gold_loan = "gold_loan"
    business_loan = "business_loan"
    other = "other"


class DebtStatus(StrEnum):
    active = "active"
    completed = "completed"  # set by the system when the remaining amount reaches 0
    closed = "closed"  # set by the user (settled elsewhere, transferred, ...)


class DebtUserStatus(StrEnum):
    """The statuses a client may set: `completed` only ever follows from payments."""

    active = "active"
    closed = "closed"


class PaymentType(StrEnum):
    emi = "emi"
    prepayment = "prepayment"


class PaymentMethod(StrEnum):
    net_banking = "net_banking"
    upi = "upi"
    debit_card = "debit_card"
    credit_card = "credit_card"
    cash = "cash"
    cheque = "cheque"
    auto_debit = "auto_debit"
    other = "other"


# Annual interest rate in percent: 0..100, at most 2 decimals.
Rate = Annotated[
    Decimal,
    *_decimal_input(PERCENT, {"minimum": 0, "maximum": 100}),
    Field(ge=0, le=100, allow_inf_nan=False),
    AfterValidator(_two_places),
    _json_number,
]
# A what-if amount in a query string (0 allowed); routes add Query(ge=0, le=MAX_AMOUNT).
MoneyOrZero = Annotated[
    Decimal,
    _grammar(DECIMAL, _DECIMAL_TEXT),
    AfterValidator(_two_places),
    WithJsonSchema({"type": "string", "pattern": DECIMAL}, mode="validation"),
]
Tenure = Integer(1, 600)
ShortText = Text(100)
Notes = Text(1000)
DateOrDateTime = IsoDay


class DebtCreate(RequestModel):
    name: Name
    debt_type: DebtType
    principal: Money
    interest_rate: Rate
    tenure_months: Tenure
    monthly_emi: Money | None = None  # computed with the reducing-balance formula when omitted
    outstanding_amount: Money | None = None  # for a loan already running; defaults to principal
    bank_name: ShortText | None = None
    start_date: DateOrDateTime
    next_payment_date: DateOrDateTime | None = None  # default: start_date + 1 month
    notes: Notes | None = None

    @model_validator(mode="after")
    def _outstanding_within_principal(self) -> "DebtCreate":
        if self.outstanding_amount is not None and self.outstanding_amount > self.principal:
            raise ValueError("outstanding_amount cannot exceed principal")
        return self


class DebtUpdate(RequestModel):
    """Partial. Loan terms (principal, tenure, outstanding_amount, start_date) are editable
    only until the first payment; `remaining_amount` and the totals are never client-set."""

    name: Name = Field(default=None)  # type: ignore[assignment]
    debt_type: DebtType = Field(default=None)  # type: ignore[assignment]
    principal: Money = Field(default=None)  # type: ignore[assignment]
    interest_rate: Rate = Field(default=None)  # type: ignore[assignment]
    tenure_months: Tenure = Field(default=None)  # type: ignore[assignment]
    monthly_emi: Money = Field(default=None)  # type: ignore[assignment]
    outstanding_amount: Money | None = None
    bank_name: ShortText | None = None
    start_date: DateOrDateTime = Field(default=None)  # type: ignore[assignment]
    next_payment_date: DateOrDateTime = Field(default=None)  # type: ignore[assignment]
    status: DebtUserStatus = Field(default=None)  # type: ignore[assignment]
    notes: Notes | None = None


class DebtOut(OutModel):
    name: str
    debt_type: DebtType
    principal: Amount
    interest_rate: Percent
    tenure_months: int
    monthly_emi: Amount
    outstanding_amount: Amount | None = None
    bank_name: str | None = None
    start_date: datetime
    next_payment_date: datetime | None = None
    status: DebtStatus
    notes: str | None = None
    remaining_amount: Amount
    total_paid: Amount
    total_interest_paid: Amount
    payments_count: int = 0
    completed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def principal_repaid(self) -> Amount:
        """Principal no longer owed: principal - remaining (includes repayment before tracking)."""
        return quantize(self.principal - self.remaining_amount)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def progress_percentage(self) -> Percent:
        """Share of the principal repaid, 0 to 100."""
        return quantize(self.principal_repaid * 100 / self.principal)


class DueDebt(BaseModel):
    debt_id: ObjectIdStr
    name: str
    next_payment_date: datetime
    monthly_emi: Amount
    remaining_amount: Amount


class DebtSummary(BaseModel):
    total_debts: int
    by_status: dict[DebtStatus, int]
    by_type: dict[DebtType, int]
    total_principal: Amount
    total_remaining: Amount  # over active debts
    total_paid: Amount
    total_interest_paid: Amount
    total_monthly_emi: Amount  # over active debts
    next_due: list[DueDebt]  # the next three due payments of active debts


class ScheduleRow(BaseModel):
    month: int
    due_date: date
    emi: Amount
    interest: Amount
    principal: Amount
    balance: Amount


class ScheduleTotals(BaseModel):
    months: int
    total_paid: Amount
    total_interest: Amount
    total_principal: Amount
    payoff_date: date | None


class WhatIfOut(BaseModel):
    extra_monthly: Amount
    lump_sum: Amount
    items: list[ScheduleRow]
    totals: ScheduleTotals
    months_saved: int
    interest_saved: Amount


class ScheduleOut(BaseModel):
    debt_id: ObjectIdStr
    remaining_amount: Amount
    interest_rate: Percent
    monthly_emi: Amount
    items: list[ScheduleRow]
    totals: ScheduleTotals
    what_if: WhatIfOut | None


class PayoffDebtOut(BaseModel):
    debt_id: str
    name: str
    payoff_month: int
    payoff_date: date
    interest_paid: Amount


class PlanOut(BaseModel):
    strategy: str
    order: list[str]
    debts: list[PayoffDebtOut]
    total_interest: Amount
    months: int
    debt_free_date: date


class PayoffPlanOut(BaseModel):
    strategy: str
    extra_monthly: Amount
    monthly_budget: Amount  # sum of the active debts' EMIs + extra_monthly
    plan: PlanOut
    comparison: PlanOut  # the other strategy, same budget
    interest_saved_vs_comparison: Amount  # > 0 when the chosen strategy is cheaper
    months_saved_vs_comparison: int


class PaymentCreate(RequestModel):
    debt_id: Text(64)
    amount: Money
    payment_date: DateOrDateTime | None = None  # default: now
    payment_type: PaymentType = PaymentType.emi
    payment_method: PaymentMethod = PaymentMethod.other
    notes: Notes | None = None


class PaymentOut(OutModel):
    debt_id: ObjectIdStr
    debt_name: str
    amount: Amount
    payment_date: datetime
    payment_type: PaymentType
    payment_method: PaymentMethod
    notes: str | None = None
    interest_component: Amount
    principal_component: Amount
    remaining_after: Amount  # the debt's remaining amount right after this payment
    transaction_id: str
    created_at: datetime


class MonthlyPaymentStat(BaseModel):
    month: str  # YYYY-MM in the user's timezone
    total: Amount
    interest: Amount
    principal: Amount
    count: int


class MonthlyPaymentStats(BaseModel):
    items: list[MonthlyPaymentStat]
    total: Amount
    interest: Amount
    principal: Amount
    count: int


# ------------------------------------------------ income, expenses, budgets (issue 4)

EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
SUGGESTED_CATEGORIES = (
    "food",
    "groceries",
    "transport",
    "fuel",
    "utilities",
    "rent",
    "emi",
    "shopping",
    "entertainment",
    "health",
    "education",
    "travel",
    "insurance",
    "personal_care",
    "gifts",
    "subscriptions",
    "household",
    "other",
)


def _sane_year(value: datetime) -> datetime:
    # Year 1 or 9999 would overflow when moved between timezones: refuse it as input.
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


def _slug(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _unique_tags(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))  # first occurrence wins, order kept


# An ISO date ("2024-01-31", midnight) or datetime; naive means the user's timezone.
EntryDate = Annotated[IsoDateTime, AfterValidator(_sane_year)]
# A lowercase slug: " Food " becomes "food"; "food & drinks" is a 422.
# Letters, digits and _ (tags also -), surrounding spaces allowed; stored trimmed, lowercase.
CATEGORY = r"^ *[A-Za-z0-9_]{1,40} *$"
TAG = r"^ *[A-Za-z0-9_-]{1,40} *$"
Category = Annotated[
    str,
    BeforeValidator(_slug),
    _grammar(CATEGORY, "1-40 letters, digits or _"),
    WithJsonSchema({"type": "string", "pattern": CATEGORY}, mode="validation"),
]
Tag = Annotated[
    str,
    BeforeValidator(_slug),
    _grammar(TAG, "1-40 letters, digits, _ or -"),
    WithJsonSchema({"type": "string", "pattern": TAG}, mode="validation"),
]
Tags = Annotated[list[Tag], Field(max_length=20), AfterValidator(_unique_tags)]
Title = NotBlank(200)
Description = Text(1000)


class IncomeType(StrEnum):
    salary = "salary"
    freelance = "freelance"
    business = "business"
    investment = "investment"
    rental = "rental"
    interest = "interest"
    gift = "gift"
    other = "other"


class Frequency(StrEnum):
    one_time = "one_time"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"


class IncomeCreate(RequestModel):
    source: Title
    amount: Money
    income_type: IncomeType = IncomeType.other
    frequency: Frequency = Frequency.one_time
    date: EntryDate | None = None  # default: now
    description: Description | None = None
    tags: Tags = []


class IncomeUpdate(RequestModel):
    source: Title = Field(default=None)  # type: ignore[assignment]
    amount: Money = Field(default=None)  # type: ignore[assignment]
    income_type: IncomeType = Field(default=None)  # type: ignore[assignment]
    frequency: Frequency = Field(default=None)  # type: ignore[assignment]
    date: EntryDate = Field(default=None)  # type: ignore[assignment]
    description: Description | None = None
    tags: Tags = Field(default=None)  # type: ignore[assignment]


class IncomeOut(OutModel):
    source: str
    amount: Amount
    income_type: IncomeType
    frequency: Frequency
    date: datetime
    description: str | None = None
    tags: list[str] = []
    created_at: datetime
    updated_at: datetime


class ExpenseCreate(RequestModel):
    title: Title
    category: Category
    amount: Money
    date: EntryDate | None = None  # default: now
    description: Description | None = None
    tags: Tags = []


class ExpenseUpdate(RequestModel):
    title: Title = Field(default=None)  # type: ignore[assignment]
    category: Category = Field(default=None)  # type: ignore[assignment]
    amount: Money = Field(default=None)  # type: ignore[assignment]
    date: EntryDate = Field(default=None)  # type: ignore[assignment]
    description: Description | None = None
    tags: Tags = Field(default=None)  # type: ignore[assignment]


class ExpenseOut(OutModel):
    title: str
    category: str
    amount: Amount
    date: datetime
    description: str | None = None
    tags: list[str] = []
    receipt_url: str | None = None  # the API path that hands out a fresh download link
    receipt_content_type: str | None = None
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _receipt_path(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("receipt_key") and "_id" in data:
            data = {**data, "receipt_url": f"/api/expenses/{data['_id']}/receipt"}
        return data


class ExpenseCategories(BaseModel):
    suggested: list[str]
    custom: list[str]  # the user's own categories that are not suggested ones
    all: list[str]


class ReceiptLink(BaseModel):
    url: str
    expires_in: int


class MonthTotal(BaseModel):
    month: str  # "YYYY-MM" in the user's timezone
    total: Amount
    count: int


class ExpenseMonth(MonthTotal):
    by_category: dict[str, Amount]


class IncomeMonth(MonthTotal):
    by_type: dict[str, Amount]


class StatsRange(BaseModel):
    start: date  # inclusive, the user's calendar
    end: date  # inclusive


class ExpenseStats(BaseModel):
    range: StatsRange
    currency: str
    months: list[ExpenseMonth]
    total: Amount
    count: int
    by_category: dict[str, Amount]


class IncomeStats(BaseModel):
    range: StatsRange
    currency: str
    months: list[IncomeMonth]
    total: Amount
    count: int
    by_type: dict[str, Amount]


Threshold = Integer(1, 100, description="Alert at this percent of the limit")


class BudgetCreate(RequestModel):
    category: Category
    amount: Money  # the monthly limit
    alert_threshold: Threshold = 80
    is_active: StrictBool = True
    name: NotBlank(100) | None = None
    notes: Description | None = None


class BudgetUpdate(RequestModel):
    category: Category = Field(default=None)  # type: ignore[assignment]
    amount: Money = Field(default=None)  # type: ignore[assignment]
    alert_threshold: Threshold = Field(default=None)  # type: ignore[assignment]
    is_active: StrictBool = Field(default=None)  # type: ignore[assignment]
    name: NotBlank(100) | None = None
    notes: Description | None = None


class BudgetOut(OutModel):
    category: str
    amount: Amount
    alert_threshold: int
    is_active: bool
    name: str | None = None
    notes: str | None = None
    created_at: datetime
    updated_at: datetime


class BudgetLevel(StrEnum):
    ok = "ok"
    warning = "warning"
    exceeded = "exceeded"


class BudgetStatusItem(BaseModel):
    budget_id: ObjectIdStr
    category: str
    name: str | None = None
    limit: Amount
    spent: Amount
    remaining: Amount  # negative when over the limit
    percent: Percent
    alert_threshold: int
    level: BudgetLevel


class BudgetStatus(BaseModel):
    month: str  # "YYYY-MM" in the user's timezone
    currency: str
    items: list[BudgetStatusItem]
    total_limit: Amount
    total_spent: Amount


# ------------------------------------------------ goals and notifications inbox (issue 5)


class GoalType(StrEnum):
    emergency_fund = "emergency_fund"
    retirement = "retirement"
    home = "home"
    vehicle = "vehicle"
    education = "education"
    travel = "travel"
    wedding = "wedding"
    debt_payoff = "debt_payoff"
    investment = "investment"
    other = "other"


class GoalPriority(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class GoalStatus(StrEnum):
    active = "active"
    completed = "completed"  # set by the system when current_amount reaches target_amount
    paused = "paused"
    cancelled = "cancelled"


class GoalUserStatus(StrEnum):
    """The statuses a client may set: `completed` only ever follows from the amounts."""

    active = "active"
    paused = "paused"
    cancelled = "cancelled"


# Money already saved: 0 allowed, at most 2 decimals (never rounded), at most 1e12.
Savings = Annotated[
    Decimal,
    *_decimal_input(DECIMAL, {"minimum": 0, "maximum": int(MAX_AMOUNT)}),
    Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False),
    AfterValidator(_two_places),
    _json_number,
]
GoalTitle = NotBlank(200)
GoalText = Text(1000)


def _sane_day(value: date) -> date:
    # Year 1 or 9999 would overflow when moved between timezones: refuse it as input.
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


# A calendar day (also the type of a field called `date`, which would shadow `date` itself).
CalendarDay = Annotated[IsoDate, AfterValidator(_sane_day)]


class GoalCreate(RequestModel):
    title: GoalTitle
    goal_type: GoalType = GoalType.other
    target_amount: Money
    current_amount: Savings = Decimal("0.00")  # saved before tracking started
    target_date: CalendarDay
    priority: GoalPriority = GoalPriority.medium
    status: GoalUserStatus = GoalUserStatus.active
    description: GoalText | None = None


class GoalUpdate(RequestModel):
    """Partial. `current_amount` changes only through contributions."""

    title: GoalTitle = Field(default=None)  # type: ignore[assignment]
    goal_type: GoalType = Field(default=None)  # type: ignore[assignment]
    target_amount: Money = Field(default=None)  # type: ignore[assignment]
    target_date: CalendarDay = Field(default=None)  # type: ignore[assignment]
    priority: GoalPriority = Field(default=None)  # type: ignore[assignment]
    status: GoalUserStatus = Field(default=None)  # type: ignore[assignment]
    description: GoalText | None = None


class GoalOut(OutModel):
    title: str
    goal_type: GoalType
    target_amount: Amount
    current_amount: Amount
    remaining_amount: Amount  # never below 0
    target_date: date
    priority: GoalPriority
    status: GoalStatus
    description: str | None = None
    progress_percentage: Percent  # exact 100 * current / target; above 100 when over-saved
    monthly_required: Amount  # to save each month from now to reach the target in time
    months_left: int
    milestones_reached: list[int] = []
    completed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class ContributionCreate(RequestModel):
    amount: Money
    date: CalendarDay | None = None  # default: now; a calendar day in the user's timezone
    note: GoalText | None = None


class ContributionOut(OutModel):
    goal_id: ObjectIdStr
    amount: Amount
    date: datetime
    note: str | None = None
    created_at: datetime


class ContributionResult(BaseModel):
    goal: GoalOut
    contribution: ContributionOut
    new_milestones: list[int]  # milestones this contribution reached (each notified once)


class GoalSummary(BaseModel):
    total_goals: int
    by_status: dict[GoalStatus, int]
    # Totals cover active, paused and completed goals; cancelled ones are left out.
    total_target: Amount
    total_saved: Amount
    total_remaining: Amount
    overall_progress: Percent
    at_risk: list[GoalOut]


class NotificationOut(OutModel):
    type: NotificationType
    title: str
    message: str
    action_url: str | None = None
    is_read: bool
    read_at: datetime | None = None
    created_at: datetime


class UnreadCount(BaseModel):
    count: int


class ReadAllResult(BaseModel):
    updated: int


# ------------------------------------------------ dashboard and reports (issue 6)


class TransactionKind(StrEnum):
    income = "income"
    expense = "expense"
    payment = "payment"


class Transaction(BaseModel):
    """One entry of the merged feed of income, expenses and debt payments."""

    id: ObjectIdStr
    kind: TransactionKind
    title: str  # the expense's title, the income's source, or the debt's name
    category: str  # the expense's category, the income type, or the payment type
    amount: Amount
    date: datetime


class DashboardDebt(BaseModel):
    active_debts: int
    total_remaining: Amount  # outstanding principal of active debts
    monthly_emi: Amount  # sum of the active debts' EMIs
    debt_to_income: Percent | None  # monthly_emi / this month's income x 100; null without income


class DashboardOut(BaseModel):
    month: str  # "YYYY-MM", this month in the user's timezone
    currency: str
    income: Amount
    expenses: Amount
    savings: Amount  # income - expenses; negative when overspent
    savings_rate: Percent | None  # savings / income x 100; null without income
    debt: DashboardDebt
    upcoming_payments: list[DueDebt]  # the next five due payments of active debts
    budgets: BudgetStatus
    goals: list[GoalOut]  # active goals, soonest target date first (at most 20)
    unread_notifications: int
    recent_transactions: list[Transaction]  # the last ten, newest first


class CategoryChange(BaseModel):
    category: str
    amount: Amount
    previous: Amount  # the same category in the previous month
    change: Amount  # amount - previous
    change_percent: Percent | None  # null when the previous month was 0


class ReportIncome(BaseModel):
    total: Amount
    count: int
    by_type: dict[str, Amount]
    previous_total: Amount
    change: Amount
    change_percent: Percent | None


class ReportExpenses(BaseModel):
    total: Amount
    count: int
    by_category: list[CategoryChange]  # largest first; categories of either month
    previous_total: Amount
    change: Amount
    change_percent: Percent | None


class PaymentSplit(BaseModel):
    total: Amount
    interest: Amount
    principal: Amount
    count: int


class LoanPayments(PaymentSplit):
    debt_id: ObjectIdStr
    name: str


class ReportPayments(PaymentSplit):
    by_debt: list[LoanPayments]


class GoalContributionTotal(BaseModel):
    goal_id: ObjectIdStr
    title: str
    amount: Amount
    count: int


class ReportContributions(BaseModel):
    total: Amount
    count: int
    by_goal: list[GoalContributionTotal]


class BudgetAdherence(BudgetStatus):
    within: int  # budgets whose spend is at most the limit
    over: int  # budgets whose spend is above the limit


class MonthlyReport(BaseModel):
    month: str  # "YYYY-MM" in the user's timezone
    previous_month: str
    currency: str
    timezone: str
    income: ReportIncome
    expenses: ReportExpenses
    payments: ReportPayments  # EMIs and prepayments, split into interest and principal
    goal_contributions: ReportContributions
    budgets: BudgetAdherence  # the active budgets' limits against that month's spend
    net_savings: Amount  # income - expenses
    savings_rate: Percent | None


class AnnualFigures(BaseModel):
    income: Amount
    income_by_type: dict[str, Amount]
    expenses: Amount
    expenses_by_category: dict[str, Amount]
    payments: PaymentSplit
    goal_contributions: Amount
    net_savings: Amount
    savings_rate: Percent | None


class AnnualMonth(AnnualFigures):
    month: str  # "YYYY-MM"
    budgets_over: list[str]  # categories whose spend that month exceeded their active budget


class AnnualReport(BaseModel):
    period: str  # "2024" or "FY 2024-25"
    start: date  # inclusive, the user's calendar
    end: date  # inclusive
    currency: str
    timezone: str
    months: list[AnnualMonth]  # 12, in calendar order
    totals: AnnualFigures


class TaxLoan(BaseModel):
    debt_id: ObjectIdStr
    name: str
    debt_type: DebtType
    bank_name: str | None = None
    interest_paid: Amount
    principal_paid: Amount
    total_paid: Amount
    payments_count: int
    sections: list[str]  # ["24(b)", "80C"] for home loans, ["80E"] for education loans


class TaxDeduction(BaseModel):
    section: str  # "24(b)", "80C" or "80E"
    description: str
    paid: Amount  # across all loans of the kind
    cap: Amount | None  # per taxpayer; null for no cap
    deductible: Amount  # min(paid, cap)


class TaxSummary(BaseModel):
    fy: str  # "2024-25"
    start: date  # 1 April
    end: date  # 31 March
    currency: str
    loans: list[TaxLoan]  # loans with payments in the fiscal year
    deductions: list[TaxDeduction]
    total_deductible: Amount
    disclaimer: str
