"""A loan as its lender keeps it: the schedule (what was paid, then what is to come, as it
stood on any day), the periodic statement, and floating-rate resets with the borrower's
choice of a higher EMI or a longer tenure. The figures come from `loan_events` replaying the
debt's book (`loan_book`)."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated

from bson import ObjectId
from fastapi import APIRouter, Query, status
from pymongo.asynchronous.client_session import AsyncClientSession

from core.dates import as_day, check_order, now_ms, today
from core.errors import Conflict, ErrorCode, NotFound, Unprocessable
from core.money import ZERO, quantize
from database import Doc, get_owned, in_transaction
from loans import rules as loan_rules
from loans import schedule as loan_schedule
from loans import store as loan_store
from loans.events import EventRow, LoanState, replay
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


def _never_pays_off(emi: Decimal) -> Unprocessable:
    return Unprocessable(
        f"The EMI of {emi} never pays this debt off: it doesn't cover the monthly interest",
        code=ErrorCode.never_pays_off,
        loc=("query", "extra_monthly"),
    )


def _overdue(debt: Doc, state: LoanState, on: date) -> int:
    if debt["status"] == "closed" or state.balance == 0:
        return 0
    return max(0, (on - state.next_due).days)


def _what_if(
    state: LoanState, baseline: Sequence[loan_rules.Row], extra: Decimal, lump: Decimal
) -> WhatIfOut | None:
    """Paying `extra` each month and/or `lump` now, against the schedule's own projection."""
    if (extra == 0 and lump == 0) or state.balance == 0:
        return None
    try:
        scenario = loan_rules.amortize(
            state.balance, state.annual_rate, state.emi, state.next_due, extra, lump
        )
    except loan_rules.NeverPaysOff as exc:
        raise _never_pays_off(state.emi) from exc
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
async def debt_schedule(
    debt_id: str,
    user: CurrentUser,
    db: Db,
    as_of: AsOf = None,
    extra_monthly: WhatIfAmount = ZERO,
    lump_sum: WhatIfAmount = ZERO,
) -> ScheduleOut:
    """What was paid (EMIs, prepayments, rate resets), then the instalments to come, as the
    plan stood on `as_of` (today by default); `extra_monthly` / `lump_sum` what-ifs."""
    debt = await get_owned(db.debts, debt_id, user.id, "debt")
    day = as_of or today(user.timezone)
    loan = loan_store.terms(debt)
    try:
        plan = loan_schedule.schedule(loan, await loan_store.events(db, debt), day)
    except loan_rules.NeverPaysOff as exc:
        raise _never_pays_off(quantize(debt["monthly_emi"])) from exc
    state, paid = plan.state, plan.paid
    return ScheduleOut(
        debt_id=debt["_id"],
        as_of=day,
        remaining_amount=state.balance,
        interest_rate=state.annual_rate,
        monthly_emi=state.emi,
        remaining_tenure_months=state.remaining_tenure,
        # An overdue debt's projection starts with the instalment already past due.
        overdue_days=_overdue(debt, state, day),
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
        what_if=_what_if(state, plan.projection, quantize(extra_monthly), quantize(lump_sum)),
    )


@router.get("/{debt_id}/statement", responses={**E401, **E404, **responses(422)})
async def loan_statement(
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
    debt = await get_owned(db.debts, debt_id, user.id, "debt")
    loan = loan_store.terms(debt)
    events = await loan_store.events(db, debt)
    found = loan_schedule.statement(loan, events, start, end, day)
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


def _changes_out(debt: Doc, state: LoanState) -> list[RateChangeOut]:
    """The debt's rate resets, oldest first, each with the rate before it and the EMI and
    tenure after it, as the replay gives them."""
    recorded = {change["id"]: change for change in debt.get("rate_changes", [])}
    found, rate = [], loan_store.terms(debt).annual_rate
    for row in state.rows:
        if row.kind == "rate_change":
            found.append(
                RateChangeOut(
                    id=row.id,
                    effective_date=row.date,
                    interest_rate=row.annual_rate,
                    treatment=row.option,
                    previous_rate=rate,
                    monthly_emi=row.emi,
                    remaining_tenure_months=row.remaining_tenure,
                    created_at=recorded[row.id]["created_at"],
                )
            )
        rate = row.annual_rate if row.kind == "rate_change" else rate
    return found


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
async def add_rate_change(
    debt_id: str, body: RateChangeCreate, user: CurrentUser, db: Db
) -> RateChangeOut:
    """Record a floating-rate reset: `increase_emi` keeps the remaining tenure, `extend_tenure`
    keeps the EMI (refused with the minimum EMI when it would not cover the interest)."""
    effective = loan_rules.event_day(body.effective_date, user.timezone, "effective_date")

    async def work(session: AsyncClientSession) -> list[RateChangeOut]:
        debt = await get_owned(db.debts, debt_id, user.id, "debt", session=session)
        loan_rules.check_takes_payments(debt)
        if effective < as_day(debt["start_date"]):
            raise Unprocessable(
                "effective_date is before the loan started",
                code=ErrorCode.invalid_range,
                loc=("body", "effective_date"),
            )
        change = {
            "id": str(ObjectId()),
            "effective_date": effective,
            "interest_rate": body.interest_rate,
            "treatment": str(body.treatment),
            "created_at": now_ms(),
        }
        changes = [*debt.get("rate_changes", []), change]
        booked = await loan_store.book(db, debt, session, rate_changes=changes)
        return [
            c
            for c in _changes_out(debt | {"rate_changes": changes}, booked.state)
            if c.id == change["id"]
        ]

    (created,) = await in_transaction(db, work)
    return created


@router.get("/{debt_id}/rate-changes", responses={**E401, **E404})
async def list_rate_changes(debt_id: str, user: CurrentUser, db: Db) -> list[RateChangeOut]:
    """The debt's rate resets, oldest first."""
    debt = await get_owned(db.debts, debt_id, user.id, "debt")
    state = replay(loan_store.terms(debt), await loan_store.events(db, debt))
    return _changes_out(debt, state)


@router.delete(
    "/{debt_id}/rate-changes/latest",
    **NO_CONTENT,
    responses={**E401, **responses((404, "Debt or rate change not found")), **responses(409)},
)
async def delete_latest_rate_change(debt_id: str, user: CurrentUser, db: Db) -> None:
    """Undo the latest rate reset: the loan is replayed without it, exactly."""

    async def work(session: AsyncClientSession) -> None:
        debt = await get_owned(db.debts, debt_id, user.id, "debt", session=session)
        changes = debt.get("rate_changes", [])
        if not changes:
            raise NotFound("rate_change")
        latest = max(changes, key=lambda c: (as_day(c["effective_date"]), c["id"]))
        if debt["status"] == "completed":
            raise Conflict(
                "This debt is paid off; delete a payment to reopen it",
                code=ErrorCode.debt_completed,
            )
        kept = [c for c in changes if c["id"] != latest["id"]]
        await loan_store.book(db, debt, session, rate_changes=kept)

    await in_transaction(db, work)
