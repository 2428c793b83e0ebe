"""Categorisation rules: what a statement row must match, and what it then becomes."""

from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from core.errors import ErrorCode, Unprocessable
from schemas.base import OutModel, RequestModel, ResponseModel, UpdateModel
from schemas.entries import IncomeType
from schemas.types import Amount, Category, Instant, Integer, Money, NotBlank, Tags, Title


class RuleKind(StrEnum):
    """What a rule may make a row (a transfer needs its other account: set it on the row)."""

    expense = "expense"
    income = "income"
    payment = "payment"
    skip = "skip"


class Direction(StrEnum):
    debit = "debit"
    credit = "credit"


MAX_USER_ORDER = 99_999


class RuleMatchIn(RequestModel):
    """Every field is optional and every given one must match. Text is a plain,
    case-insensitive "contains" (never a pattern)."""

    payee: NotBlank(100) | None = None
    vpa: NotBlank(100) | None = None
    narration: NotBlank(200) | None = None
    direction: Direction | None = None
    min_amount: Money | None = None
    max_amount: Money | None = None

    @model_validator(mode="after")
    def _bounds_in_order(self) -> "RuleMatchIn":
        low, high = self.min_amount, self.max_amount
        if low is not None and high is not None and low > high:
            raise Unprocessable(
                "min_amount cannot exceed max_amount",
                code=ErrorCode.invalid_range,
                loc=("body", "match", "min_amount"),
            )
        return self


class RuleSetIn(RequestModel):
    """What a matching row becomes; at least one field."""

    kind: RuleKind | None = None
    title: Title | None = None
    category: Category | None = None
    income_type: IncomeType | None = None
    tags: Tags = []

    @model_validator(mode="after")
    def _sets_something(self) -> "RuleSetIn":
        if not self.model_dump(exclude_defaults=True):
            # Not a ValueError: the schema allows `{}`, so this is a rule's refusal, not a
            # field's validation (tests/process/test_fuzz.py tells the two apart by the code).
            raise Unprocessable(
                "A rule must set at least one of kind, title, category, income_type, tags",
                code=ErrorCode.empty_rule,
                loc=("body", "set"),
            )
        return self


RuleOrder = Integer(0, MAX_USER_ORDER, description="Lower runs first; the shipped rules follow")


class RuleCreate(RequestModel):
    name: NotBlank(100)
    match: RuleMatchIn = RuleMatchIn()
    set: RuleSetIn
    order: RuleOrder = 0


class RuleMatchOut(ResponseModel):
    payee: str | None = None
    vpa: str | None = None
    narration: str | None = None
    direction: Direction | None = None
    min_amount: Amount | None = None
    max_amount: Amount | None = None


class RuleSetOut(ResponseModel):
    kind: RuleKind | None = None
    title: str | None = None
    category: str | None = None
    income_type: IncomeType | None = None
    tags: list[str] = []


class RuleSuggestion(ResponseModel):
    """A rule the row's change suggests (send it to POST /api/rules, or PUT the row again
    with `remember: true`)."""

    name: str
    match: RuleMatchOut
    set: RuleSetOut
    order: int


class RuleOut(OutModel):
    name: str
    match: RuleMatchOut
    set: RuleSetOut
    order: int
    created_at: Instant
    updated_at: Instant


class RuleUpdate(UpdateModel):
    name: NotBlank(100) = Field(default=None)  # type: ignore[assignment]
    match: RuleMatchIn = Field(default=None)  # type: ignore[assignment]
    set: RuleSetIn = Field(default=None)  # type: ignore[assignment]
    order: RuleOrder = Field(default=None)  # type: ignore[assignment]


class RuleApplied(ResponseModel):
    changed: int  # imported expenses and income the rule changed


RuleUpdate.echo_of = RuleOut


def rule_document_fields(body: RuleCreate | RuleUpdate) -> dict[str, Any]:
    """The stored shape of a rule's fields (only those sent, for an update)."""
    fields = body.model_dump(exclude_unset=isinstance(body, RuleUpdate))
    for part in ("match", "set"):
        if fields.get(part) is not None:
            fields[part] = {k: v for k, v in fields[part].items() if v not in (None, [])}
    return fields
