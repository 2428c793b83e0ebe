"""Debts (loans, cards, EMIs): CRUD, a summary and payoff plans (a loan's schedule,
statement and rate resets are in routes/loans.py)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import as_day, now_ms, today
from core.errors import ErrorCode, Unprocessable
from core.money import ZERO, from_sum, quantize
from database import Doc, delete_owned, get_owned, in_transaction, paginate
from loans import rules as loan_rules
from loans import store as loan_store
from routes.deps import NO_CONTENT, CurrentUser, Db, Pagination, responses
from schemas import (
    MAX_AMOUNT,
    DebtCreate,
    DebtOut,
    DebtStatus,
    DebtSummary,
    DebtType,
    DebtUpdate,
    DueDebt,
    MoneyOrZero,
    Page,
    PayoffDebtOut,
    PayoffPlanOut,
    PlanOut,
)
from security import User

router = APIRouter(prefix="/debts", tags=["debts"])
E401 = responses(401)
E404 = responses((404, "Debt not found (or not yours)"))
E422_NEVER = responses((422, "The EMI never pays the debt off"))
WhatIfAmount = Annotated[MoneyOrZero, Query(ge=0, le=MAX_AMOUNT)]


def _new_debt(body: DebtCreate, user: User) -> Doc:
    days = body.values(user.timezone)
    start = days["start_date"]
    first_due = days["next_payment_date"] or loan_rules.add_months(start, 1)
    emi = body.monthly_emi or loan_rules.emi(body.principal, body.interest_rate, body.tenure_months)
    at = now_ms()
    debt = {
        "user_id": user.id,
        "name": body.name,
        "debt_type": str(body.debt_type),
        "principal": body.principal,
        "interest_rate": body.interest_rate,
        "original_rate": body.interest_rate,
        "tenure_months": body.tenure_months,
        "monthly_emi": emi,
        "original_emi": emi,
        "emi_computed": body.monthly_emi is None,
        "outstanding_amount": body.outstanding_amount,
        "bank_name": body.bank_name,
        "loan_account": body.loan_account,
        "start_date": start,
        **loan_rules.anchor_fields(first_due),
        "status": str(DebtStatus.active),
        "notes": body.notes,
        "property_use": days["property_use"],
        "sanctioned_on": days["sanctioned_on"],
        "remaining_amount": body.outstanding_amount or body.principal,
        "total_paid": ZERO,
        "total_interest_paid": ZERO,
        "payments_count": 0,
        "due_offset": 0,
        "rate_changes": [],
        "completed_at": None,
        "created_at": at,
        "updated_at": at,
    }
    return debt | loan_store.opening_fields(debt)


# ---------------------------------------------------------------- collection routes


@router.post("", status_code=status.HTTP_201_CREATED, responses=E401)
async def create_debt(body: DebtCreate, user: CurrentUser, db: Db) -> DebtOut:
    """Add a loan or card; `monthly_emi` is computed (reducing balance) when omitted."""
    doc = _new_debt(body, user)
    doc["_id"] = (await db.debts.insert_one(doc)).inserted_id
    return DebtOut.of(doc, today(user.timezone))


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
    newest_first = [("created_at", -1), ("_id", -1)]
    return await paginate(db.debts, query, page, lambda d: DebtOut.of(d, day), sort=newest_first)


def _summary_pipeline(user_id: Any, next_due: int) -> list[dict[str, Any]]:
    active = {"$eq": ["$status", str(DebtStatus.active)]}
    return [
        {"$match": {"user_id": user_id}},
        {
            "$facet": {
                "by_status": [{"$group": {"_id": "$status", "n": {"$sum": 1}}}],
                "by_type": [{"$group": {"_id": "$debt_type", "n": {"$sum": 1}}}],
                "totals": [
                    {
                        "$group": {
                            "_id": None,
                            "count": {"$sum": 1},
                            "principal": {"$sum": "$principal"},
                            "paid": {"$sum": "$total_paid"},
                            "interest": {"$sum": "$total_interest_paid"},
                            "remaining": {"$sum": {"$cond": [active, "$remaining_amount", 0]}},
                            "emi": {"$sum": {"$cond": [active, "$monthly_emi", 0]}},
                        }
                    }
                ],
                "next_due": [
                    {"$match": {"status": str(DebtStatus.active)}},
                    {"$sort": {"next_payment_date": 1, "_id": 1}},
                    {"$limit": next_due},
                    {
                        "$project": {
                            "debt_id": "$_id",
                            "name": 1,
                            "next_payment_date": 1,
                            "status": 1,
                            "monthly_emi": 1,
                            "remaining_amount": 1,
                        }
                    },
                ],
            }
        },
    ]


@router.get("/stats/summary", responses=E401)
async def debt_summary(user: CurrentUser, db: Db) -> DebtSummary:
    """Counts by status and type, totals, monthly EMI outgo and the next three due payments."""
    return await summarise_debts(db, user)


async def summarise_debts(db: AsyncDatabase, user: User, next_due: int = 3) -> DebtSummary:
    """The summary in one aggregation; the dashboard asks for more upcoming payments."""
    cursor = await db.debts.aggregate(_summary_pipeline(user.id, next_due))
    day = today(user.timezone)
    (facets,) = await cursor.to_list(None)
    totals = facets["totals"][0] if facets["totals"] else {}
    return DebtSummary(
        total_debts=totals.get("count", 0),
        by_status={s: 0 for s in DebtStatus} | {r["_id"]: r["n"] for r in facets["by_status"]},
        by_type={t: 0 for t in DebtType} | {r["_id"]: r["n"] for r in facets["by_type"]},
        total_principal=from_sum(totals.get("principal")),
        total_remaining=from_sum(totals.get("remaining")),
        total_paid=from_sum(totals.get("paid")),
        total_interest_paid=from_sum(totals.get("interest")),
        total_monthly_emi=from_sum(totals.get("emi")),
        next_due=[
            DueDebt.model_validate(d | {"overdue_days": loan_rules.overdue_days(d, day)})
            for d in facets["next_due"]
        ],
    )


def _plan_out(plan: loan_rules.Plan) -> PlanOut:
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
async def payoff_plan(
    user: CurrentUser,
    db: Db,
    strategy: Literal["avalanche", "snowball"] = "avalanche",
    extra_monthly: WhatIfAmount = ZERO,
) -> PayoffPlanOut:
    """Pay all active debts with their EMIs + `extra_monthly`: avalanche vs snowball."""
    docs = (
        await db.debts.find({"user_id": user.id, "status": str(DebtStatus.active)})
        .sort([("created_at", -1), ("_id", -1)])
        .to_list(None)
    )
    debts = [
        loan_rules.PlanDebt(
            id=str(d["_id"]),
            name=d["name"],
            balance=quantize(d["remaining_amount"]),
            annual_rate=d["interest_rate"],
            emi=quantize(d["monthly_emi"]),
            first_due=as_day(d["next_payment_date"]),
        )
        for d in docs
        if d["remaining_amount"] > 0
    ]
    try:
        chosen, other = loan_rules.compare_strategies(
            debts, quantize(extra_monthly), strategy, today(user.timezone)
        )
    except loan_rules.NeverPaysOff as exc:
        raise Unprocessable(
            "These EMIs never pay the debts off: they don't cover the interest",
            code=ErrorCode.never_pays_off,
            loc=("query", "extra_monthly"),
        ) from exc
    return PayoffPlanOut(
        strategy=strategy,
        extra_monthly=quantize(extra_monthly),
        monthly_budget=sum((d.emi for d in debts), ZERO) + quantize(extra_monthly),
        plan=_plan_out(chosen),
        comparison=_plan_out(other),
        interest_saved_vs_comparison=other.total_interest - chosen.total_interest,
        months_saved_vs_comparison=other.months - chosen.months,
    )


# ---------------------------------------------------------------- one debt


@router.get("/{debt_id}", responses={**E401, **E404})
async def get_debt(debt_id: str, user: CurrentUser, db: Db) -> DebtOut:
    """One of your debts."""
    return DebtOut.of(await get_owned(db.debts, debt_id, user.id, "debt"), today(user.timezone))


@router.put(
    "/{debt_id}",
    responses={
        **E401,
        **E404,
        **responses((409, "Terms locked by payments, or debt paid off")),
        **responses((422, "Invalid field or amounts")),
    },
)
async def update_debt(debt_id: str, body: DebtUpdate, user: CurrentUser, db: Db) -> DebtOut:
    """Update a debt: its name and notes, its due date, active ↔ closed, and its terms until
    the first payment or rate reset."""
    changes = body.values(user.timezone, partial=True)
    day = today(user.timezone)

    async def work(session: AsyncClientSession) -> Doc:
        debt = await get_owned(db.debts, debt_id, user.id, "debt", session=session)
        body.check_echo(DebtOut.of(debt, day))
        updated = await db.debts.find_one_and_update(
            {"_id": debt["_id"], "user_id": user.id},
            {"$set": loan_rules.debt_update(debt, changes)},
            return_document=True,
            session=session,
        )
        # New terms or a new due day give the debt a new state: the book works it out.
        await loan_store.book(db, updated, session)
        return await db.debts.find_one({"_id": debt["_id"]}, session=session)

    return DebtOut.of(await in_transaction(db, work), day)


@router.delete("/{debt_id}", **NO_CONTENT, responses={**E401, **E404})
async def delete_debt(debt_id: str, user: CurrentUser, db: Db) -> None:
    """Delete a debt together with all of its payments."""

    await delete_owned(db, "debts", debt_id, user.id, "debt", children=("payments", "debt_id"))
