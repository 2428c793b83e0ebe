"""A loan as its lender keeps it: the schedule (what was paid, then what is to come, as it
stood on any day), the periodic statement, and floating-rate resets with the borrower's
choice of a higher EMI or a longer tenure. The figures come from the loan's events replayed
(loans/service.py)."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, status

from core.dates import check_order, today
from core.money import ZERO, quantize
from loans import rules as loan_rules
from loans import service as loan_service
from loans.events import EventRow
from routes.deps import NO_CONTENT, CurrentUser, Db, FromDate, ToDate, responses
from schemas import (
    MAX_AMOUNT,
    IsoDate,
    LoanStatementOut,
    MoneyOrZero,
    PaidTotals,
    RateChangeCreate,
    RateChangeOut,
    ScheduleEvent,
    ScheduleOut,
    ScheduleRow,
    ScheduleSplit,
    ScheduleTotals,
    WhatIfOut,
)

router = APIRouter(prefix="/debts", tags=["loans"])
E401 = responses(401)
E404 = responses((404, "Debt not found (or not yours)"))
WhatIfAmount = Annotated[MoneyOrZero, Query(ge=0, le=MAX_AMOUNT)]
AsOf = Annotated[IsoDate | None, Query(description="The plan as it stood on this day")]


def _event(row: EventRow) -> ScheduleEvent:
    return ScheduleEvent(
        id=row.id,
        date=row.date,
        kind=row.kind,
        option=row.option,
        amount=row.amount,
        interest=row.interest,
        principal=row.principal,
        balance=row.remaining_after,
        interest_rate=row.annual_rate,
        monthly_emi=row.emi,
        remaining_tenure_months=row.remaining_tenure,
        due_date=row.due_date,
    )


def _rows(rows: Sequence[loan_rules.Row]) -> list[ScheduleRow]:
    return [ScheduleRow(**row.__dict__) for row in rows]


def _totals(
    rows: tuple[loan_rules.Row, ...] | list[loan_rules.Row], lump: Decimal = ZERO
) -> ScheduleTotals:
    interest = sum((row.interest for row in rows), ZERO)
    principal = sum((row.principal for row in rows), lump)
    return ScheduleTotals(
        months=len(rows),
        total_paid=interest + principal,
        total_interest=interest,
        total_principal=principal,
        payoff_date=rows[-1].due_date if rows else None,
    )


def _what_if(
    baseline: Sequence[loan_rules.Row], scenario: loan_rules.Schedule | None, extra: Decimal
) -> WhatIfOut | None:
    """The what-if against the schedule's own projection."""
    if scenario is None:
        return None
    base, what_if = _totals(baseline), _totals(scenario.rows, scenario.lump_sum_applied)
    return WhatIfOut(
        extra_monthly=extra,
        lump_sum=scenario.lump_sum_applied,
        items=_rows(scenario.rows),
        totals=what_if,
        months_saved=base.months - what_if.months,
        interest_saved=base.total_interest - what_if.total_interest,
    )


@router.get("/{debt_id}/schedule", responses={**E401, **E404, **responses(422)})
async def get_debt_schedule(
    debt_id: str,
    user: CurrentUser,
    db: Db,
    as_of: AsOf = None,
    extra_monthly: WhatIfAmount = ZERO,
    lump_sum: WhatIfAmount = ZERO,
) -> ScheduleOut:
    """What was paid (EMIs, prepayments, rate resets), then the instalments to come, as the
    plan stood on `as_of` (today by default); `extra_monthly` / `lump_sum` what-ifs."""
    day = as_of or today(user.timezone)
    extra = quantize(extra_monthly)
    found = await loan_service.schedule(db, user.id, debt_id, day, extra, quantize(lump_sum))
    plan = found.plan
    state, paid = plan.state, plan.paid
    return ScheduleOut(
        debt_id=found.debt["_id"],
        as_of=day,
        remaining_amount=state.balance,
        interest_rate=state.annual_rate,
        monthly_emi=state.emi,
        remaining_tenure_months=state.remaining_tenure,
        # An overdue debt's projection starts with the instalment already past due.
        overdue_days=found.overdue_days,
        history=[_event(row) for row in plan.history],
        items=_rows(plan.projection),
        totals=ScheduleSplit(
            paid=PaidTotals(
                months=paid.months,
                total_paid=paid.total,
                total_interest=paid.interest,
                total_principal=paid.principal,
            ),
            projected=_totals(plan.projection),
        ),
        what_if=_what_if(plan.projection, found.what_if, extra),
    )


