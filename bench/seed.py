"""Bulk data for the reports benchmark, written straight to the database in the shapes the
routes store (each request model's dump plus the fields the route adds), in batches.

Debts, budgets and goals are few and go through the API (so they are exactly what the routes
write); the thousands of expenses, income records, payments and contributions are inserted
directly: through HTTP, 100,000 expenses would take the better part of an hour.
"""

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from ledger import entry_document
from money import quantize
from schemas import ExpenseCreate, IncomeCreate, IncomeType

BATCH = 5000  # SecantusDB inserts about 8,000 documents a second in batches this size
CATEGORIES = ("food", "groceries", "transport", "fuel", "utilities", "rent", "shopping", "health")
BUDGETED = ("food", "groceries", "transport", "utilities", "shopping")
DEBT_TYPES = ("home_loan", "car_loan", "personal_loan", "education_loan", "credit_card")


@dataclass(frozen=True)
class Size:
    """How much one seeded user has, spread evenly over the last `days` days."""

    label: str
    expenses: int
    income: int
    debts: int
    payments: int
    contributions: int
    days: int

    @property
    def records(self) -> int:
        return self.expenses + self.income + self.debts + self.payments + self.contributions


# The sizes. The small user's 100 records span 90 days, so that, like the large
# user, it has ten transactions within the last 31 days (the dashboard's first window).
LARGE = Size(
    "large", expenses=100_000, income=5_000, debts=20, payments=2_000, contributions=240, days=365
)
SMALL = Size("small", expenses=66, income=20, debts=2, payments=10, contributions=2, days=90)


def _instants(count: int, end: datetime, days: int, rng: random.Random) -> list[datetime]:
    """`count` instants spread uniformly at random over (end - days, end], to the millisecond
    like every stored date."""
    span_ms = days * 24 * 3600 * 1000
    return [end - timedelta(milliseconds=rng.randrange(1, span_ms)) for _ in range(count)]


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    return quantize(Decimal(rng.randrange(low * 100, high * 100)) / 100)


def expense_docs(
    user_id: ObjectId, size: Size, end: datetime, rng: random.Random
) -> Iterator[dict]:
    for i, at in enumerate(_instants(size.expenses, end, size.days, rng)):
        body = ExpenseCreate(
            title=f"Expense {i}",
            category=CATEGORIES[i % len(CATEGORIES)],
            amount=_amount(rng, 10, 4000),
            tags=["bench"] if i % 5 == 0 else [],
        )
        yield entry_document(body, user_id, at, at)


def income_docs(user_id: ObjectId, size: Size, end: datetime, rng: random.Random) -> Iterator[dict]:
    types = list(IncomeType)
    for i, at in enumerate(_instants(size.income, end, size.days, rng)):
        body = IncomeCreate(
            source=f"Source {i % 7}", amount=_amount(rng, 1000, 90000), income_type=types[i % 8]
        )
        yield entry_document(body, user_id, at, at)


def payment_docs(
    user_id: ObjectId, debts: list[dict], size: Size, end: datetime, rng: random.Random
) -> Iterator[dict]:
    """Payments as `routes.payments.record_payment` stores them. The split is a plausible
    one (1 % interest), not replayed against each debt: only the shape and volume matter here."""
    for i, at in enumerate(_instants(size.payments, end, size.days, rng)):
        debt = debts[i % len(debts)]
        amount = Decimal(str(debt["monthly_emi"]))
        interest = quantize(amount * Decimal("0.4"))
        yield {
            "user_id": user_id,
            "debt_id": ObjectId(debt["id"]),
            "debt_name": debt["name"],
            "amount": amount,
            "payment_date": at,
            "payment_type": "emi",
            "payment_method": "auto_debit",
            "notes": None,
            "interest_component": interest,
            "principal_component": amount - interest,
            "remaining_after": Decimal(str(debt["remaining_amount"])),
            "transaction_id": str(uuid.uuid4()),
            "created_at": at,
        }


def contribution_docs(
    user_id: ObjectId, goals: list[dict], size: Size, end: datetime, rng: random.Random
) -> Iterator[dict]:
    for i, at in enumerate(_instants(size.contributions, end, size.days, rng)):
        yield {
            "user_id": user_id,
            "goal_id": ObjectId(goals[i % len(goals)]["id"]),
            "amount": _amount(rng, 500, 5000),
            "date": at,
            "note": None,
            "created_at": at,
        }


async def insert(db: AsyncDatabase, collection: str, docs: Iterator[dict]) -> int:
    """Insert in batches, never holding more than one batch of documents."""
    count, batch = 0, []
    for doc in docs:
        batch.append(doc)
        if len(batch) == BATCH:
            await db[collection].insert_many(batch, ordered=False)
            count, batch = count + len(batch), []
    if batch:
        await db[collection].insert_many(batch, ordered=False)
        count += len(batch)
    return count


def debt_bodies(size: Size) -> list[dict[str, Any]]:
    return [
        {
            "name": f"Loan {i + 1}",
            "debt_type": DEBT_TYPES[i % len(DEBT_TYPES)],
            "principal": 100000 * (i + 1),
            "interest_rate": 8 + i % 10,
            "tenure_months": 60 + 12 * (i % 15),
            "start_date": f"2024-01-{i % 28 + 1:02d}",
        }
        for i in range(size.debts)
    ]


def budget_bodies() -> list[dict[str, Any]]:
    return [{"category": c, "amount": 50000 + 10000 * i} for i, c in enumerate(BUDGETED)]


def goal_bodies() -> list[dict[str, Any]]:
    return [
        {"title": title, "target_amount": target, "target_date": "2030-12-31"}
        for title, target in (("Emergency fund", 600000), ("House", 2500000), ("Trip", 200000))
    ]
