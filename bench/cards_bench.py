"""`GET /api/accounts/{id}/card` and `/statements` for a card with 1k and 10k purchases, and
`GET /api/dashboard` of its user (its cards block works out the same card view).

    python -m bench.cards_bench              # starts SecantusDB and our API (make bench-cards)

One user per size: a credit card (statement day 15) whose purchases are spread evenly over
the three years before today, with a bill paid each month (half of it, so every cycle
carries a balance and charges interest: the most work a statement does), and EMIS card
EMIs (₹50,000 over 12 months, one booked every 45 days). Both reads are worked out from
the entries on each request: a `$group` by day per collection, the EMIs' schedules, then
one pass over the cycles' days; the EMI list works out each EMI's schedule. Medians of a
few runs each; figures go to bench/RESULTS-cards.md.
"""

import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from bson import ObjectId
from pymongo import MongoClient
from pymongo.database import Database

from bench.processes import api_env, start_database, start_server, stop_server
from bench.seed import TZ, evenly, expense_docs, insert_many, sawtooth_amounts, signup
from core.dates import start_of_day
from database import CODEC_OPTIONS
from ops.embedded_db import stop as stop_database

YEARS = 3
EMIS = 24
RESULTS = Path(__file__).parent / "RESULTS-cards.md"


def seed(http: httpx.Client, api: str, db: Database, size: int) -> tuple[str, str]:
    """A card with `size` purchases over YEARS years and a monthly part payment."""
    user = signup(http, api, f"cards{size}")
    headers = {"Authorization": f"Bearer {user.token}"}
    body = {"name": "Card", "kind": "credit_card", "statement_day": 15, "credit_limit": 10**9}
    card = http.post(f"{api}/api/accounts", headers=headers, json=body).json()
    savings = http.post(f"{api}/api/accounts", headers=headers, json={"name": "SB"}).json()
    end = start_of_day(date.today(), TZ)
    start = end - timedelta(days=365 * YEARS)
    docs = expense_docs(ObjectId(user.id), evenly(size, start, end), sawtooth_amounts())
    insert_many(db, "expenses", (doc | {"account_id": ObjectId(card["id"])} for doc in docs))
    day = start.astimezone(UTC).date()
    while day < date.today():
        pay = {"from_account_id": savings["id"], "to_account_id": card["id"]}
        pay |= {"amount": size * 1000 // 36, "date": day.isoformat()}
        http.post(f"{api}/api/transfers", headers=headers, json=pay).raise_for_status()
        day += timedelta(days=30)
    booked = start.astimezone(UTC).date()
    for _ in range(EMIS):
        emi = {"amount": 50000, "date": booked.isoformat(), "annual_rate": 15}
        emi |= {"tenure_months": 12, "processing_fee": 199}
        url = f"{api}/api/accounts/{card['id']}/emis"
        http.post(url, headers=headers, json=emi).raise_for_status()
        booked += timedelta(days=45)
    return user.token, card["id"]


def timed(http: httpx.Client, url: str, token: str) -> float:
    started = time.perf_counter()
    response = http.get(url, headers={"Authorization": f"Bearer {token}"})
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


def run(api: str, db: Database, sizes: tuple[int, ...], reps: int) -> list[dict[str, Any]]:
    rows = []
    with httpx.Client(timeout=600) as http:
        for size in sizes:
            print(f"  seeding a card with {size:,} purchases ...", flush=True)
            token, card_id = seed(http, api, db, size)
            urls = {
                "card": f"{api}/api/accounts/{card_id}/card",
                "statements": f"{api}/api/accounts/{card_id}/statements?limit=100",
                "emis": f"{api}/api/accounts/{card_id}/emis?limit=100",
                "dashboard": f"{api}/api/dashboard",
            }
            for name, url in urls.items():
                timed(http, url, token)  # warm
                runs = [timed(http, url, token) for _ in range(reps)]
                ms = round(statistics.median(runs) * 1000, 1)
                rows.append({"purchases": size, "endpoint": name, "ms": ms, "runs": reps})
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [f"| purchases on the card (3 years, {EMIS} EMIs) | endpoint | median ms | runs |"]
    lines.append("|---:|---|---:|---:|")
    lines += [f"| {r['purchases']:,} | `{r['endpoint']}` | {r['ms']} | {r['runs']} |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    quick = bool(os.environ.get("BENCH_QUICK"))
    sizes = (1_000,) if quick else (1_000, 10_000)
    workdir = Path(tempfile.mkdtemp(prefix="cleero-cards-"))
    db_proc, mongo_url = start_database()
    try:
        api_proc, api = start_server(
            "main:app", api_env(mongo_url, "bench", workdir), workdir / "api.log", "/health/ready"
        )
        try:
            client: MongoClient = MongoClient(mongo_url)
            db = client.get_database("bench", codec_options=CODEC_OPTIONS)
            found = table(run(api, db, sizes, 3 if quick else 9))
            client.close()
        finally:
            stop_server(api_proc)
    finally:
        stop_database(db_proc)
    print(found)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    RESULTS.write_text(
        f"# Credit card reads\n\n`make bench-cards` ({stamp}, {os.cpu_count()} cores, "
        f"shared). What `bench/cards_bench.py` measures is in its docstring.\n\n{found}\n"
    )


if __name__ == "__main__":
    main()
