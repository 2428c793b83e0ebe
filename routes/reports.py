"""Reports: a month, a calendar or fiscal year, the fiscal-year tax summary, and CSV export.

Every figure comes from one aggregation per collection, bounded by the period on a
`(user_id, date, _id)` index and grouped in the user's timezone; the queries of a report run
concurrently, and Python folds only the grouped rows (months x categories), never documents.
"""

import asyncio
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from bson import ObjectId
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import (
    Period,
    as_day,
    calendar_year,
    fiscal_period,
    fiscal_year,
    fy_label,
    month_bounds,
    month_end,
    parse_fiscal_year,
    report_month,
    shift_month,
    today,
)
from core.errors import ErrorCode, Unprocessable
from core.money import ZERO, from_sum, total
from database import Doc
from ledger.store import active_budgets, date_query, monthly_totals, status_of
from loans import tax
from loans.store import payment_totals
from reports.csv_export import EXPORT_BATCH, EXPORTS, csv_rows
from reports.rules import change, net_savings, savings_rate
from routes.deps import CurrentUser, Db, FromDate, SettingsDep, ToDate, Year, responses
from schemas import (
    AnnualFigures,
    AnnualMonth,
    AnnualReport,
    BudgetAdherence,
    CategoryChange,
    GoalContributionTotal,
    LoanPayments,
    MonthlyReport,
    PaymentSplit,
    ReportContributions,
    ReportExpenses,
    ReportIncome,
    ReportPayments,
    TaxDeduction,
    TaxLoan,
    TaxRegime,
    TaxSummary,
)

router = APIRouter(prefix="/reports", tags=["reports"])
TAX_FIELDS = {"name": 1, "debt_type": 1, "bank_name": 1, "property_use": 1, "sanctioned_on": 1}
E401 = responses(401)
E422 = responses((422, "Invalid period, fiscal year or date range"))
Month = Annotated[int | None, Query(ge=1, le=12)]
FiscalYear = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-\d{2}$", description="Indian fiscal year, April to March: 2024-25"),
]


# ---------------------------------------------------------------- periods


def annual_span(year: int | None, fy: str | None, tz: str) -> tuple[Period, str]:
    """`?year=` (January to December) or `?fy=` (April to March); neither: this year."""
    if year is not None and fy is not None:
        raise Unprocessable(
            "Give either `year` or `fy`, not both",
            code=ErrorCode.invalid_period,
            loc=("query", "fy"),
        )
    if fy is not None:
        first = parse_fiscal_year(fy)
        return fiscal_period(first), f"FY {fy_label(first)}"
    year = year or today(tz).year
    return calendar_year(year), str(year)


def _month_of(field: str) -> dict[str, Any]:
    return {"$dateToString": {"format": "%Y-%m", "date": field}}


# ---------------------------------------------------------------- aggregations


async def contribution_totals(
    db: AsyncDatabase, user_id: ObjectId, start: date, end: date, key: Any
) -> list[Doc]:
    """Goal contributions in [start, end) summed per `key` (the goal, or the month)."""
    pipeline = [
        {"$match": {"user_id": user_id, "date": {"$gte": start, "$lt": end}}},
        {"$group": {"_id": key, "amount": {"$sum": "$amount"}, "count": {"$sum": 1}}},
    ]
    return await (await db.goal_contributions.aggregate(pipeline)).to_list(None)


async def _goal_titles(db: AsyncDatabase, user_id: ObjectId) -> dict[ObjectId, str]:
    # A person has a handful of goals: read them all rather than `$in` (a collection scan).
    docs = await db.goals.find({"user_id": user_id}, projection={"title": 1}).to_list(None)
    return {d["_id"]: d["title"] for d in docs}


def _split(rows: list[Doc]) -> PaymentSplit:
    return PaymentSplit(
        total=total(from_sum(r["total"]) for r in rows),
        interest=total(from_sum(r["interest"]) for r in rows),
        principal=total(from_sum(r["principal"]) for r in rows),
        count=sum(r["count"] for r in rows),
    )


# ---------------------------------------------------------------- monthly


def _income_section(previous: Doc, current: Doc) -> ReportIncome:
    delta, delta_percent = change(current["total"], previous["total"])
    return ReportIncome(
        total=current["total"],
        count=current["count"],
        by_type=current["breakdown"],
        previous_total=previous["total"],
        change=delta,
        change_percent=delta_percent,
    )


def _expense_section(previous: Doc, current: Doc) -> ReportExpenses:
    rows = []
    now, before = current["breakdown"], previous["breakdown"]
    for category in sorted(now.keys() | before.keys()):
        spent, earlier = now.get(category, ZERO), before.get(category, ZERO)
        delta, delta_percent = change(spent, earlier)
        rows.append(
            CategoryChange(
                category=category,
                total=spent,
                previous_total=earlier,
                change=delta,
                change_percent=delta_percent,
            )
        )
    rows.sort(key=lambda row: row.total, reverse=True)  # stable: ties stay alphabetical
    delta, delta_percent = change(current["total"], previous["total"])
    return ReportExpenses(
        total=current["total"],
        count=current["count"],
        by_category=rows,
        previous_total=previous["total"],
        change=delta,
        change_percent=delta_percent,
    )


