"""Reports: a month, a calendar or fiscal year, the fiscal-year tax summary, and CSV export.

Every figure comes from one aggregation per collection, bounded by the period on a
`(user_id, date, _id)` index and grouped in the user's timezone; the queries of a report run
concurrently, and Python folds only the grouped rows (months x categories), never documents.
"""

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from bson import ObjectId
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase

from database import Db, Doc
from dates import day_end, fiscal_year_bounds, local_date, month_bounds, now, start_of_day, user_tz
from errors import Unprocessable
from routes.budgets import active_budgets, status_of
from routes.income import (
    FromDate,
    ToDate,
    Year,
    date_filter,
    month_keys,
    monthly_totals,
)
from schemas import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    AnnualFigures,
    AnnualMonth,
    AnnualReport,
    BudgetAdherence,
    CategoryChange,
    DebtType,
    GoalContributionTotal,
    LoanPayments,
    MonthlyReport,
    PaymentSplit,
    ReportContributions,
    ReportExpenses,
    ReportIncome,
    ReportPayments,
    StatsRange,
    TaxDeduction,
    TaxLoan,
    TaxSummary,
    quantize,
    responses,
    user_currency,
)
from security import CurrentUser, SettingsDep

router = APIRouter(prefix="/reports", tags=["reports"])
E401 = responses(401)
E422 = responses((422, "Invalid period, fiscal year or date range"))
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
FISCAL_YEAR_START_MONTH = 4  # the Indian fiscal year runs 1 April to 31 March
TAX_DISCLAIMER = (
    "Estimates for guidance; consult a tax adviser. They assume the old tax regime and a "
    "self-occupied home: the 24(b) and 80C caps apply per taxpayer across all home loans, the "
    "80C cap is shared with your other 80C investments, and co-borrowers each claim their own "
    "share. The new tax regime allows none of these deductions for a self-occupied home."
)

Month = Annotated[int | None, Query(ge=1, le=12)]
FiscalYear = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-\d{2}$", description="Indian fiscal year, April to March: 2024-25"),
]


# ---------------------------------------------------------------- shared figures


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole x 100, or None when there is nothing to compare against."""
    return None if whole == 0 else quantize(part * HUNDRED / whole)


def net_savings(income: Decimal, expenses: Decimal) -> Decimal:
    """What is left of the income after the expenses (negative when overspent)."""
    return quantize(income - expenses)


def savings_rate(income: Decimal, expenses: Decimal) -> Decimal | None:
    return percent(net_savings(income, expenses), income)


def change(current: Decimal, previous: Decimal) -> tuple[Decimal, Decimal | None]:
    """(absolute change, percent change); the percent is None after a month of 0."""
    return quantize(current - previous), percent(current - previous, previous)


def _money(value: Any) -> Decimal:
    # `$sum` answers Decimal over amounts, but the int 0 over nothing.
    return quantize(Decimal(str(value or 0)))


# ---------------------------------------------------------------- periods


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


def _last_day(year: int, month: int) -> date:
    next_year, next_month = _shift_month(year, month, 1)
    return date.fromordinal(date(next_year, next_month, 1).toordinal() - 1)


def report_month(year: int | None, month: int | None, tz: str) -> tuple[int, int]:
    """`?year=&month=` together, or neither for this month in the user's timezone."""
    if (year is None) != (month is None):
        raise Unprocessable("`year` and `month` go together", code="invalid_period")
    if year is None or month is None:
        today = local_date(now(), tz)
        return today.year, today.month
    return year, month


def fiscal_year(fy: str) -> int:
    """The first calendar year of "2024-25"; the second part must be the next year."""
    first, second = int(fy[:4]), int(fy[5:])
    if second != (first + 1) % 100 or not EARLIEST_YEAR <= first < LATEST_YEAR:
        raise Unprocessable(
            "A fiscal year is written like 2024-25 (April 2024 to March 2025)",
            code="invalid_fiscal_year",
        )
    return first


def current_fiscal_year(tz: str) -> int:
    today = local_date(now(), tz)
    return today.year if today.month >= FISCAL_YEAR_START_MONTH else today.year - 1


def fy_label(first_year: int) -> str:
    return f"{first_year}-{(first_year + 1) % 100:02d}"


def annual_span(year: int | None, fy: str | None, tz: str) -> tuple[StatsRange, str]:
    """`?year=` (January to December) or `?fy=` (April to March); neither: this year."""
    if year is not None and fy is not None:
        raise Unprocessable("Give either `year` or `fy`, not both", code="invalid_period")
    if fy is not None:
        first = fiscal_year(fy)
        span = StatsRange(start=date(first, 4, 1), end=date(first + 1, 3, 31))
        return span, f"FY {fy_label(first)}"
    year = year or local_date(now(), tz).year
    return StatsRange(start=date(year, 1, 1), end=date(year, 12, 31)), str(year)


