"""Debts (loans, cards), their schedules and payoff plans, and the payments against them."""

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import Field, computed_field, model_validator

from finance import overdue_days
from money import quantize
from schemas.base import OutModel, RequestModel, ResponseModel, UpdateModel
from schemas.types import (
    Amount,
    Day,
    DayOut,
    Instant,
    Money,
    Name,
    Notes,
    ObjectIdStr,
    Percent,
    Rate,
    ShortText,
    Tenure,
    Text,
)


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


class DebtCreate(RequestModel):
    name: Name
    debt_type: DebtType
    principal: Money
    interest_rate: Rate
    tenure_months: Tenure
    monthly_emi: Money | None = None  # computed with the reducing-balance formula when omitted
    outstanding_amount: Money | None = None  # for a loan already running; defaults to principal
    bank_name: ShortText | None = None
    start_date: Day
    next_payment_date: Day | None = None  # default: start_date + 1 month
    notes: Notes | None = None

    @model_validator(mode="after")
    def _outstanding_within_principal(self) -> "DebtCreate":
        if self.outstanding_amount is not None and self.outstanding_amount > self.principal:
            raise ValueError("outstanding_amount cannot exceed principal")
        return self


class DebtUpdate(UpdateModel):
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
    start_date: Day = Field(default=None)  # type: ignore[assignment]
    next_payment_date: Day = Field(default=None)  # type: ignore[assignment]
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
    start_date: DayOut
    next_payment_date: DayOut | None = None
    status: DebtStatus
    overdue_days: int = 0  # days since an unpaid due date of an active debt (0: not overdue)
    notes: str | None = None
    remaining_amount: Amount
    total_paid: Amount
    total_interest_paid: Amount
    payments_count: int = 0
    completed_at: Instant | None = None
    created_at: Instant
    updated_at: Instant

    @classmethod
    def of(cls, doc: dict[str, Any], day: date) -> "DebtOut":
        """A stored debt as the API shows it on `day` (the user's today): overdue or not."""
        return cls.model_validate(doc | {"overdue_days": overdue_days(doc, day)})

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


class DueDebt(ResponseModel):
    debt_id: ObjectIdStr
    name: str
    next_payment_date: DayOut
    overdue_days: int = 0  # > 0: this instalment is past due
    monthly_emi: Amount
    remaining_amount: Amount


class DebtSummary(ResponseModel):
    total_debts: int
    by_status: dict[DebtStatus, int]
    by_type: dict[DebtType, int]
    total_principal: Amount
    total_remaining: Amount  # over active debts
    total_paid: Amount
    total_interest_paid: Amount
    total_monthly_emi: Amount  # over active debts
    next_due: list[DueDebt]  # the next three due payments of active debts, overdue first


class ScheduleRow(ResponseModel):
    month: int
    due_date: DayOut
    emi: Amount
    interest: Amount
    principal: Amount
    balance: Amount


class ScheduleTotals(ResponseModel):
    months: int
    total_paid: Amount
    total_interest: Amount
    total_principal: Amount
    payoff_date: DayOut | None


class WhatIfOut(ResponseModel):
    extra_monthly: Amount
    lump_sum: Amount
    items: list[ScheduleRow]
    totals: ScheduleTotals
    months_saved: int
    interest_saved: Amount


class ScheduleOut(ResponseModel):
    debt_id: ObjectIdStr
    remaining_amount: Amount
    interest_rate: Percent
    monthly_emi: Amount
    overdue_days: int  # > 0: the schedule starts with an instalment already past due
    items: list[ScheduleRow]
    totals: ScheduleTotals
    what_if: WhatIfOut | None


class PayoffDebtOut(ResponseModel):
    debt_id: str
    name: str
    payoff_month: int
    payoff_date: DayOut  # on the debt's own due day, as its schedule shows it
    interest_paid: Amount


class PlanOut(ResponseModel):
    strategy: str
    order: list[str]
    debts: list[PayoffDebtOut]
    total_interest: Amount
    months: int
    debt_free_date: DayOut


class PayoffPlanOut(ResponseModel):
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
    payment_date: Day | None = None  # default: today
    payment_type: PaymentType = PaymentType.emi
    payment_method: PaymentMethod = PaymentMethod.other
    notes: Notes | None = None


class PaymentStatus(StrEnum):
    completed = "completed"  # a payment is recorded once made; deleting it reverses it (gone)


class PaymentOut(OutModel):
    debt_id: ObjectIdStr
    debt_name: str
    amount: Amount
    payment_date: DayOut
    payment_type: PaymentType
    payment_method: PaymentMethod
    status: PaymentStatus = PaymentStatus.completed
    notes: str | None = None
    interest_component: Amount
    principal_component: Amount
    remaining_after: Amount  # the debt's remaining amount right after this payment
    transaction_id: str
    created_at: Instant


DebtUpdate.echo_of = DebtOut
DebtUpdate.derived_values = {"status": frozenset({DebtStatus.completed})}
