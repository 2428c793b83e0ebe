"""The dashboard and the reports: a month, a year, the fiscal-year tax summary."""

from datetime import date
from enum import StrEnum

from schemas.base import ResponseModel
from schemas.cards import DashboardCards
from schemas.debts import DebtType, DueDebt, PropertyUse
from schemas.entries import BudgetStatus
from schemas.goals import GoalOut
from schemas.recurring import LowPoint, UpcomingBill
from schemas.types import Amount, DayOut, ObjectIdStr, Percent


class TransactionKind(StrEnum):
    income = "income"
    expense = "expense"
    payment = "payment"


class Transaction(ResponseModel):
    """One entry of the merged feed of income, expenses and debt payments."""

    id: ObjectIdStr
    kind: TransactionKind
    title: str  # the expense's title, the income's source, or the debt's name
    category: str  # the expense's category, the income type, or the payment type
    amount: Amount  # a refund (an expense with `refund: true`) is negative: money back
    date: DayOut


class DashboardDebt(ResponseModel):
    active_debts: int
    total_remaining: Amount  # outstanding principal of active debts
    total_monthly_emi: Amount  # sum of the active debts' EMIs
    debt_to_income: Percent | None  # total_monthly_emi / this month's income x 100 (null: none)


class DashboardOut(ResponseModel):
    month: str  # "YYYY-MM", this month in the user's timezone
    currency: str
    income: Amount
    expenses: Amount
    savings: Amount  # income - expenses; negative when overspent
    savings_rate: Percent | None  # savings / income x 100; null without income
    debt: DashboardDebt
    upcoming_payments: list[DueDebt]  # the next five due payments of active debts, overdue first
    budgets: BudgetStatus
    goals: list[GoalOut]  # active goals, soonest target date first (at most 20)
    unread_notifications: int
    recent_transactions: list[Transaction]  # the last ten, newest first
    cards: DashboardCards  # the credit cards' outstanding, next due and utilisation
    upcoming_bills: list[UpcomingBill]  # the next ten unpaid bills within 30 days, soonest first
    lowest_balance: LowPoint  # the lowest projected balance of all accounts within 30 days


class CategoryChange(ResponseModel):
    category: str
    total: Amount
    previous_total: Amount  # the same category in the previous month
    change: Amount  # total - previous_total
    change_percent: Percent | None  # null when the previous month was 0


class ReportIncome(ResponseModel):
    total: Amount
    count: int
    by_type: dict[str, Amount]
    previous_total: Amount
    change: Amount
    change_percent: Percent | None


class ReportExpenses(ResponseModel):
    total: Amount
    count: int
    by_category: list[CategoryChange]  # largest first; categories of either month
    previous_total: Amount
    change: Amount
    change_percent: Percent | None


class PaymentSplit(ResponseModel):
    total: Amount
    interest: Amount
    principal: Amount
    count: int


class LoanPayments(PaymentSplit):
    debt_id: ObjectIdStr
    name: str


class ReportPayments(PaymentSplit):
    by_debt: list[LoanPayments]


class GoalContributionTotal(ResponseModel):
    goal_id: ObjectIdStr
    title: str
    total: Amount
    count: int


class ReportContributions(ResponseModel):
    total: Amount
    count: int
    by_goal: list[GoalContributionTotal]


class BudgetAdherence(BudgetStatus):
    within: int  # budgets whose spend is at most the limit
    over: int  # budgets whose spend is above the limit


class MonthlyReport(ResponseModel):
    month: str  # "YYYY-MM" in the user's timezone
    previous_month: str
    currency: str
    timezone: str
    income: ReportIncome
    expenses: ReportExpenses
    payments: ReportPayments  # EMIs and prepayments, split into interest and principal
    goal_contributions: ReportContributions
    budgets: BudgetAdherence  # the active budgets' limits against that month's spend
    net_savings: Amount  # income - expenses
    savings_rate: Percent | None


class AnnualFigures(ResponseModel):
    income: Amount
    income_by_type: dict[str, Amount]
    expenses: Amount
    expenses_by_category: dict[str, Amount]
    payments: PaymentSplit
    goal_contributions: Amount
    net_savings: Amount
    savings_rate: Percent | None


class AnnualMonth(AnnualFigures):
    month: str  # "YYYY-MM"
    budgets_over: list[str]  # categories whose spend that month exceeded their active budget


class AnnualReport(ResponseModel):
    period: str  # "2024" or "FY 2024-25"
    start: date  # inclusive, the user's calendar
    end: date  # inclusive
    currency: str
    timezone: str
    months: list[AnnualMonth]  # 12, in calendar order
    totals: AnnualFigures


class TaxRegime(StrEnum):
    old = "old"
    new = "new"


class TaxLoan(ResponseModel):
    debt_id: ObjectIdStr
    name: str
    debt_type: DebtType
    bank_name: str | None = None
    property_use: PropertyUse | None = None
    sanctioned_on: DayOut | None = None
    interest_paid: Amount  # in the fiscal year, at the rates that applied
    principal_paid: Amount  # prepayments included
    total_paid: Amount
    payments_count: int
    sections: list[str]  # the sections it counts under, by the law of that year and regime
    notes: list[str]


class TaxDeduction(ResponseModel):
    key: str  # stable: self_occupied_interest, principal, education_interest, ...
    section: str  # "24(b)", "80C", ... up to FY 2025-26; "22(1)(b)", "123", ... from 2026-27
    law: str  # "Income-tax Act, 1961" or "Income-tax Act, 2025"
    description: str
    paid: Amount  # what the rule applies to, across the loans it covers
    cap: Amount | None  # per taxpayer; null: no cap; 0: not allowed in this regime
    deductible: Amount
    counts_in_total: bool  # false where another line already carries the amount
    debt_ids: list[ObjectIdStr]
    notes: list[str]


class TaxSummary(ResponseModel):
    fy: str  # "2025-26"
    label: str  # "FY 2025-26" (1961 Act) or "tax year 2026-27" (2025 Act)
    law: str
    regime: TaxRegime
    start: DayOut  # 1 April
    end: DayOut  # 31 March
    currency: str
    loans: list[TaxLoan]  # loans with payments in the year
    deductions: list[TaxDeduction]
    total_deductible: Amount
    notes: list[str]  # what the app cannot know, and the caps' sources
