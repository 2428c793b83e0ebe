"""Reports as assembled: a month against the month before, a calendar or fiscal year month by
month, the fiscal-year tax summary, and the CSV export. The queries of a report run
concurrently (`reports.store`, `ledger.store`); this folds their grouped rows into the
answer."""

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from config import Settings
from core.dates import (
    Period,
    as_day,
    fiscal_period,
    fiscal_year,
    month_bounds,
    month_end,
    parse_fiscal_year,
    report_month,
    shift_month,
    today,
)
from core.money import ZERO, from_sum, total
from database import Doc
from ledger.store import active_budgets, date_query, monthly_totals, status_of
from loans import tax
from loans.store import payment_totals
from reports import store as report_store
from reports.csv_export import EXPORTS, csv_rows
from reports.rules import annual_span, change, export_range, net_savings, savings_rate
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
    TaxSummary,
)
from security import User


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


async def monthly_report(
    db: AsyncDatabase, user: User, year: int | None, month: int | None
) -> MonthlyReport:
    """One month in the user's timezone (this month by default), against the month before."""
    tz, currency, uid = user.timezone, user.currency, user.id
    year, month = report_month(year, month, tz)
    previous = shift_month(year, month, -1)
    # Both months in one bounded aggregation per collection: [previous start, month end).
    both = Period(date(*previous, 1), month_end(year, month))
    start, end = month_bounds(year, month)
    income, expenses, paid, contributions, titles, budgets = await asyncio.gather(
        monthly_totals(db.income, uid, both, "income_type"),
        monthly_totals(db.expenses, uid, both, "category"),
        payment_totals(db, uid, start, end, "$debt_id"),
        report_store.contribution_totals(db, uid, start, end, "$goal_id"),
        report_store.goal_titles(db, uid),
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
        payments=_payment_section(paid),
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


async def annual_report(
    db: AsyncDatabase, user: User, year: int | None, fy: str | None
) -> AnnualReport:
    """Each month of a calendar year (`year`) or Indian fiscal year (`fy`), and totals."""
    tz, uid = user.timezone, user.id
    span, label = annual_span(year, fy, tz)
    start, end = span.bounds()
    income, expenses, paid_rows, contributions, budgets = await asyncio.gather(
        monthly_totals(db.income, uid, span, "income_type"),
        monthly_totals(db.expenses, uid, span, "category"),
        payment_totals(db, uid, start, end, report_store.month_of("$payment_date")),
        report_store.contribution_totals(db, uid, start, end, report_store.month_of("$date")),
        active_budgets(db, uid),
    )
    paid = {r["_id"]: r for r in paid_rows}
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
    totals = _figures(income, expenses, paid_rows, total(contributed.values()))
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


def _tax_loans(
    rows: list[Doc],
    inputs: list[tax.TaxLoanInput],
    debts: dict[ObjectId, Doc],
    result: tax.TaxResult,
) -> list[TaxLoan]:
    """Each loan repaid in the year with its payments and the sections that apply to it, by
    type, then name."""
    sections = {loan.loan_id: loan for loan in result.loans}
    loans = [
        TaxLoan(
            debt_id=row["_id"],
            name=found.name,
            debt_type=found.debt_type,
            bank_name=debts.get(row["_id"], {}).get("bank_name"),
            property_use=debts.get(row["_id"], {}).get("property_use"),
            sanctioned_on=found.sanctioned_on,
            interest_paid=found.interest_paid,
            principal_paid=found.principal_paid,
            total_paid=from_sum(row["total"]),
            payments_count=row["count"],
            sections=list(sections[found.loan_id].sections),
            notes=list(sections[found.loan_id].notes),
        )
        for row, found in zip(rows, inputs, strict=True)
    ]
    return sorted(loans, key=lambda loan: (loan.debt_type, loan.name))


def _deductions(result: tax.TaxResult) -> list[TaxDeduction]:
    return [
        TaxDeduction(
            **{k: v for k, v in d.__dict__.items() if k not in ("loan_ids", "notes")},
            debt_ids=list(d.loan_ids),
            notes=list(d.notes),
        )
        for d in result.deductions
    ]


async def tax_summary(
    db: AsyncDatabase,
    user: User,
    fy: str | None,
    regime: str | None,
    settings: Settings,
) -> TaxSummary:
    """Interest and principal repaid per loan in a fiscal year (this one by default), and the
    deductions they allow under that year's law and the regime (default: the profile's)."""
    first = parse_fiscal_year(fy) if fy is not None else fiscal_year(today(user.timezone))
    chosen = str(regime or (user.doc.get("profile") or {}).get("tax_regime") or "old")
    period = fiscal_period(first)
    start, end = period.bounds()
    rows, debts = await asyncio.gather(
        payment_totals(db, user.id, start, end, "$debt_id"), report_store.tax_debts(db, user.id)
    )
    inputs = [_tax_input(row, debts.get(row["_id"], {})) for row in rows]
    caps = tax.TaxCaps(
        settings.tax_cap_24b, settings.tax_cap_80c, settings.tax_cap_80eea, settings.tax_cap_set_off
    )
    result = tax.tax_summary(first, chosen, inputs, caps)
    return TaxSummary(
        fy=result.fy,
        label=result.label,
        law=result.law,
        regime=result.regime,
        start=period.start,
        end=period.end,
        currency=user.currency,
        loans=_tax_loans(rows, inputs, debts, result),
        deductions=_deductions(result),
        total_deductible=result.total_deductible,
        notes=list(result.notes),
    )


# ---------------------------------------------------------------- CSV export


def export(
    db: AsyncDatabase, user: User, kind: str, start: date | None, end: date | None, ext: str
) -> tuple[AsyncIterator[bytes], str]:
    """(the CSV's chunks, its file name): the user's expenses, income or payments between two
    days (default: the 12 months to today); `from` after `to` is a 422."""
    first, last = export_range(start, end, user.timezone)
    bounds = date_query(first, last)["date"]
    cursor = report_store.export_cursor(db, user.id, EXPORTS[kind], bounds)
    filename = f"cleero-{kind}-{first.isoformat()}-to-{last.isoformat()}.{ext}"
    return csv_rows(cursor, kind, user.currency), filename
