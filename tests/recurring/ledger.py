"""An 18-month household ledger with known bills, built for the recurring tests: every entry
listed, so each expected figure is computed from these lists beside the assertion."""

import calendar
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bson import ObjectId

from ledger.store import entry_document
from schemas import ExpenseCreate, IncomeCreate

TODAY = date(2026, 6, 10)  # a Wednesday; the clock is set to it (IST midday)
NOW = datetime(2026, 6, 10, 6, 30, tzinfo=UTC)
FIRST_MONTH = (2024, 12)
MONTHS = 19  # December 2024 to June 2026 (June's entries only up to TODAY)


def months() -> list[tuple[int, int]]:
    year, month = FIRST_MONTH
    out = []
    for _ in range(MONTHS):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def last_working_day(year: int, month: int) -> date:
    day = date(year, month, calendar.monthrange(year, month)[1])
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


@dataclass
class Ledger:
    expenses: list[tuple[str, date, Decimal]] = field(default_factory=list)
    income: list[tuple[str, date, Decimal]] = field(default_factory=list)

    def of(self, title: str) -> list[tuple[date, Decimal]]:
        return [(d, a) for t, d, a in self.expenses + self.income if t == title]


NETFLIX_OFFSETS = [0, 1, -1, 0, 1, 0, -1, 0, 0, 1, -1, 0, 1, 0, -1, 0, 1, 0, 0]
ELECTRICITY_DAYS = [20, 18, 22, 21, 19, 20]
INSURANCE_MONTHS = (1, 4, 7, 10)


def build() -> Ledger:
    """The ledger up to TODAY: rent on the 1st, Netflix on the 7th ± 1 (649, then 799 from
    the 15th month), electricity 1,800-2,400 around the 20th, broadband on the 12th (June's
    paid early, on the 10th), a SIP on the 5th, insurance each quarter on the 15th, a domain
    each 3 March, salary on the last working day; noise: food delivery 3-4 times a week and
    groceries every 4-11 days at amounts all over the place."""
    rng = random.Random(23)
    book = Ledger()
    for n, (year, month) in enumerate(months()):
        book.expenses.append(("Rent", date(year, month, 1), Decimal("25000")))
        price = Decimal("649") if n < 14 else Decimal("799")
        book.expenses.append(("NETFLIX.COM", date(year, month, 7 + NETFLIX_OFFSETS[n]), price))
        book.expenses.append(("Zerodha SIP", date(year, month, 5), Decimal("5000")))
        broadband_day = 10 if (year, month) == (TODAY.year, TODAY.month) else 12
        book.expenses.append(("Airtel Broadband", date(year, month, broadband_day), Decimal("999")))
        if (year, month) < (TODAY.year, TODAY.month):
            amount = Decimal(1800 + rng.randrange(0, 601))
            day = ELECTRICITY_DAYS[n % len(ELECTRICITY_DAYS)]
            book.expenses.append(("BESCOM Electricity", date(year, month, day), amount))
            book.income.append(
                ("Acme Corp Salary", last_working_day(year, month), Decimal("150000"))
            )
        if month in INSURANCE_MONTHS:
            book.expenses.append(("LIC Premium", date(year, month, 15), Decimal("12000")))
        if month == 3:
            book.expenses.append(("Namecheap Domain", date(year, month, 3), Decimal("1200")))
    day = date(*FIRST_MONTH, 1)
    while day <= TODAY:
        if rng.random() < 0.5:
            book.expenses.append(("Swiggy", day, Decimal(rng.randrange(180, 900))))
        day += timedelta(days=1)
    day = date(*FIRST_MONTH, 2)
    while day <= TODAY:
        book.expenses.append(("BigBasket", day, Decimal(rng.randrange(400, 4000))))
        day += timedelta(days=rng.randrange(4, 12))
    return book


def documents(book: Ledger, user_id: str, account_id: str) -> tuple[list[dict], list[dict]]:
    """The ledger as stored entries of the account (as POST /api/expenses stores them)."""
    uid, aid = ObjectId(user_id), ObjectId(account_id)
    expenses = [
        entry_document(ExpenseCreate(title=t, category="bills", amount=a), uid, d, NOW)
        | {"account_id": aid}
        for t, d, a in book.expenses
    ]
    income = [
        entry_document(IncomeCreate(source=t, amount=a, income_type="salary"), uid, d, NOW)
        | {"account_id": aid}
        for t, d, a in book.income
    ]
    return expenses, income
