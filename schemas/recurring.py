"""Recurring items (bills, subscriptions, salary), the bills coming up, and the cash-flow
forecast."""

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from core.dates import as_day
from recurring.rules import is_ended
from schemas.base import OutModel, RequestModel, ResponseModel, UpdateModel
from schemas.types import (
    Amount,
    Category,
    Day,
    DayOut,
    Instant,
    Integer,
    Money,
    ObjectIdStr,
    Text,
    Title,
)


class RecurringInterval(StrEnum):
    weekly = "weekly"
    fortnightly = "fortnightly"
    monthly = "monthly"
    quarterly = "quarterly"
    half_yearly = "half_yearly"
    yearly = "yearly"


class RecurringKind(StrEnum):
    expense = "expense"
    income = "income"


class RecurringStatus(StrEnum):
    suggested = "suggested"  # found in your entries, not yet confirmed
    confirmed = "confirmed"
    dismissed = "dismissed"  # never suggested again
    ended = "ended"  # unseen for two intervals past its date (derived)


class RecurringSource(StrEnum):
    detected = "detected"
    manual = "manual"
    debt = "debt"  # a loan's EMI (bills and forecast only)
    card = "card"  # a credit card's statement due (bills and forecast only)


DayOfMonth = Integer(1, 31)
AccountRef = Text(64)


class ExpectedAmount(ResponseModel):
    min: Amount
    max: Amount
    typical: Amount  # after a price change, the new price


class RecurringCreate(RequestModel):
    title: Title
    kind: RecurringKind = RecurringKind.expense
    interval: RecurringInterval = RecurringInterval.monthly
    amount: Money
    next_date: Day  # the next time it is due
    category: Category | None = None
    account_id: AccountRef | None = None


class RecurringOut(OutModel):
    title: str
    payee: str  # the payee key its entries are grouped by
    account_id: ObjectIdStr | None = None
    category: str | None = None
    kind: RecurringKind
    interval: RecurringInterval
    expected_amount: ExpectedAmount
    day_of_month: int
    next_date: DayOut
    last_date: DayOut | None = None  # its latest entry
    occurrences: int
    status: RecurringStatus
    source: RecurringSource
    created_at: Instant
    updated_at: Instant

    @classmethod
    def of(cls, doc: dict[str, Any], day: date) -> "RecurringOut":
        """A stored item as the API shows it on `day` (the user's today): `ended` once unseen
        for two intervals past its date."""
        status = doc["status"]
        due, interval = as_day(doc["next_date"]), doc["interval"]
        if status != "dismissed" and is_ended(due, interval, doc["day_of_month"], day):
            status = "ended"
        return cls.model_validate(doc | {"status": status}).as_of(day)

    @model_validator(mode="before")
    @classmethod
    def _amounts(cls, data: Any) -> Any:
        if isinstance(data, dict) and "amount_typical" in data:
            data = data | {
                "expected_amount": {
                    "min": data["amount_min"],
                    "max": data["amount_max"],
                    "typical": data["amount_typical"],
                }
            }
        return data


class RecurringUpdate(UpdateModel):
    """Confirm or dismiss a suggestion, or edit an item. `amount` sets its typical amount
    (and its range); `ended` is derived, so it is ignored when sent back."""

    status: RecurringStatus = Field(default=None)  # type: ignore[assignment]
    title: Title = Field(default=None)  # type: ignore[assignment]
    category: Category | None = None
    interval: RecurringInterval = Field(default=None)  # type: ignore[assignment]
    day_of_month: DayOfMonth = Field(default=None)  # type: ignore[assignment]
    next_date: Day = Field(default=None)  # type: ignore[assignment]
    amount: Money = Field(default=None)  # type: ignore[assignment]


RecurringUpdate.echo_of = RecurringOut
RecurringUpdate.derived_values = {"status": frozenset({"ended"})}


class RecurringItems(ResponseModel):
    items: list[RecurringOut]
    total: int
    skip: int
    limit: int


class DetectOut(ResponseModel):
    found: int  # items found or refreshed
    new: int  # of them, suggestions you had not seen


class UpcomingBill(ResponseModel):
    item_id: str
    title: str
    source: RecurringSource
    account_id: ObjectIdStr | None = None
    category: str | None = None
    date: DayOut
    amount: Amount  # the typical amount
    paid: bool  # an entry already matched this period's occurrence


class UpcomingBills(ResponseModel):
    start: DayOut
    end: DayOut
    total: Amount  # of the bills not yet paid
    items: list[UpcomingBill]


class ForecastMove(ResponseModel):
    item_id: str
    title: str
    source: RecurringSource
    account_id: ObjectIdStr | None = None
    amount: Amount  # signed: money in is positive


class ForecastDay(ResponseModel):
    date: DayOut
    balance: Amount  # all accounts together (or the one asked for)
    accounts: dict[str, Amount]  # by account id
    moves: list[ForecastMove]


class LowPoint(ResponseModel):
    date: DayOut
    balance: Amount


class Forecast(ResponseModel):
    start: DayOut
    end: DayOut
    opening: Amount  # today's balance
    lowest: LowPoint
    lowest_by_account: dict[str, LowPoint]
    days: list[ForecastDay]