@router.get("/{debt_id}/statement", responses={**E401, **E404, **responses(422)})
async def get_debt_statement(
    debt_id: str,
    user: CurrentUser,
    db: Db,
    start: FromDate = None,
    end: ToDate = None,
) -> LoanStatementOut:
    """The periodic statement a lender sends: principal and interest recovered in the period
    and to date, EMIs paid and left, the rate and EMI in force. By default: this quarter
    (the RBI asks lenders for one each quarter) up to today."""
    day = today(user.timezone)
    end = end or day
    start = start or date(end.year, (end.month - 1) // 3 * 3 + 1, 1)
    check_order(start, end)
    debt, found = await loan_service.statement(db, user.id, debt_id, start, end, day)
    return LoanStatementOut(
        debt_id=debt["_id"],
        start=found.start,
        end=found.end,
        outstanding_at_start=found.outstanding_at_start,
        outstanding_at_end=found.outstanding_at_end,
        principal_in_period=found.principal_in_period,
        interest_in_period=found.interest_in_period,
        paid_in_period=found.paid_in_period,
        prepaid_in_period=found.prepaid_in_period,
        emis_paid_in_period=found.emis_paid_in_period,
        principal_to_date=found.principal_to_date,
        interest_to_date=found.interest_to_date,
        paid_to_date=found.paid_to_date,
        emis_paid_to_date=found.emis_paid_to_date,
        emis_left=found.emis_left,
        interest_rate=found.annual_rate,
        monthly_emi=found.emi,
        next_due=found.next_due,
        final_due=found.final_due,
        events=[_event(row) for row in found.events],
    )


# ---------------------------------------------------------------- rate resets


@router.post(
    "/{debt_id}/rate-changes",
    status_code=status.HTTP_201_CREATED,
    responses={
        **E401,
        **E404,
        **responses((409, "The debt is not active, or the reset conflicts with its payments")),
        **responses((422, "Invalid, in the future, or an EMI too low to extend the tenure")),
    },
)
async def create_rate_change(
    debt_id: str, body: RateChangeCreate, user: CurrentUser, db: Db
) -> RateChangeOut:
    """Record a floating-rate reset: `increase_emi` keeps the remaining tenure, `extend_tenure`
    keeps the EMI (refused with the minimum EMI when it would not cover the interest)."""
    effective = loan_rules.rate_change_day(body.effective_date, user.timezone)
    created = await loan_service.add_rate_change(
        db, user.id, debt_id, effective, body.interest_rate, str(body.treatment)
    )
    return RateChangeOut.model_validate(created)


@router.get("/{debt_id}/rate-changes", responses={**E401, **E404})
async def list_rate_changes(debt_id: str, user: CurrentUser, db: Db) -> list[RateChangeOut]:
    """The debt's rate resets, oldest first."""
    resets = await loan_service.rate_changes(db, user.id, debt_id)
    return [RateChangeOut.model_validate(reset) for reset in resets]


@router.delete(
    "/{debt_id}/rate-changes/latest",
    **NO_CONTENT,
    responses={**E401, **responses((404, "Debt or rate change not found")), **responses(409)},
)
async def delete_latest_rate_change(debt_id: str, user: CurrentUser, db: Db) -> None:
    """Undo the latest rate reset: the loan is replayed without it, exactly."""
    await loan_service.delete_latest_rate_change(db, user.id, debt_id)
