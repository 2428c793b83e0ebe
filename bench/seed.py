"""Every benchmark's data, in the shapes the routes store.

Few, small things (users, debts, budgets, goals, payments, contributions, the load
benchmark's income) go through the API, so they are exactly what the routes write, debts'
sums and notifications included. The bulk (thousands of expenses, the reports benchmark's
income) is inserted straight into the database, built by the routes' own
`ledger.entry_document`: through HTTP, 100,000 expenses would take the better part of an hour.
"""

import itertools
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import jwt
from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database

from bench.config import Config
from core.dates import DEFAULT_TZ, local_date, now_ms, to_millis, today
from core.money import quantize
from core.sync import RESOURCE_OF
from database import Doc
from ledger.store import entry_document
from schemas import ExpenseCreate, IncomeCreate, IncomeType

TZ = DEFAULT_TZ  # every seeded user's timezone: signup's default
PASSWORD = "BenchPass123!"
BATCH = 5000  # SecantusDB inserts about 8,000 documents a second in batches this size
CATEGORIES = ("food", "groceries", "transport", "fuel", "utilities", "rent", "shopping", "health")
DEBT_TYPES = ("home_loan", "car_loan", "personal_loan", "education_loan", "credit_card")
AFTER: dict[str, Any] = {"upsert": True, "return_document": ReturnDocument.AFTER}


# ---------------------------------------------------------------- users


@dataclass
class BenchUser:
    id: str
    email: str
    token: str
    debt_ids: list[str] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def sid(self) -> str:
        """The token's session id, for the bare side's copy of the auth lookups."""
        return jwt.decode(self.token, options={"verify_signature": False})["sid"]


def signup_body(label: str) -> dict[str, str]:
    email = f"{label}-{uuid.uuid4().hex[:8]}@bench.example.com"
    return {"email": email, "password": PASSWORD, "full_name": "Bench User"}


def bench_user(body: dict[str, str], response: httpx.Response) -> BenchUser:
    response.raise_for_status()
    tokens = response.json()
    return BenchUser(tokens["user"]["id"], body["email"], tokens["access_token"])


def signup(http: httpx.Client, api: str, label: str) -> BenchUser:
    body = signup_body(label)
    return bench_user(body, http.post(f"{api}/api/auth/signup", json=body))


# ---------------------------------------------------------------- bulk documents


def evenly(count: int, start: datetime, end: datetime) -> list[datetime]:
    """`count` instants spread evenly over [start, end), to the millisecond like every stored
    instant."""
    step = (end - start) / max(count, 1)
    return [to_millis(start + step * i) for i in range(count)]


def at_random(count: int, end: datetime, days: int, rng: random.Random) -> list[datetime]:
    """`count` instants spread uniformly at random over (end - days, end]."""
    span_ms = days * 24 * 3600 * 1000
    return [end - timedelta(milliseconds=rng.randrange(1, span_ms)) for _ in range(count)]


def random_amount(rng: random.Random, low: int, high: int) -> Decimal:
    return quantize(Decimal(rng.randrange(low * 100, high * 100)) / 100)


def sawtooth_amounts() -> Iterator[Decimal]:
    """A repeating spread of amounts, 10.50 to 4,009.50."""
    for i in itertools.count():
        yield Decimal(f"{(i * 37) % 4000 + 10}.50")


def expense_docs(
    user_id: ObjectId, instants: Iterable[datetime], amounts: Iterable[Decimal]
) -> Iterator[Doc]:
    """Expenses as `POST /api/expenses` stores them: each dated its instant's day in the
    user's timezone and created at that instant; the categories in turn."""
    for i, (at, amount) in enumerate(zip(instants, amounts, strict=False)):
        body = ExpenseCreate(
            title=f"Expense {i}",
            category=CATEGORIES[i % len(CATEGORIES)],
            amount=amount,
            tags=["bench"] if i % 5 == 0 else [],
        )
        yield entry_document(body, user_id, local_date(at, TZ), at)


def income_docs(
    user_id: ObjectId, instants: Iterable[datetime], rng: random.Random
) -> Iterator[Doc]:
    types = list(IncomeType)
    for i, at in enumerate(instants):
        body = IncomeCreate(
            source=f"Source {i % 7}",
            amount=random_amount(rng, 1000, 90000),
            income_type=types[i % len(types)],
        )
        yield entry_document(body, user_id, local_date(at, TZ), at)


# The version each document takes from its user's change counter, as the routes' writes do
# (core/sync.py): the counter moved on by the user's documents in the batch, in one `$inc`.
def _counter(user_id: ObjectId, n: int) -> tuple[Doc, Doc]:
    return {"_id": user_id, "user_id": user_id}, {"$inc": {"seq": n}}


def _per_user(collection: str, batch: list[Doc]) -> dict[ObjectId, list[Doc]]:
    if collection not in RESOURCE_OF:
        return {}
    mine: dict[ObjectId, list[Doc]] = {}
    for doc in batch:
        mine.setdefault(doc["user_id"], []).append(doc)
    return mine


def _number(docs: list[Doc], state: Doc) -> None:
    for seq, doc in enumerate(docs, start=state["seq"] - len(docs) + 1):
        doc["sync_seq"] = seq


def insert_many(db: Database, collection: str, docs: Iterable[Doc]) -> int:
    """Insert in batches (PyMongo), never holding more than one batch of documents."""
    count, batch = 0, []

    def flush() -> None:
        for user_id, mine in _per_user(collection, batch).items():
            _number(mine, db.sync_state.find_one_and_update(*_counter(user_id, len(mine)), **AFTER))
        db[collection].insert_many(batch, ordered=False)

    for doc in docs:
        batch.append(doc)
        if len(batch) == BATCH:
            flush()
            count, batch = count + len(batch), []
    if batch:
        flush()
    return count + len(batch)