def _payment_section(rows: list[Doc]) -> ReportPayments:
    by_debt = [
        LoanPayments(
            debt_id=r["_id"],
            name=r["name"],
            total=from_sum(r["total"]),
            interest=from_sum(r["interest"]),
            principal=from_sum(r["principal"]),
            count=r["count"],
        )
        for r in rows
    ]
    by_debt.sort(key=lambda loan: (-loan.total, loan.name))
    return ReportPayments(**_split(rows).model_dump(), by_debt=by_debt)


def _contribution_section(rows: list[Doc], titles: dict[ObjectId, str]) -> ReportContributions:
    by_goal = [
        GoalContributionTotal(
            goal_id=r["_id"],
            title=titles.get(r["_id"], "Deleted goal"),
            total=from_sum(r["amount"]),
            count=r["count"],
        )
        for r in rows
    ]
    by_goal.sort(key=lambda goal: (-goal.total, goal.title))
    return ReportContributions(
        total=total(g.total for g in by_goal),
        count=sum(g.count for g in by_goal),
        by_goal=by_goal,
    )


def adherence(
    budgets: list[Doc], spend: dict[str, Decimal], year_month: tuple[int, int], currency: str
) -> BudgetAdherence:
    """The budgets' status that month, and how many stayed within (spent <= limit)."""
    status = status_of(budgets, spend, year_month, currency)
    over = sum(1 for item in status.items if item.spent > item.monthly_limit)
    return BudgetAdherence(**status.model_dump(), within=len(status.items) - over, over=over)


@router.get("/monthly", responses={**E401, **E422})
async def monthly_report(
    user: CurrentUser, db: Db, year: Year = None, month: Month = None
) -> MonthlyReport:
    """One month in your timezone (this month by default), compared with the month before."""
    tz, currency, uid = user.timezone, user.currency, user.id
    year, month = report_month(year, month, tz)
    previous = shift_month(year, month, -1)
    # Both months in one bounded aggregation per collection: [previous start, month end).
    both = Period(date(*previous, 1), month_end(year, month))
    start, end = month_bounds(year, month)
    income, expenses, payments, contributions, titles, budgets = await asyncio.gather(
        monthly_totals(db.income, uid, both, "income_type"),
        monthly_totals(db.expenses, uid, both, "category"),
        payment_totals(db, uid, start, end, "$debt_id"),
        contribution_totals(db, uid, start, end, "$goal_id"),
        _goal_titles(db, uid),
        active_budgets(db, uid),
    )
    (income_before, income_now), (spent_before, spent_now) = income["months"], expenses["months"]
    return MonthlyReport(
        month=spent_now["month"],
        previous_month=spent_before["month"],
        currency=currency,
        timezone=tz,
        income=_income_section(income_before, income_now),
        expenses=_expense_section(spent_before, spent_now),
        payments=_payment_section(payments),
        goal_contributions=_contribution_section(contributions, titles),
        budgets=adherence(budgets, spent_now["breakdown"], (year, month), currency),
        net_savings=net_savings(income_now["total"], spent_now["total"]),
        savings_rate=savings_rate(income_now["total"], spent_now["total"]),
    )


# ---------------------------------------------------------------- annual


def _figures(
    income: Doc, expenses: Doc, payments: list[Doc], contributed: Decimal
) -> dict[str, Any]:
    return {
        "income": income["total"],
        "income_by_type": income["breakdown"],
        "expenses": expenses["total"],
        "expenses_by_category": expenses["breakdown"],
        "payments": _split(payments),
        "goal_contributions": contributed,
        "net_savings": net_savings(income["total"], expenses["total"]),
        "savings_rate": savings_rate(income["total"], expenses["total"]),
    }


def _over_budget(budgets: list[Doc], spend: dict[str, Decimal]) -> list[str]:
    return [b["category"] for b in budgets if spend.get(b["category"], ZERO) > b["monthly_limit"]]


@router.get("/annual", responses={**E401, **E422})
async def annual_report(
    user: CurrentUser, db: Db, year: Year = None, fy: FiscalYear = None
) -> AnnualReport:
    """Each month of a calendar year (`year`) or Indian fiscal year (`fy=2024-25`), and totals."""
    tz, uid = user.timezone, user.id
    span, label = annual_span(year, fy, tz)
    start, end = span.bounds()
    income, expenses, payments, contributions, budgets = await asyncio.gather(
        monthly_totals(db.income, uid, span, "income_type"),
        monthly_totals(db.expenses, uid, span, "category"),
        payment_totals(db, uid, start, end, _month_of("$payment_date")),
        contribution_totals(db, uid, start, end, _month_of("$date")),
        active_budgets(db, uid),
    )
    paid = {r["_id"]: r for r in payments}
    contributed = {r["_id"]: from_sum(r["amount"]) for r in contributions}
    months = [
        AnnualMonth(
            month=key,
            budgets_over=_over_budget(budgets, spent["breakdown"]),
            **_figures(
                earned, spent, [paid[key]] if key in paid else [], contributed.get(key, ZERO)
            ),
        )
        for key, earned, spent in zip(
            span.month_keys(), income["months"], expenses["months"], strict=True
        )
    ]
    totals = _figures(income, expenses, payments, total(contributed.values()))
    return AnnualReport(
        period=label,
        start=span.start,
        end=span.end,
        currency=user.currency,
        timezone=tz,
        months=months,
        totals=AnnualFigures(**totals),
    )