def _month_of(field: str, tz: str) -> dict[str, Any]:
    return {"$dateToString": {"format": "%Y-%m", "date": field, "timezone": tz}}


# ---------------------------------------------------------------- aggregations


async def payment_totals(
    db: AsyncDatabase, user_id: ObjectId, start: datetime, end: datetime, key: Any
) -> list[Doc]:
    """Payments in [start, end) summed per `key` (the debt, or the month): one `$group` on
    (user_id, payment_date)."""
    pipeline = [
        {"$match": {"user_id": user_id, "payment_date": {"$gte": start, "$lt": end}}},
        {
            "$group": {
                "_id": key,
                "name": {"$max": "$debt_name"},
                "total": {"$sum": "$amount"},
                "interest": {"$sum": "$interest_component"},
                "principal": {"$sum": "$principal_component"},
                "count": {"$sum": 1},
            }
        },
    ]
    return await (await db.payments.aggregate(pipeline)).to_list(None)


async def contribution_totals(
    db: AsyncDatabase, user_id: ObjectId, start: datetime, end: datetime, key: Any
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
        total=sum((_money(r["total"]) for r in rows), ZERO),
        interest=sum((_money(r["interest"]) for r in rows), ZERO),
        principal=sum((_money(r["principal"]) for r in rows), ZERO),
        count=sum(r["count"] for r in rows),
    )


# ---------------------------------------------------------------- monthly


def _income_section(previous: Doc, current: Doc) -> ReportIncome:
    delta, delta_percent = change(current["total"], previous["total"])
    return ReportIncome(
        total=current["total"],
        count=current["count"],
        by_type=current["by"],
        previous_total=previous["total"],
        change=delta,
        change_percent=delta_percent,
    )


def _expense_section(previous: Doc, current: Doc) -> ReportExpenses:
    rows = []
    for category in sorted(current["by"].keys() | previous["by"].keys()):
        amount, before = current["by"].get(category, ZERO), previous["by"].get(category, ZERO)
        delta, delta_percent = change(amount, before)
        rows.append(
            CategoryChange(
                category=category,
                amount=amount,
                previous=before,
                change=delta,
                change_percent=delta_percent,
            )
        )
    rows.sort(key=lambda row: row.amount, reverse=True)  # stable: ties stay alphabetical
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
            total=_money(r["total"]),
            interest=_money(r["interest"]),
            principal=_money(r["principal"]),
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
            amount=_money(r["amount"]),
            count=r["count"],
        )
        for r in rows
    ]
    by_goal.sort(key=lambda goal: (-goal.amount, goal.title))
    return ReportContributions(
        total=sum((g.amount for g in by_goal), ZERO),
        count=sum(g.count for g in by_goal),
        by_goal=by_goal,
    )


def adherence(
    budgets: list[Doc], spend: dict[str, Decimal], year_month: tuple[int, int], currency: str
) -> BudgetAdherence:
    """The budgets' status that month, and how many stayed within (spent <= limit)."""
    status = status_of(budgets, spend, year_month, currency)
    over = sum(1 for item in status.items if item.spent > item.limit)
    return BudgetAdherence(**status.model_dump(), within=len(status.items) - over, over=over)


@router.get("/monthly", responses={**E401, **E422})
async def monthly_report(
    user: CurrentUser, db: Db, year: Year = None, month: Month = None
) -> MonthlyReport:
    """One month in your timezone (this month by default), compared with the month before."""
    tz, currency, uid = user_tz(user), user_currency(user), user["_id"]
    year, month = report_month(year, month, tz)
    previous = _shift_month(year, month, -1)
    # Both months in one bounded aggregation per collection: [previous start, month end).
    both = StatsRange(start=date(*previous, 1), end=_last_day(year, month))
    start, end = month_bounds(year, month, tz)
    income, expenses, payments, contributions, titles, budgets = await asyncio.gather(
        monthly_totals(db.income, uid, both, tz, "income_type"),
        monthly_totals(db.expenses, uid, both, tz, "category"),
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
        budgets=adherence(budgets, spent_now["by"], (year, month), currency),
        net_savings=net_savings(income_now["total"], spent_now["total"]),
        savings_rate=savings_rate(income_now["total"], spent_now["total"]),
    )


# ---------------------------------------------------------------- annual


def _figures(
    income: Doc, expenses: Doc, payments: list[Doc], contributed: Decimal
) -> dict[str, Any]:
    return {
        "income": income["total"],
        "income_by_type": income["by"],
        "expenses": expenses["total"],
        "expenses_by_category": expenses["by"],
        "payments": _split(payments),
        "goal_contributions": contributed,
        "net_savings": net_savings(income["total"], expenses["total"]),
        "savings_rate": savings_rate(income["total"], expenses["total"]),
    }