async def insert(db: AsyncDatabase, collection: str, docs: Iterable[Doc]) -> int:
    """`insert_many` for the async client."""
    count, batch = 0, []

    async def flush() -> None:
        for user_id, mine in _per_user(collection, batch).items():
            counter = db.sync_state.find_one_and_update(*_counter(user_id, len(mine)), **AFTER)
            _number(mine, await counter)
        await db[collection].insert_many(batch, ordered=False)

    for doc in docs:
        batch.append(doc)
        if len(batch) == BATCH:
            await flush()
            count, batch = count + len(batch), []
    if batch:
        await flush()
    return count + len(batch)


# ---------------------------------------------------------------- request bodies


def past_days(count: int, days: int) -> list[date]:
    """`count` calendar days (the user's) spread evenly over the last `days` days."""
    first = today(TZ) - timedelta(days=days)
    return [first + timedelta(days=days * i // max(count, 1) + 1) for i in range(count)]


def payment_body(debt_id: str, amount: Decimal | int, kind: str, day: date) -> dict[str, Any]:
    return {
        "debt_id": debt_id,
        "amount": str(amount),
        "payment_type": kind,
        "payment_method": "upi" if kind == "prepayment" else "auto_debit",
        "payment_date": day.isoformat(),
    }


# ---------------------------------------------------------------- the load benchmark's users

LOAD_BUDGETED = ("food", "groceries", "transport")


def seed_load_user(
    http: httpx.Client, api: str, db: Database, user: BenchUser, cfg: Config
) -> None:
    """Debts, budgets, goals, income and payments through the API; expenses straight in."""

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = http.post(f"{api}{path}", json=body, headers=user.auth)
        response.raise_for_status()
        return response.json()

    for i in range(cfg.debts):
        debt = {
            "name": f"Loan {i}",
            "debt_type": "home_loan" if i % 2 else "personal_loan",
            "principal": 1_000_000_000,  # large: the POST /payments run never pays one off
            "interest_rate": 8.5,
            "tenure_months": 240,
            "start_date": "2024-01-15",
        }
        user.debt_ids.append(post("/api/debts", debt)["id"])
    for category in LOAD_BUDGETED:  # limits no run reaches: an expense checks, never alerts
        post("/api/budgets", {"category": category, "monthly_limit": 1_000_000_000})
    for i in range(3):
        post(
            "/api/goals",
            {"title": f"Goal {i}", "target_amount": 500_000, "target_date": "2030-12-31"},
        )
    for months_ago in range(12):
        day = today(TZ) - timedelta(days=30 * months_ago)
        income = {"source": "Salary", "amount": 150_000, "income_type": "salary"}
        post("/api/income", income | {"date": day.isoformat()})
    # Prepayments over the past year, every debt in turn.
    for i, day in enumerate(past_days(cfg.payments, 365)):
        debt_id = user.debt_ids[i % len(user.debt_ids)]
        post("/api/payments", payment_body(debt_id, 1000, "prepayment", day))
    now = now_ms()
    instants = evenly(cfg.expenses, now - timedelta(days=365), now)
    insert_many(db, "expenses", expense_docs(ObjectId(user.id), instants, sawtooth_amounts()))


def seed_load(api: str, db: Database, cfg: Config) -> list[BenchUser]:
    users = []
    with httpx.Client(timeout=60) as http:
        for i in range(cfg.users):
            user = signup(http, api, f"load{i}")
            seed_load_user(http, api, db, user, cfg)
            users.append(user)
    return users


# ---------------------------------------------------------------- the reports benchmark's users

REPORTS_BUDGETED = ("food", "groceries", "transport", "utilities", "shopping")


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


def debt_bodies(size: Size) -> list[dict[str, Any]]:
    """Loans long enough (10 to 19 years) that the seeded EMIs, a hundred per debt for the
    large user, never pay one off."""
    return [
        {
            "name": f"Loan {i + 1}",
            "debt_type": DEBT_TYPES[i % len(DEBT_TYPES)],
            "principal": 100000 * (i + 1),
            "interest_rate": 8 + i % 10,
            "tenure_months": 120 + 12 * (i % 10),
            "start_date": f"2024-01-{i % 28 + 1:02d}",
        }
        for i in range(size.debts)
    ]


def budget_bodies() -> list[dict[str, Any]]:
    return [
        {"category": c, "monthly_limit": 50000 + 10000 * i} for i, c in enumerate(REPORTS_BUDGETED)
    ]


def goal_bodies() -> list[dict[str, Any]]:
    return [
        {"title": title, "target_amount": target, "target_date": "2030-12-31"}
        for title, target in (("Emergency fund", 600000), ("House", 2500000), ("Trip", 200000))
    ]


def emi_bodies(debts: list[dict[str, Any]], size: Size) -> list[dict[str, Any]]:
    """Each debt's EMI in turn, over the period (the route splits interest and principal)."""
    days = past_days(size.payments, size.days)
    return [
        payment_body(debts[i % len(debts)]["id"], debts[i % len(debts)]["monthly_emi"], "emi", day)
        for i, day in enumerate(days)
    ]


def contribution_bodies(size: Size, rng: random.Random) -> list[dict[str, Any]]:
    """Small enough (500 to 2,000 each, a third to each goal) that no goal completes."""
    return [
        {"amount": str(random_amount(rng, 500, 2000)), "date": day.isoformat()}
        for day in past_days(size.contributions, size.days)
    ]
