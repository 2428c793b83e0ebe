"""The field types of requests and responses: exact money, calendar days, trimmed text, ids.

Each request type publishes in the OpenAPI schema exactly the inputs it accepts, so generated
clients, the schema and the server agree (tests/process/test_fuzz.py checks both directions:
schema-valid input is accepted, schema-invalid input is a 4xx)."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from bson import ObjectId
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from core.dates import KNOWN_TIMEZONES
from core.money import CENT

MAX_AMOUNT = Decimal("1000000000000")  # 1e12


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
# accepts, so generated clients, the schema and the server agree (tests/process/test_fuzz.py
# checks both directions: schema-valid input is accepted, schema-invalid input is a 4xx).


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

SIGNED_DECIMAL = r"^-?(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,2})?$"
# A balance in a request: negative when overdrawn or owed (a card), at most 2 decimals.
SignedMoney = Annotated[
    Decimal,
    *_decimal_input(SIGNED_DECIMAL, {"minimum": -int(MAX_AMOUNT), "maximum": int(MAX_AMOUNT)}),
    Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, allow_inf_nan=False),
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


# "2024-01-31": a day in a query string (`from`, `to`).
IsoDate = Annotated[date, *_date_input(ISO_DATE, "date", "2024-01-31")]
# A calendar day in a request body: "2024-01-31", or any ISO datetime, which means its calendar
# day in the user's timezone ("2024-01-31T20:30:00Z" is 1 February in India; a datetime without
# an offset is the user's wall clock). `RequestModel.values(tz)` resolves it to a `date`.
Day = Annotated[date | datetime, *_date_input(ISO_DATETIME, "date or datetime", "2024-01-31")]


def _as_day(value: Any) -> Any:
    # A stored day is midnight UTC (BSON has no date type): its UTC date is the day.
    return value.astimezone(UTC).date() if isinstance(value, datetime) else value


def _instant_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# A calendar day in a response: always "YYYY-MM-DD".
DayOut = Annotated[date, BeforeValidator(_as_day)]
# An instant in a response: UTC at millisecond precision, "2026-11-27T16:15:21.123Z", exactly
# what MongoDB keeps (so a create's answer equals every later read).
Instant = Annotated[
    datetime,
    PlainSerializer(_instant_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]

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


# An IANA name, checked against the tz database: a string of format "iana-timezone" in the
# schema, not a 599-value enum (generators make that an enum class and trip over it: GMT0 and
# GMT-0 are one key in openapi-python-client). tests/process/test_fuzz.py teaches the fuzzer
# the format.
Timezone = Annotated[
    str,
    StringConstraints(strip_whitespace=False),
    AfterValidator(_timezone),
    WithJsonSchema(
        {
            "type": "string",
            "format": "iana-timezone",
            "maxLength": 64,
            "examples": ["Asia/Kolkata"],
            "description": "An IANA timezone name, e.g. Asia/Kolkata or America/New_York",
        },
        mode="validation",
    ),
]


StrictBool = Annotated[bool, Field(strict=True)]  # true/false only, as the schema says


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
# bytes; tests/process/test_fuzz.py teaches the fuzzer the format).
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
# A lender's loan account number as the bank statement prints it (letters and digits, maybe
# separated): at least 6 of them, so it can't be mistaken for a fragment of another number.
LoanAccount = Annotated[
    str,
    StringConstraints(strip_whitespace=False),
    Field(pattern=r"^[A-Za-z0-9](?:[ /-]?[A-Za-z0-9]){5,29}$"),
]
Name = NotBlank(100)


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


def _slug(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _unique_tags(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))  # first occurrence wins, order kept


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


Threshold = Integer(1, 100, description="Alert at this percent of the limit")


Savings = Annotated[
    Decimal,
    *_decimal_input(DECIMAL, {"minimum": 0, "maximum": int(MAX_AMOUNT)}),
    Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False),
    AfterValidator(_two_places),
    _json_number,
]
GoalTitle = NotBlank(200)
GoalText = Text(1000)