def _over_budget(budgets: list[Doc], spend: dict[str, Decimal]) -> list[str]:
    return [b["category"] for b in budgets if spend.get(b["category"], ZERO) > b["amount"]]


@router.get("/annual", responses={**E401, **E422})
async def annual_report(
    user: CurrentUser, db: Db, year: Year = None, fy: FiscalYear = None
) -> AnnualReport:
    """Each month of a calendar year (`year`) or Indian fiscal year (`fy=2024-25`), and totals."""
    tz, uid = user_tz(user), user["_id"]
    span, label = annual_span(year, fy, tz)
    start, end = start_of_day(span.start, tz), day_end(span.end, tz)
    income, expenses, payments, contributions, budgets = await asyncio.gather(
        monthly_totals(db.income, uid, span, tz, "income_type"),
        monthly_totals(db.expenses, uid, span, tz, "category"),
        payment_totals(db, uid, start, end, _month_of("$payment_date", tz)),
        contribution_totals(db, uid, start, end, _month_of("$date", tz)),
        active_budgets(db, uid),
    )
    paid = {r["_id"]: r for r in payments}
    contributed = {r["_id"]: _money(r["amount"]) for r in contributions}
    months = [
        AnnualMonth(
            month=key,
            budgets_over=_over_budget(budgets, spent["by"]),
            **_figures(
                earned, spent, [paid[key]] if key in paid else [], contributed.get(key, ZERO)
            ),
        )
        for key, earned, spent in zip(
            month_keys(span), income["months"], expenses["months"], strict=True
        )
    ]
    totals = _figures(income, expenses, payments, sum(contributed.values(), ZERO))
    return AnnualReport(
        period=label,
        start=span.start,
        end=span.end,
        currency=user_currency(user),
        timezone=tz,
        months=months,
        totals=AnnualFigures(**totals),
    )


# ---------------------------------------------------------------- tax summary

TAX_SECTIONS = {DebtType.home_loan: ["24(b)", "80C"], DebtType.education_loan: ["80E"]}


def _tax_loan(row: Doc, debt: Doc | None) -> TaxLoan:
    debt = debt or {}
    debt_type = DebtType(debt.get("debt_type", DebtType.other))
    return TaxLoan(
        debt_id=row["_id"],
        name=debt.get("name", row["name"]),
        debt_type=debt_type,
        bank_name=debt.get("bank_name"),
        interest_paid=_money(row["interest"]),
        principal_paid=_money(row["principal"]),
        total_paid=_money(row["total"]),
        payments_count=row["count"],
        sections=TAX_SECTIONS.get(debt_type, []),
    )


def _deduction(section: str, description: str, paid: Decimal, cap: Decimal | None) -> TaxDeduction:
    deductible = paid if cap is None else min(paid, quantize(cap))
    return TaxDeduction(
        section=section,
        description=description,
        paid=paid,
        cap=None if cap is None else quantize(cap),
        deductible=deductible,
    )


def deductions(loans: list[TaxLoan], cap_24b: Decimal, cap_80c: Decimal) -> list[TaxDeduction]:
    """Home-loan interest (24(b)) and principal (80C) against their caps, education-loan
    interest (80E, no cap). The caps are per taxpayer: all home loans share them."""
    home = [loan for loan in loans if loan.debt_type == DebtType.home_loan]
    education = [loan for loan in loans if loan.debt_type == DebtType.education_loan]
    return [
        _deduction(
            "24(b)",
            "Home-loan interest",
            sum((loan.interest_paid for loan in home), ZERO),
            cap_24b,
        ),
        _deduction(
            "80C",
            "Home-loan principal repaid",
            sum((loan.principal_paid for loan in home), ZERO),
            cap_80c,
        ),
        _deduction(
            "80E",
            "Education-loan interest (no cap)",
            sum((loan.interest_paid for loan in education), ZERO),
            None,
        ),
    ]


@router.get("/tax-summary", responses={**E401, **E422})
async def tax_summary(
    user: CurrentUser, db: Db, settings: SettingsDep, fy: FiscalYear = None
) -> TaxSummary:
    """Interest and principal repaid per loan in a fiscal year, and the deductions they allow."""
    tz, uid = user_tz(user), user["_id"]
    first = fiscal_year(fy) if fy is not None else current_fiscal_year(tz)
    label = fy_label(first)
    start, end = fiscal_year_bounds(label, tz)
    rows, debts = await asyncio.gather(
        payment_totals(db, uid, start, end, "$debt_id"),
        db.debts.find(
            {"user_id": uid}, projection={"name": 1, "debt_type": 1, "bank_name": 1}
        ).to_list(None),
    )
    by_id = {d["_id"]: d for d in debts}
    loans = sorted(
        (_tax_loan(row, by_id.get(row["_id"])) for row in rows),
        key=lambda loan: (loan.debt_type, loan.name),
    )
    found = deductions(loans, settings.tax_cap_24b, settings.tax_cap_80c)
    return TaxSummary(
        fy=label,
        start=date(first, 4, 1),
        end=date(first + 1, 3, 31),
        currency=user_currency(user),
        loans=loans,
        deductions=found,
        total_deductible=sum((d.deductible for d in found), ZERO),
        disclaimer=TAX_DISCLAIMER,
    )


