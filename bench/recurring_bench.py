"""Recurring detection and the cash-flow forecast on a 10-year history of 30,000 entries.

    python -m bench.recurring_bench            # or `make bench-recurring`

The API runs in this process (the ASGI app called directly, lifespan included) against
SecantusDB in its own process (in memory; `BENCH_MONGODB_URL` to use another server), as in
bench/reports_bench.py. One user, one account, ten years to today: 14 bills and a salary on
their schedules (rent, subscriptions, an electricity bill that varies, a quarterly premium, a
yearly renewal...) and the rest noise: 40 merchants at random days and amounts, 30,000
entries in all. Timed, BENCH_RUNS times each (median, fastest-slowest):

- full detection (`POST /api/recurring/detect`: the entries of the last 36 months, ~10,800
  of the 30,000), the first time (every item new) and again (nothing to write);
- incremental detection after an import: 60 entries of 3 payees stamped with an import id and
  their payees queued (as the commit's batches queue them), then one pass of the worker
  (`recurring.jobs.run_once`: detection of only the payees queued, read by `payee_key`);
- `GET /api/forecast?days=90` and `GET /api/accounts/{id}` (its starting balance), the month
  counters built first as the migration builds them (the entries were seeded directly).

Targets: detection ≤ 2 s, forecast ≤ 200 ms. Results: bench/results/recurring.md
(git-ignored); the committed copy of a run is bench/RESULTS-recurring.md.
"""

import asyncio
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from bson import Decimal128, ObjectId

from accounts import months
from bench.import_bench import signup
from bench.report import machine
from bench.reports_bench import running_app
from bench.seed import insert
from core.dates import today
from database import in_transaction
from ledger.store import entry_document
from recurring import jobs, store
from schemas import ExpenseCreate, IncomeCreate
from security import User

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
RESULTS = Path(__file__).resolve().parent / "results"
ENTRIES = 30_000
YEARS = 10
TARGETS = {
    "detection, first": 2.0,
    "detection, again": 2.0,
    "after an import": 2.0,
    "balance, 10 years of entries": None,
    "forecast, 90 days, 10 years of entries": 0.2,
    "balance, statement a month ago": None,
    "forecast, 90 days, statement a month ago": 0.2,
}
# (title, day of the month, months apart, amount low, amount high)
BILLS = [
    ("Rent", 1, 1, 25000, 25000),
    ("Netflix", 7, 1, 649, 649),
    ("Spotify", 11, 1, 119, 119),
    ("Airtel Broadband", 12, 1, 999, 999),
    ("Jio Postpaid", 15, 1, 399, 399),
    ("BESCOM Electricity", 20, 1, 1800, 2400),
    ("Water Board", 22, 1, 300, 420),
    ("Zerodha SIP", 5, 1, 5000, 5000),
    ("Gym", 3, 1, 1500, 1500),
    ("Maid", 2, 1, 4000, 4000),
    ("LIC Premium", 15, 3, 12000, 12000),
    ("Car Insurance", 9, 12, 14000, 14000),
    ("Namecheap Domain", 3, 12, 1200, 1200),
    ("School Fees", 10, 6, 45000, 45000),
]
# Merchants named by letters: digits don't tell payees apart ("Shop 1" and "Shop 2" are one).
NOISE = [f"Shop {chr(65 + n // 8)}{chr(65 + n % 8)}" for n in range(40)]


def monthly(start: date, end: date, day: int, every: int) -> Iterator[date]:
    year, month = start.year, start.month
    while (when := date(year, month, min(day, 28))) <= end:
        if when >= start:
            yield when
        month += every
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1


def history(user_id: ObjectId, account_id: ObjectId, end: date) -> tuple[list, list]:
    """The user's expenses and income: the bills and salary on schedule, then noise up to
    ENTRIES in all."""
    rng = random.Random(2026)
    start = end - timedelta(days=365 * YEARS)
    at = datetime.now(UTC)
    rows = [
        (title, when, Decimal(rng.randint(low, high)))
        for title, day, every, low, high in BILLS
        for when in monthly(start, end, day, every)
    ]
    salary = [("Acme Salary", when, Decimal(150000)) for when in monthly(start, end, 28, 1)]
    span = (end - start).days
    while len(rows) + len(salary) < ENTRIES:
        when = start + timedelta(days=rng.randrange(span))
        rows.append((rng.choice(NOISE), when, Decimal(rng.randint(100, 5000))))
    mine = {"account_id": account_id}
    expenses = [
        entry_document(ExpenseCreate(title=t, category="bills", amount=a), user_id, d, at) | mine
        for t, d, a in rows
    ]
    income = [
        entry_document(IncomeCreate(source=t, amount=a, income_type="salary"), user_id, d, at)
        | mine
        for t, d, a in salary
    ]
    return expenses, income