# ---------------------------------------------------------------- tax summary


Regime = Annotated[
    TaxRegime | None, Query(description="old or new; default: the regime in your profile")
]


def _tax_input(row: Doc, debt: Doc) -> tax.TaxLoanInput:
    return tax.TaxLoanInput(
        loan_id=str(row["_id"]),
        name=debt.get("name", row["name"]),
        debt_type=debt.get("debt_type", "other"),
        interest_paid=from_sum(row["interest"]),
        principal_paid=from_sum(row["principal"]),
        property_use=debt.get("property_use") or "self_occupied",
        sanctioned_on=as_day(debt["sanctioned_on"]) if debt.get("sanctioned_on") else None,
    )


@router.get("/tax-summary", responses={**E401, **E422})
async def tax_summary(
    user: CurrentUser,
    db: Db,
    settings: SettingsDep,
    fy: FiscalYear = None,
    regime: Regime = None,
) -> TaxSummary:
    """Interest and principal repaid per loan in a fiscal year, and the deductions they allow
    under that year's law (the Income-tax Act 1961 up to 2025-26, the 2025 Act from 2026-27)
    and regime."""
    tz, uid = user.timezone, user.id
    first = parse_fiscal_year(fy) if fy is not None else fiscal_year(today(tz))
    chosen = str(regime or (user.doc.get("profile") or {}).get("tax_regime") or "old")
    period = fiscal_period(first)
    start, end = period.bounds()
    rows, debts = await asyncio.gather(
        payment_totals(db, uid, start, end, "$debt_id"),
        db.debts.find({"user_id": uid}, projection=TAX_FIELDS).to_list(None),
    )
    by_id = {d["_id"]: d for d in debts}
    inputs = [_tax_input(row, by_id.get(row["_id"], {})) for row in rows]
    caps = tax.TaxCaps(
        settings.tax_cap_24b, settings.tax_cap_80c, settings.tax_cap_80eea, settings.tax_cap_set_off
    )
    result = tax.tax_summary(first, chosen, inputs, caps)
    sections = {loan.loan_id: loan for loan in result.loans}
    loans = sorted(
        (
            TaxLoan(
                debt_id=row["_id"],
                name=found.name,
                debt_type=found.debt_type,
                bank_name=by_id.get(row["_id"], {}).get("bank_name"),
                property_use=by_id.get(row["_id"], {}).get("property_use"),
                sanctioned_on=found.sanctioned_on,
                interest_paid=found.interest_paid,
                principal_paid=found.principal_paid,
                total_paid=from_sum(row["total"]),
                payments_count=row["count"],
                sections=list(sections[found.loan_id].sections),
                notes=list(sections[found.loan_id].notes),
            )
            for row, found in zip(rows, inputs, strict=True)
        ),
        key=lambda loan: (loan.debt_type, loan.name),
    )
    return TaxSummary(
        fy=result.fy,
        label=result.label,
        law=result.law,
        regime=result.regime,
        start=period.start,
        end=period.end,
        currency=user.currency,
        loans=loans,
        deductions=[
            TaxDeduction(
                **{k: v for k, v in d.__dict__.items() if k not in ("loan_ids", "notes")},
                debt_ids=list(d.loan_ids),
                notes=list(d.notes),
            )
            for d in result.deductions
        ],
        total_deductible=result.total_deductible,
        notes=list(result.notes),
    )


# ---------------------------------------------------------------- CSV export


def export_range(start: date | None, end: date | None, tz: str) -> tuple[date, date]:
    """`to` defaults to today; `from` to the first day of the 12th month back from `to`."""
    end = end or today(tz)
    start = start or date(*shift_month(end.year, end.month, -11), 1)
    return start, end


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "A CSV file (attachment)"},
        **E401,
        **E422,
    },
)
async def export_csv(
    user: CurrentUser,
    db: Db,
    kind: Literal["expenses", "income", "payments"],
    file_format: Annotated[Literal["csv"], Query(alias="format")] = "csv",
    start: FromDate = None,
    end: ToDate = None,
) -> StreamingResponse:
    """Download your expenses, income or payments between two days (default: 12 months)."""
    tz = user.timezone
    first, last = export_range(start, end, tz)
    bounds = date_query(first, last)["date"]  # also: `from` after `to` is a 422
    spec = EXPORTS[kind]
    cursor = (
        db[spec.collection]
        .find({"user_id": user.id, spec.day_field: bounds})
        .sort([(spec.day_field, 1), ("_id", 1)])
        .batch_size(EXPORT_BATCH)
    )
    filename = f"cleero-{kind}-{first.isoformat()}-to-{last.isoformat()}.{file_format}"
    return StreamingResponse(
        csv_rows(cursor, kind, user.currency),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
