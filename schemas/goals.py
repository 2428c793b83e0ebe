"""Savings goals and their contributions."""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import Field

from core.dates import as_day
from goals.rules import (
    monthly_required,
    months_left,
    progress_percentage,
    remaining,
)
from schemas.base import OutModel, RequestModel, ResponseModel, UpdateModel
from schemas.types import (
    Amount,
    Day,
    DayOut,
    GoalText,
    GoalTitle,
    Instant,
    Money,
    ObjectIdStr,
    Percent,
    Savings,
)


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


class GoalCreate(RequestModel):
    title: GoalTitle
    goal_type: GoalType = GoalType.other
    target_amount: Money
    current_amount: Savings = Decimal("0.00")  # saved before tracking started
    target_date: Day
    priority: GoalPriority = GoalPriority.medium
    status: GoalUserStatus = GoalUserStatus.active
    description: GoalText | None = None


class GoalUpdate(UpdateModel):
    """Partial. `current_amount` changes only through contributions. `status`: `active`,
    `paused` or `cancelled`; `completed` follows from the amounts only, so sending it changes
    nothing."""

    title: GoalTitle = Field(default=None)  # type: ignore[assignment]
    goal_type: GoalType = Field(default=None)  # type: ignore[assignment]
    target_amount: Money = Field(default=None)  # type: ignore[assignment]
    target_date: Day = Field(default=None)  # type: ignore[assignment]
    priority: GoalPriority = Field(default=None)  # type: ignore[assignment]
    status: GoalStatus = Field(default=None)  # type: ignore[assignment]
    description: GoalText | None = None


class GoalOut(OutModel):
    title: str
    goal_type: GoalType
    target_amount: Amount
    current_amount: Amount
    remaining_amount: Amount  # never below 0
    target_date: DayOut
    priority: GoalPriority
    status: GoalStatus
    description: str | None = None
    progress_percentage: Percent  # exact 100 * current / target; above 100 when over-saved
    monthly_required: Amount  # to save each month from now to reach the target in time
    months_left: int
    milestones_reached: list[int] = []
    completed_at: Instant | None = None
    created_at: Instant
    updated_at: Instant

    @classmethod
    def of(cls, doc: dict[str, Any], day: date) -> "GoalOut":
        """A stored goal with its derived figures as of `day` (the user's today)."""
        return cls.model_validate(doc | _goal_figures(doc, day)).as_of(day)


def _goal_figures(doc: dict[str, Any], day: date) -> dict[str, Any]:
    current, target = doc["current_amount"], doc["target_amount"]
    target_date = as_day(doc["target_date"])
    return {
        "target_date": target_date,
        "remaining_amount": remaining(current, target),
        "progress_percentage": progress_percentage(current, target),
        "monthly_required": monthly_required(current, target, target_date, day),
        "months_left": months_left(day, target_date),
    }


class ContributionCreate(RequestModel):
    amount: Money
    date: Day | None = None  # default: today
    note: GoalText | None = None


class ContributionOut(OutModel):
    goal_id: ObjectIdStr
    amount: Amount
    date: DayOut
    note: str | None = None
    created_at: Instant


class ContributionResult(ResponseModel):
    goal: GoalOut
    contribution: ContributionOut
    new_milestones: list[int]  # milestones this contribution reached (each notified once)


class GoalSummary(ResponseModel):
    total_goals: int
    by_status: dict[GoalStatus, int]
    # Totals cover active, paused and completed goals; cancelled ones are left out.
    total_target: Amount
    total_saved: Amount
    total_remaining: Amount
    overall_progress: Percent
    at_risk: list[GoalOut]


GoalUpdate.echo_of = GoalOut
GoalUpdate.derived_values = {"status": frozenset({GoalStatus.completed})}
