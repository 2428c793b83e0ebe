"""Income and expense entries, their monthly statistics, and category budgets."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, model_validator

from budgeting import BudgetLevel
from schemas.base import OutModel, RequestModel
from schemas.types import (
    Amount,
    Category,
    Description,
    EntryDate,
    Money,
    NotBlank,
    ObjectIdStr,
    Percent,
    StrictBool,
    Tags,
    Threshold,
    Title,
)

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