async def timed(step: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = await step()
    return time.perf_counter() - started, answer


async def one_run(app: Any, client: httpx.AsyncClient, n: int) -> dict[str, float]:
    headers = await signup(client, n)
    r = await client.post("/api/accounts", headers=headers, json={"name": "Bench savings"})
    r.raise_for_status()
    account_id = ObjectId(r.json()["id"])
    db = app.state.db
    user = User.from_doc(await db.users.find_one({"email": {"$regex": f"^bench-{n}-"}}))
    expenses, income = history(user.id, account_id, today(user.timezone))
    await insert(db, "expenses", expenses)
    await insert(db, "income", income)

    async def detect() -> Any:
        r = await client.post("/api/recurring/detect", headers=headers, timeout=600)
        r.raise_for_status()
        return r.json()

    first_s, first = await timed(detect)
    assert first["new"] == len(BILLS) + 1, first  # the bills and the salary; no merchant
    again_s, _ = await timed(detect)
    import_id = ObjectId()
    touched = [  # the last 20 of each of three payees, again
        doc | {"_id": ObjectId(), "import_id": import_id}
        for title in ("Netflix", "Rent", NOISE[1])
        for doc in [doc for doc in expenses if doc["title"] == title][-20:]
    ]
    await insert(db, "expenses", touched)
    # Seeded behind the API's back: the month counters built as the migration builds them.
    await months.rebuild(db, user.id)
    payees = await store.payees_of(db, user.id, import_id)
    await in_transaction(db, lambda session: store.queue_payees(db, user.id, payees, session))
    after_s, ran = await timed(lambda: jobs.run_once(db))
    assert ran == 1 and len(payees) == 3, (ran, payees)

    return {
        "detection, first": first_s,
        "detection, again": again_s,
        "after an import": after_s,
    } | await forecast_times(client, headers, db, user.id, account_id)


async def forecast_times(
    client: httpx.AsyncClient, headers: dict, db: Any, user_id: ObjectId, account_id: ObjectId
) -> dict[str, float]:
    """The forecast, and the account's balance alone (which it starts from): first over ten
    years of entries (an account without statements: whole months from the month counters,
    the partial ones summed), then from a statement whose closing balance is a month old
    (an imported account)."""

    async def read(path: str, **params: Any) -> float:
        await client.get(path, headers=headers, params=params)  # warm-up
        seconds, r = await timed(lambda: client.get(path, headers=headers, params=params))
        r.raise_for_status()
        return seconds

    account = f"/api/accounts/{account_id}"
    times = {"balance, 10 years of entries": await read(account)}
    times["forecast, 90 days, 10 years of entries"] = await read("/api/forecast", days=90)
    ended = datetime.combine(date.today() - timedelta(days=30), datetime.min.time(), UTC)
    statement = {
        "user_id": user_id,
        "account_id": account_id,
        "status": "committed",
        "closing_balance": Decimal128("100000.00"),
        "period": {"from": ended - timedelta(days=30), "to": ended},
    }
    await db.imports.insert_one(statement)
    times["balance, statement a month ago"] = await read(account)
    times["forecast, 90 days, statement a month ago"] = await read("/api/forecast", days=90)
    return times


async def main() -> None:
    load = os.getloadavg()[0]
    runs = []
    async with running_app() as (app, _):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for n in range(RUNS):
                runs.append(await one_run(app, client, n))
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; SecantusDB in memory; "
        f"{ENTRIES:,} entries over {YEARS} years ({len(BILLS)} bills and a salary, the rest "
        f"{len(NOISE)} merchants at random); {RUNS} runs, each on a new user; load average "
        f"(1 min) {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| step | median | fastest–slowest | target |",
        "|---|---|---|---|",
    ]
    for step, target in TARGETS.items():
        times = [run[step] * 1000 for run in runs]
        goal = "—" if target is None else f"≤ {target * 1000:.0f} ms"
        lines.append(
            f"| {step} | {statistics.median(times):.0f} ms | {min(times):.0f}–{max(times):.0f} "
            f"ms | {goal} |"
        )
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "recurring.md").write_text(text + "\n")


if __name__ == "__main__":
    asyncio.run(main())
