"""`GET /api/expenses/stats/monthly` at 1k, 10k and 100k expenses vs the raw aggregation.

    python -m bench.stats_bench              # on its own: starts SecantusDB and our API
    (bench/load.py runs it as the last part of `make bench-load`)

One user per size, all expenses inside one calendar year (in the user's timezone), so the
year's stats aggregate every one of them. The raw side is the same pipeline as the route's
`monthly_totals` sent with PyMongo from this process; the API side is one HTTP request
(auth lookups, the aggregation, folding the grouped rows, the response model). The two
alternate raw-API-API-raw, and medians are compared.
"""

import os
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from bson import ObjectId
from pymongo import MongoClient
from pymongo.database import Database

from bench.processes import api_env, start_database, start_server, stop_server
from bench.seed import TZ, evenly, expense_docs, insert_many, sawtooth_amounts, signup
from core.dates import calendar_year, start_of_day
from core.money import from_sum
from database import CODEC_OPTIONS
from ops.embedded_db import stop as stop_database

YEAR = 2025


def raw_pipeline(user_id: ObjectId, year: int) -> list[dict[str, Any]]:
    """`ledger.monthly_totals(..., "category")` for `?year=`, as PyMongo sends it."""
    start, after = calendar_year(year).bounds()
    month = {"$dateToString": {"format": "%Y-%m", "date": "$date"}}
    return [
        {"$match": {"user_id": user_id, "date": {"$gte": start, "$lt": after}}},
        {
            "$group": {
                "_id": {"month": month, "key": "$category"},
                "total": {"$sum": "$amount"},
                "count": {"$sum": 1},
            }
        },
    ]


def seed_size(http: httpx.Client, api: str, db: Database, size: int) -> tuple[str, ObjectId]:
    """A user with `size` expenses spread over YEAR in their timezone."""
    user = signup(http, api, f"stats{size}")
    start, end = start_of_day(date(YEAR, 1, 1), TZ), start_of_day(date(YEAR + 1, 1, 1), TZ)
    docs = expense_docs(ObjectId(user.id), evenly(size, start, end), sawtooth_amounts())
    insert_many(db, "expenses", docs)
    return user.token, ObjectId(user.id)


def same_months(answer: dict[str, Any], rows: list[dict[str, Any]]) -> bool:
    """The API's month totals equal the raw rows summed per month."""
    raw: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        raw[row["_id"]["month"]] += from_sum(row["total"])
    ours = {m["month"]: Decimal(str(m["total"])) for m in answer["months"] if m["count"]}
    return ours == dict(raw)


def api_stats(http: httpx.Client, api: str, token: str) -> dict[str, Any]:
    response = http.get(
        f"{api}/api/expenses/stats/monthly",
        params={"year": YEAR},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return response.json()


def time_api(http: httpx.Client, api: str, token: str, size: int) -> float:
    started = time.perf_counter()
    count = api_stats(http, api, token)["count"]
    elapsed = time.perf_counter() - started
    assert count == size, count
    return elapsed


def time_raw(db: Database, pipeline: list[dict[str, Any]], size: int) -> float:
    started = time.perf_counter()
    rows = list(db.expenses.aggregate(pipeline))
    elapsed = time.perf_counter() - started
    assert sum(r["count"] for r in rows) == size
    return elapsed


def run(api: str, db: Database, sizes: tuple[int, ...], reps: int) -> list[dict[str, Any]]:
    results = []
    with httpx.Client(timeout=600) as http:
        for size in sizes:
            print(f"  seeding {size:,} expenses ...", flush=True)
            token, user_id = seed_size(http, api, db, size)
            pipeline = raw_pipeline(user_id, YEAR)
            # Warm both paths once, and check they still compute the same months.
            answer, rows = api_stats(http, api, token), list(db.expenses.aggregate(pipeline))
            assert answer["count"] == size and same_months(answer, rows), "pipelines differ"
            api_times, raw_times = [], []
            for _ in range(reps):
                raw_times.append(time_raw(db, pipeline, size))
                api_times.append(time_api(http, api, token, size))
                api_times.append(time_api(http, api, token, size))
                raw_times.append(time_raw(db, pipeline, size))
            api_ms = statistics.median(api_times) * 1000
            raw_ms = statistics.median(raw_times) * 1000
            results.append(
                {
                    "expenses": size,
                    "api_ms": round(api_ms, 1),
                    "raw_ms": round(raw_ms, 1),
                    "ratio": round(api_ms / raw_ms, 2),
                    "runs": len(api_times),
                }
            )
    return results


def stats_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| expenses in the year | API median ms | raw aggregation median ms | API / raw "
        "| runs each |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['expenses']:,} | {r['api_ms']} | {r['raw_ms']} | {r['ratio']:.2f} | {r['runs']} |"
        for r in rows
    ]
    return "\n".join(lines)


def main() -> None:
    quick = bool(os.environ.get("BENCH_QUICK"))
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    workdir = Path(tempfile.mkdtemp(prefix="cleero-stats-"))
    db_proc, mongo_url = start_database()
    try:
        api_proc, api = start_server(
            "main:app", api_env(mongo_url, "bench", workdir), workdir / "api.log", "/health/ready"
        )
        try:
            client: MongoClient = MongoClient(mongo_url)
            db = client.get_database("bench", codec_options=CODEC_OPTIONS)
            print(stats_table(run(api, db, sizes, 1 if quick else 3)))
            client.close()
        finally:
            stop_server(api_proc)
    finally:
        stop_database(db_proc)


if __name__ == "__main__":
    main()
