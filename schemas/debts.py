"""Debts (loans, cards), their schedules and payoff plans, and the payments against them."""

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import Field, computed_field, model_validator

from core.money import quantize
from loans.rules import overdue_days
from schemas.base import OutModel, RequestModel, ResponseModel, UpdateModel
from schemas.types import (
    Amount,
    Day,
    DayOut,
    Instant,
    LoanAccount,
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


class PaymentType(StrEnum):
    emi = "emi"
    prepayment = "prepayment"


class PrepaymentEffect(StrEnum):
    reduce_tenure = "reduce_tenure"  # the EMI stays, the loan ends sooner
    reduce_emi = "reduce_emi"  # the tenure stays, the EMI is recomputed


class RateTreatment(StrEnum):
    """The borrower's choice at a floating-rate reset (RBI, 18 Aug 2023)."""

    increase_emi = "increase_emi"  # the remaining tenure stays, the EMI is recomputed
    extend_tenure = "extend_tenure"  # the EMI stays, the tenure is recomputed


class PropertyUse(StrEnum):
    self_occupied = "self_occupied"
    let_out = "let_out"


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
    loan_account: LoanAccount | None = None  # as statements print it: EMI matching on import
    start_date: Day
    next_payment_date: Day | None = None  # default: start_date + 1 month
    notes: Notes | None = None
    property_use: PropertyUse | None = None  # a home loan's house, for the tax summary
    sanctioned_on: Day | None = None  # when the lender sanctioned it (s.80EEA / s.131)

    @model_validator(mode="after")
    def _outstanding_within_principal(self) -> "DebtCreate":
        if self.outstanding_amount is not None and self.outstanding_amount > self.principal:
            raise ValueError("outstanding_amount cannot exceed principal")
        return self


class DebtUpdate(UpdateModel):
    """Partial. Loan terms (principal, tenure, outstanding_amount, start_date) are editable
    only until the first payment; `remaining_amount` and the totals are never client-set.
    `status`: `active` or `closed`; `completed` follows from payments only, so sending it
    changes nothing. `next_payment_date`: `null` (a paid-off or closed debt shows it) changes
    nothing; a due date can be moved, not removed."""

    name: Name = Field(default=None)  # type: ignore[assignment]
    debt_type: DebtType = Field(default=None)  # type: ignore[assignment]
    principal: Money = Field(default=None)  # type: ignore[assignment]
    interest_rate: Rate = Field(default=None)  # type: ignore[assignment]
    tenure_months: Tenure = Field(default=None)  # type: ignore[assignment]
    monthly_emi: Money = Field(default=None)  # type: ignore[assignment]
    outstanding_amount: Money | None = None
    bank_name: ShortText | None = None
    loan_account: LoanAccount | None = None
    start_date: Day = Field(default=None)  # type: ignore[assignment]
    next_payment_date: Day | None = None
    status: DebtStatus = Field(default=None)  # type: ignore[assignment]
    notes: Notes | None = None
    property_use: PropertyUse | None = None
    sanctioned_on: Day | None = None


class DebtOut(OutModel):
    name: str
    debt_type: DebtType
    principal: Amount
    interest_rate: Percent  # in force today (after any rate reset)
    tenure_months: int  # as the loan was taken
    monthly_emi: Amount  # today's (after any reset or reduce-EMI prepayment)
    remaining_tenure_months: int  # EMIs left today
    outstanding_amount: Amount | None = None
    bank_name: str | None = None
    loan_account: str | None = None
    property_use: PropertyUse | None = None
    sanctioned_on: DayOut | None = None
    start_date: DayOut
    next_payment_date: DayOut | None = None
    status: DebtStatus
    overdue_days: int = 0  # days since an unpaid due date of an active debt (0: not overdue)
    notes: str | None = None
    remaining_amount: Amount
    total_paid: Amount
    total_interest_paid: Amount
    payments_count: int = 0
    card_account_id: ObjectIdStr | None = None  # a card EMI's card (/api/accounts/{id}/emis)
    completed_at: Instant | None = None
    created_at: Instant
    updated_at: Instant

    @classmethod
    def of(cls, doc: dict[str, Any], day: date) -> "DebtOut":
        """A stored debt as the API shows it on `day` (the user's today): overdue or not."""
        return cls.model_validate(doc | {"overdue_days": overdue_days(doc, day)}).as_of(day)

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
    month: int  # the instalment's number over the whole loan (a what-if counts from 1)
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


class EventKind(StrEnum):
    emi = "emi"
    prepayment = "prepayment"
    rate_change = "rate_change"


class ScheduleEvent(ResponseModel):
    """What happened to the loan: a payment as it was split, or a rate reset."""

    id: str
    date: DayOut
    kind: EventKind
    option: str | None  # the prepayment's effect or the reset's treatment
    amount: Amount  # 0 for a rate reset
    interest: Amount
    principal: Amount
    balance: Amount  # outstanding after it
    interest_rate: Percent  # the rate the interest was charged at (a reset's new rate)
    monthly_emi: Amount  # the EMI after it
    remaining_tenure_months: int  # EMIs left after it
    due_date: DayOut | None  # the instalment an EMI paid


class PaidTotals(ResponseModel):
    months: int  # EMIs paid
    total_paid: Amount
    total_interest: Amount
    total_principal: Amount


class ScheduleSplit(ResponseModel):
    paid: PaidTotals  # up to as_of
    projected: ScheduleTotals  # from as_of to the end


class WhatIfOut(ResponseModel):
    extra_monthly: Amount
    lump_sum: Amount
    items: list[ScheduleRow]
    totals: ScheduleTotals
    months_saved: int
    interest_saved: Amount


class ScheduleOut(ResponseModel):
    debt_id: ObjectIdStr
    as_of: DayOut  # the plan as it stood on this day: later events are not in it
    remaining_amount: Amount
    interest_rate: Percent
    monthly_emi: Amount
    remaining_tenure_months: int
    overdue_days: int  # > 0: the projection starts with an instalment already past due
    history: list[ScheduleEvent]  # what was paid, and the rate resets, up to as_of
    items: list[ScheduleRow]  # the instalments still to come, ending at exactly 0.00
    totals: ScheduleSplit
    what_if: WhatIfOut | None


class RateChangeRecord(ResponseModel):
    """A rate reset as recorded on the debt."""

    id: str
    effective_date: DayOut
    interest_rate: Percent
    treatment: RateTreatment
    created_at: Instant


class DebtExport(DebtOut):
    """A debt in the user's data export: as the API shows it, with its rate resets."""

    rate_changes: list[RateChangeRecord] = []


class RateChangeCreate(RequestModel):
    effective_date: Day
    interest_rate: Rate
    treatment: RateTreatment


class RateChangeOut(ResponseModel):
    id: str
    effective_date: DayOut
    interest_rate: Percent
    treatment: RateTreatment
    previous_rate: Percent
    monthly_emi: Amount  # after the reset
    remaining_tenure_months: int  # after the reset
    created_at: Instant


class LoanStatementOut(ResponseModel):
    """What an RBI-regulated lender's periodic statement shows for the period."""

    debt_id: ObjectIdStr
    start: DayOut
    end: DayOut
    outstanding_at_start: Amount
    outstanding_at_end: Amount
    principal_in_period: Amount  # prepayments included
    interest_in_period: Amount
    paid_in_period: Amount
    prepaid_in_period: Amount
    emis_paid_in_period: int
    principal_to_date: Amount  # since tracking began
    interest_to_date: Amount
    paid_to_date: Amount
    emis_paid_to_date: int
    emis_left: int
    interest_rate: Percent  # nominal, in force at the end (no fees are tracked: not an APR)
    monthly_emi: Amount
    next_due: DayOut | None
    final_due: DayOut | None
    events: list[ScheduleEvent]  # the period's payments and resets


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
    # A prepayment's effect: a shorter loan (the default) or a lower EMI.
    prepayment_effect: PrepaymentEffect = PrepaymentEffect.reduce_tenure
    payment_method: PaymentMethod = PaymentMethod.other
    notes: Notes | None = None
    account_id: Text(64) | None = None  # the account it was paid from


class PaymentStatus(StrEnum):
    completed = "completed"  # a payment is recorded once made; deleting it reverses it (gone)


class PaymentOut(OutModel):
    debt_id: ObjectIdStr
    debt_name: str
    amount: Amount
    payment_date: DayOut
    payment_type: PaymentType
    prepayment_effect: PrepaymentEffect | None = None  # prepayments only
    payment_method: PaymentMethod
    status: PaymentStatus = PaymentStatus.completed
    notes: str | None = None
    interest_component: Amount
    principal_component: Amount
    interest_rate: Percent | None = None  # the rate its interest was charged at
    remaining_after: Amount  # the debt's remaining amount right after this payment
    transaction_id: str
    import_id: ObjectIdStr | None = None  # the statement import that recorded it
    account_id: ObjectIdStr | None = None
    created_at: Instant


DebtUpdate.echo_of = DebtOut
DebtUpdate.derived_values = {"status": frozenset({DebtStatus.completed})}
DebtUpdate.null_is_unchanged = frozenset({"next_payment_date"})
