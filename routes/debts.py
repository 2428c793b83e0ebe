"""Debts (loans, cards, EMIs): CRUD, a summary and payoff plans (a loan's schedule,
statement and rate resets are in routes/loans.py)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status

from core.dates import today
from core.money import ZERO, quantize
from database import get_owned, paginate
from loans import service as loan_service
from loans import store as loan_store
from loans.payoff import Plan
from routes.deps import (
    NO_CONTENT,
    CurrentUser,
    Db,
    ETagged,
    IfMatch,
    IfNoneMatch,
    Pagination,
    responses,
    tagged,
)
from schemas import (
    MAX_AMOUNT,
    DebtCreate,
    DebtOut,
    DebtStatus,
    DebtSummary,
    DebtType,
    DebtUpdate,
    MoneyOrZero,
    Page,
    PayoffDebtOut,
    PayoffPlanOut,
    PlanOut,
)

router = APIRouter(prefix="/debts", tags=["debts"])
E401 = responses(401)
E404 = responses((404, "Debt not found (or not yours)"))
E422_NEVER = responses((422, "The EMI never pays the debt off"))
E304, E412 = responses(304), responses(412)
WhatIfAmount = Annotated[MoneyOrZero, Query(ge=0, le=MAX_AMOUNT)]


# ---------------------------------------------------------------- collection routes


@router.post("", status_code=status.HTTP_201_CREATED, responses={**tagged(201), **E401})
async def create_debt(body: DebtCreate, user: CurrentUser, db: Db, tag: ETagged) -> DebtOut:
    """Add a loan or card; `monthly_emi` is computed (reducing balance) when omitted."""
    doc = await loan_service.create_debt(db, user.id, body.values(user.timezone))
    return tag(DebtOut.of(doc, today(user.timezone)))


@router.get("", responses=E401)
async def list_debts(
    user: CurrentUser,
    db: Db,
    page: Pagination,
    status: DebtStatus | None = None,
    debt_type: DebtType | None = None,
) -> Page[DebtOut]:
    """Your debts, newest first, optionally of one status and/or type."""
    query: dict[str, Any] = {"user_id": user.id}
    if status is not None:
        query["status"] = str(status)
    if debt_type is not None:
        query["debt_type"] = str(debt_type)
    day = today(user.timezone)
    return await paginate(
        db.debts, query, page, lambda d: DebtOut.of(d, day), sort=loan_store.NEWEST_FIRST
    )


@router.get("/stats/summary", responses=E401)
async def get_debt_summary(user: CurrentUser, db: Db) -> DebtSummary:
    """Counts by status and type, totals, monthly EMI outgo and the next three due payments."""
    return await loan_service.summarise_debts(db, user)


def _plan_out(plan: Plan) -> PlanOut:
    return PlanOut(
        strategy=plan.strategy,
        order=plan.order,
        debts=[
            PayoffDebtOut(
                debt_id=d.id,
                name=d.name,
                payoff_month=d.payoff_month,
                payoff_date=d.payoff_date,
                interest_paid=d.interest_paid,
            )
            for d in plan.debts
        ],
        total_interest=plan.total_interest,
        months=plan.months,
        debt_free_date=plan.debt_free_date,
    )


@router.get("/payoff-plan", responses={**E401, **E422_NEVER})
async def get_payoff_plan(
    user: CurrentUser,
    db: Db,
    strategy: Literal["avalanche", "snowball"] = "avalanche",
    extra_monthly: WhatIfAmount = ZERO,
) -> PayoffPlanOut:
    """Pay all active debts with their EMIs + `extra_monthly`: avalanche vs snowball."""
    extra = quantize(extra_monthly)
    plans = await loan_service.payoff_plans(db, user.id, strategy, extra, today(user.timezone))
    chosen, other = plans.chosen, plans.other
    return PayoffPlanOut(
        strategy=strategy,
        extra_monthly=extra,
        monthly_budget=plans.monthly_budget,
        plan=_plan_out(chosen),
        comparison=_plan_out(other),
        interest_saved_vs_comparison=other.total_interest - chosen.total_interest,
        months_saved_vs_comparison=other.months - chosen.months,
    )


# ---------------------------------------------------------------- one debt


@router.get("/{debt_id}", responses={**tagged(), **E304, **E401, **E404})
async def get_debt(debt_id: str, user: CurrentUser, db: Db, tag: IfNoneMatch) -> DebtOut:
    """One of your debts."""
    doc = await get_owned(db.debts, debt_id, user.id, "debt")
    return tag(DebtOut.of(doc, today(user.timezone)))


@router.put(
    "/{debt_id}",
    responses={
        **tagged(),
        **E401,
        **E404,
        **responses((409, "Terms locked by payments, or debt paid off")),
        **E412,
        **responses((422, "Invalid field or amounts")),
    },
)
async def update_debt(
    debt_id: str, body: DebtUpdate, user: CurrentUser, db: Db, if_match: IfMatch, tag: ETagged
) -> DebtOut:
    """Update a debt: its name and notes, its due date, active ↔ closed, and its terms until
    the first payment or rate reset."""
    changes = body.values(user.timezone, partial=True)
    day = today(user.timezone)
    debt = await loan_service.update_debt(db, user.id, debt_id, changes, expected=if_match)
    return tag(DebtOut.of(debt, day))


@router.delete("/{debt_id}", **NO_CONTENT, responses={**E401, **E404, **E412})
async def delete_debt(debt_id: str, user: CurrentUser, db: Db, if_match: IfMatch) -> None:
    """Delete a debt together with all of its payments."""
    await loan_store.delete_debt(db, user.id, debt_id, if_match)
