"""Income and expense entries, their monthly statistics, and category budgets."""

from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from core.money import ZERO
from ledger.categories import IncomeType
from ledger.rules import BudgetLevel
from schemas.base import OutModel, RequestModel, ResponseModel, UpdateModel
from schemas.types import (
    Amount,
    Category,
    Day,
    DayOut,
    Description,
    Instant,
    Money,
    NotBlank,
    ObjectIdStr,
    Percent,
    StrictBool,
    Tags,
    Text,
    Threshold,
    Title,
)

AccountRef = Text(64)  # the id of one of your accounts


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
    date: Day | None = None  # default: today
    description: Description | None = None
    tags: Tags = []
    account_id: AccountRef | None = None  # the account it was paid from or into


class IncomeUpdate(UpdateModel):
    source: Title = Field(default=None)  # type: ignore[assignment]
    amount: Money = Field(default=None)  # type: ignore[assignment]
    income_type: IncomeType = Field(default=None)  # type: ignore[assignment]
    frequency: Frequency = Field(default=None)  # type: ignore[assignment]
    date: Day = Field(default=None)  # type: ignore[assignment]
    description: Description | None = None
    tags: Tags = Field(default=None)  # type: ignore[assignment]
    account_id: AccountRef | None = None


class IncomeOut(OutModel):
    source: str
    amount: Amount
    income_type: IncomeType
    frequency: Frequency
    date: DayOut
    description: str | None = None
    tags: list[str] = []
    import_id: ObjectIdStr | None = None  # the statement import that created it
    account_id: ObjectIdStr | None = None
    created_at: Instant
    updated_at: Instant


class ExpenseCreate(RequestModel):
    title: Title
    category: Category
    amount: Money
    date: Day | None = None  # default: today
    description: Description | None = None
    tags: Tags = []
    account_id: AccountRef | None = None  # the account it was paid from or into
    refund: StrictBool = False  # money back (a credit on a card): takes off spending


class ExpenseUpdate(UpdateModel):
    title: Title = Field(default=None)  # type: ignore[assignment]
    category: Category = Field(default=None)  # type: ignore[assignment]
    amount: Money = Field(default=None)  # type: ignore[assignment]
    date: Day = Field(default=None)  # type: ignore[assignment]
    description: Description | None = None
    tags: Tags = Field(default=None)  # type: ignore[assignment]
    account_id: AccountRef | None = None
    refund: StrictBool = Field(default=None)  # type: ignore[assignment]


class ExpenseOut(OutModel):
    title: str
    category: str
    amount: Amount
    date: DayOut
    description: str | None = None
    tags: list[str] = []
    receipt_url: str | None = None  # the API path that hands out a fresh download link
    receipt_content_type: str | None = None
    import_id: ObjectIdStr | None = None  # the statement import that created it
    account_id: ObjectIdStr | None = None
    refund: bool = False  # money back: its amount is taken off spending
    created_at: Instant
    updated_at: Instant

    @model_validator(mode="before")
    @classmethod
    def _receipt_path(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("receipt_key") and "_id" in data:
            data = {**data, "receipt_url": f"/api/expenses/{data['_id']}/receipt"}
        return data


class ExpenseCategories(ResponseModel):
    suggested: list[str]
    custom: list[str]  # the user's own categories that are not suggested ones
    all: list[str]


class ReceiptLink(ResponseModel):
    url: str
    expires_in: int


class StatsRange(ResponseModel):
    start: DayOut  # inclusive
    end: DayOut  # inclusive


class StatsMonth(ResponseModel):
    month: str  # "YYYY-MM"
    total: Amount
    count: int
    breakdown: dict[str, Amount]  # the month's total split by `breakdown_by`


class MonthlyStats(ResponseModel):
    """The one shape of every monthly statistic (income, expenses, payments): every month of
    the range, zeros included, and the same split per month and overall."""

    range: StatsRange
    currency: str
    breakdown_by: str  # "income_type", "category", or "component" (interest / principal)
    months: list[StatsMonth]
    total: Amount
    count: int
    breakdown: dict[str, Amount]


class BudgetCreate(RequestModel):
    category: Category
    monthly_limit: Money
    alert_threshold: Threshold = 80
    active: StrictBool = True
    name: NotBlank(100) | None = None
    notes: Description | None = None


class BudgetUpdate(UpdateModel):
    category: Category = Field(default=None)  # type: ignore[assignment]
    monthly_limit: Money = Field(default=None)  # type: ignore[assignment]
    alert_threshold: Threshold = Field(default=None)  # type: ignore[assignment]
    active: StrictBool = Field(default=None)  # type: ignore[assignment]
    name: NotBlank(100) | None = None
    notes: Description | None = None


class BudgetOut(OutModel):
    category: str
    monthly_limit: Amount
    alert_threshold: int
    active: bool
    name: str | None = None
    notes: str | None = None
    created_at: Instant
    updated_at: Instant


class BudgetStatusItem(ResponseModel):
    budget_id: ObjectIdStr
    category: str
    name: str | None = None
    monthly_limit: Amount
    spent: Amount
    remaining: Amount  # negative when over the limit
    percent: Percent
    alert_threshold: int
    level: BudgetLevel
    # The category's recurring bills still expected this month (not yet paid); 0 without.
    bills_expected: Amount = ZERO


class BudgetStatus(ResponseModel):
    month: str  # "YYYY-MM" in the user's timezone
    currency: str
    items: list[BudgetStatusItem]
    total_monthly_limit: Amount
    total_spent: Amount


IncomeUpdate.echo_of = IncomeOut
ExpenseUpdate.echo_of = ExpenseOut
BudgetUpdate.echo_of = BudgetOut