# ---------------------------------------------------------------- CSV export

# OWASP "CSV injection": a spreadsheet runs a cell that starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_BATCH = 500  # documents per database round trip
CHUNK_BYTES = 64 * 1024  # flush the text buffer to the client at about this size


def safe_cell(value: Any) -> str:
    """Text for a CSV cell that no spreadsheet will execute as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _amount_cell(value: Decimal) -> str:
    return f"{quantize(value):.2f}"  # a plain number, never neutralised


def _tags_cell(doc: Doc) -> str:
    return safe_cell("; ".join(doc.get("tags") or []))


@dataclass(frozen=True)
class ExportKind:
    collection: str
    date_field: str
    header: tuple[str, ...]
    cells: Callable[[Doc, str], list[str]]  # (document, currency) -> the cells after the date


def _expense_cells(d: Doc, currency: str) -> list[str]:
    return [
        safe_cell(d["title"]),
        safe_cell(d["category"]),
        _amount_cell(d["amount"]),
        currency,
        _tags_cell(d),
        safe_cell(d.get("description")),
        str(d["_id"]),
    ]


def _income_cells(d: Doc, currency: str) -> list[str]:
    return [
        safe_cell(d["source"]),
        safe_cell(d["income_type"]),
        safe_cell(d["frequency"]),
        _amount_cell(d["amount"]),
        currency,
        _tags_cell(d),
        safe_cell(d.get("description")),
        str(d["_id"]),
    ]


def _payment_cells(d: Doc, currency: str) -> list[str]:
    return [
        safe_cell(d["debt_name"]),
        safe_cell(d["payment_type"]),
        safe_cell(d["payment_method"]),
        _amount_cell(d["amount"]),
        currency,
        _amount_cell(d["interest_component"]),
        _amount_cell(d["principal_component"]),
        _amount_cell(d["remaining_after"]),
        safe_cell(d.get("notes")),
        safe_cell(d["transaction_id"]),
        str(d["_id"]),
    ]


EXPORTS: dict[str, ExportKind] = {
    "expenses": ExportKind(
        "expenses",
        "date",
        (
            "date",
            "title",
            "category",
            "amount",
            "currency",
            "tags",
            "description",
            "id",
        ),
        _expense_cells,
    ),
    "income": ExportKind(
        "income",
        "date",
        (
            "date",
            "source",
            "income_type",
            "frequency",
            "amount",
            "currency",
            "tags",
            "description",
            "id",
        ),
        _income_cells,
    ),
    "payments": ExportKind(
        "payments",
        "payment_date",
        (
            "date",
            "debt_name",
            "payment_type",
            "payment_method",
            "amount",
            "currency",
            "interest",
            "principal",
            "remaining_after",
            "notes",
            "transaction_id",
            "id",
        ),
        _payment_cells,
    ),
}


def export_range(start: date | None, end: date | None, tz: str) -> tuple[date, date]:
    """`to` defaults to today; `from` to the first day of the 12th month back from `to`."""
    end = end or local_date(now(), tz)
    start = start or date(*_shift_month(end.year, end.month, -11), 1)
    return start, end


async def csv_rows(cursor: AsyncCursor, kind: str, tz: str, currency: str) -> AsyncIterator[bytes]:
    """The CSV as UTF-8 chunks: one batch of documents and one small text buffer in memory,
    whatever the number of rows."""
    spec = EXPORTS[kind]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(spec.header)
    try:
        async for doc in cursor:
            day = local_date(doc[spec.date_field], tz).isoformat()
            writer.writerow([day, *spec.cells(doc, currency)])
            if buffer.tell() >= CHUNK_BYTES:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()
    finally:
        await cursor.close()


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
    tz = user_tz(user)
    first, last = export_range(start, end, tz)
    bounds = date_filter(first, last, tz)["date"]  # also: `from` after `to` is a 422
    spec = EXPORTS[kind]
    cursor = (
        db[spec.collection]
        .find({"user_id": user["_id"], spec.date_field: bounds})
        .sort([(spec.date_field, 1), ("_id", 1)])
        .batch_size(EXPORT_BATCH)
    )
    filename = f"cleero-{kind}-{first.isoformat()}-to-{last.isoformat()}.{file_format}"
    return StreamingResponse(
        csv_rows(cursor, kind, tz, user_currency(user)),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
