"""Dashboard and report latency and database round trips: a user with 100 records against one
with 100,000 expenses, 5,000 income records and 20 debts with 2,000 payments.

    python -m bench.reports_bench            # or `make bench-reports`

The API runs in this process (the ASGI app called directly, lifespan included) against
SecantusDB in its own process (in memory; `BENCH_MONGODB_URL` to use another server). Every
command the app sends is counted by a PyMongo CommandListener on the app's client, so each
request's round trips are measured, not estimated. Each request is timed RUNS times after one
warm-up; the table shows the median, and the fastest and slowest run. The CSV export is also
run under tracemalloc, to show its memory does not grow with the number of rows.

Results: bench/results/reports.json and bench/results/reports.md (git-ignored); the
committed copy of a run is bench/RESULTS-reports.md.
"""

import asyncio
import contextlib
import json
import os
import random
import secrets
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from bson import ObjectId
from fastapi import FastAPI
from pymongo import monitoring

from bench.report import machine
from bench.reports_table import table
from bench.seed import (
    LARGE,
    SMALL,
    TZ,
    Size,
    at_random,
    bench_user,
    budget_bodies,
    contribution_bodies,
    debt_bodies,
    emi_bodies,
    expense_docs,
    goal_bodies,
    income_docs,
    insert,
    random_amount,
    signup_body,
)
from config import Settings
from core.dates import (
    fiscal_period,
    fiscal_year,
    fy_label,
    month_bounds,
    now_ms,
    shift_month,
    today,
)
from database import connect, get_database
from main import create_app
from ops import embedded_db

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
# BENCH_QUICK=1: a tenth of the large user, to try the benchmark out quickly.
SIZES = (SMALL, LARGE)
if os.environ.get("BENCH_QUICK"):
    SIZES = (SMALL, replace(LARGE, expenses=10_000, income=500, payments=200))
RESULTS = Path(__file__).resolve().parent / "results"


class CommandCounter(monitoring.CommandListener):
    """Counts the commands (round trips) the app's client sends."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    size: int
    lines: int


async def asgi_get(app: FastAPI, path: str, token: str, *, keep_body: bool = True) -> Reply:
    """One GET straight through the ASGI app. Unlike httpx's ASGITransport it does not keep a
    streamed body (with keep_body=False), so the export's memory is the app's own."""
    target, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": target,
        "raw_path": target.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
    }
    reply = Reply(0, {}, b"", 0, 0)
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            reply.status = message["status"]
            reply.headers = {k.decode(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            reply.size += len(chunk)
            reply.lines += chunk.count(b"\r\n")
            if keep_body:
                reply.body += chunk

    await app(scope, receive, send)
    return reply


@dataclass
class BenchUser:
    label: str
    size: Size
    token: str
    id: ObjectId


async def _post(http: httpx.AsyncClient, path: str, token: str, body: dict) -> dict:
    response = await http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    return response.json()


async def seed_user(http: httpx.AsyncClient, app: FastAPI, size: Size, seed: int) -> BenchUser:
    """Sign up; debts, budgets, goals, payments and contributions through the API; the bulk
    (expenses and income) straight in."""
    started = time.perf_counter()  # through the API too, now: payments and contributions
    body = signup_body(f"reports-{size.label}")
    user = bench_user(body, await http.post("/api/auth/signup", json=body))
    token, user_id = user.token, ObjectId(user.id)
    debts = [await _post(http, "/api/debts", token, body) for body in debt_bodies(size)]
    for body in budget_bodies():
        await _post(http, "/api/budgets", token, body)
    goals = [await _post(http, "/api/goals", token, body) for body in goal_bodies()]
    rng, end = random.Random(seed), now_ms()
    for body in emi_bodies(debts, size):
        await _post(http, "/api/payments", token, body)
    for i, body in enumerate(contribution_bodies(size, rng)):
        await _post(http, f"/api/goals/{goals[i % len(goals)]['id']}/contribute", token, body)
    db = app.state.db
    spent = at_random(size.expenses, end, size.days, rng)
    amounts = (random_amount(rng, 10, 4000) for _ in spent)
    await insert(db, "expenses", expense_docs(user_id, spent, amounts))
    earned = at_random(size.income, end, size.days, rng)
    await insert(db, "income", income_docs(user_id, earned, rng))
    print(
        f"  {size.label}: {size.records:,} records seeded in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return BenchUser(size.label, size, token, user_id)


def previous_month() -> tuple[int, int]:
    """The last complete month: its report reads two full months (it and the one before)."""
    day = today(TZ)
    return shift_month(day.year, day.month, -1)


def current_fy() -> int:
    return fiscal_year(today(TZ))


Range = tuple[date, date] | None  # [first day, day after the last)


def endpoints() -> list[tuple[str, str, Range]]:
    """(name, path, the range of expenses the request reads: its dominant cost)."""
    day = today(TZ)
    year, month = previous_month()
    before = shift_month(year, month, -1)
    fy = fy_label(current_fy())
    this_month = month_bounds(day.year, day.month)
    tomorrow = day + timedelta(days=1)
    return [
        ("Dashboard", "/api/dashboard", (min(this_month[0], day - timedelta(days=7)), tomorrow)),
        (
            f"Monthly report ({year}-{month:02d})",
            f"/api/reports/monthly?year={year}&month={month}",
            (month_bounds(*before)[0], month_bounds(year, month)[1]),
        ),
        (
            "Monthly report (this month)",
            "/api/reports/monthly",
            (month_bounds(year, month)[0], this_month[1]),
        ),
        (
            f"Annual report (FY {fy})",
            f"/api/reports/annual?fy={fy}",
            fiscal_period(current_fy()).bounds(),
        ),
        (f"Tax summary (FY {fy})", f"/api/reports/tax-summary?fy={fy}", None),
    ]


async def expenses_in(app: FastAPI, user: BenchUser, span: Range) -> int:
    if span is None:
        return 0
    query = {"user_id": user.id, "date": {"$gte": span[0], "$lt": span[1]}}
    return await app.state.db.expenses.count_documents(query)


async def measure(app: FastAPI, counter: CommandCounter, user: BenchUser, path: str) -> dict:
    first = await asgi_get(app, path, user.token)  # warm-up (and a correctness check)
    assert first.status == 200, (path, first.status, first.body[:300])
    timings, trips = [], []
    for _ in range(RUNS):
        counter.names.clear()
        started = time.perf_counter()
        reply = await asgi_get(app, path, user.token)
        timings.append(time.perf_counter() - started)
        trips.append(len(counter.names))
        assert reply.status == 200, reply.status
    commands = sorted(counter.names)
    return {
        "median_ms": statistics.median(timings) * 1000,
        "min_ms": min(timings) * 1000,
        "max_ms": max(timings) * 1000,
        "round_trips": trips,
        "commands": {name: commands.count(name) for name in dict.fromkeys(commands)},
    }


async def measure_export(app: FastAPI, counter: CommandCounter, user: BenchUser) -> dict:
    """The default export (the last 12 months): time on its own, then memory under
    tracemalloc (which slows Python down, so it is a separate run)."""
    path = "/api/reports/export?kind=expenses"
    counter.names.clear()
    started = time.perf_counter()
    reply = await asgi_get(app, path, user.token, keep_body=False)
    seconds = time.perf_counter() - started
    assert reply.status == 200, reply.status
    trips = len(counter.names)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        await asgi_get(app, path, user.token, keep_body=False)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return {
        "rows": reply.lines - 1,  # the header
        "seconds": seconds,
        "bytes": reply.size,
        "round_trips": trips,
        "peak_kib": peak / 1024,
    }


@contextlib.asynccontextmanager
async def running_app() -> AsyncIterator[tuple[FastAPI, CommandCounter]]:
    """The app against a fresh database, its client replaced by one that counts commands."""
    proc = None
    url = os.environ.get("BENCH_MONGODB_URL")
    if not url:
        port = embedded_db.free_port()
        log = Path(tempfile.gettempdir()) / f"secantus-reports-bench-{port}.log"
        proc = embedded_db.start(":memory:", port, log_path=log)
        url = embedded_db.url(port)
    workdir = Path(tempfile.mkdtemp(prefix="reports-bench-"))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        app_env="test",
        secret_key=secrets.token_urlsafe(40),
        mongodb_url=url,
        mongodb_db=f"bench_reports_{secrets.token_hex(4)}",
        mail_dir=workdir / "mail",
        upload_dir=workdir / "uploads",
        run_worker=False,
        bcrypt_rounds=4,
        db_timeout_ms=30000,
    )
    app = create_app(settings)
    counter = CommandCounter()
    try:
        async with app.router.lifespan_context(app):
            original = app.state.db
            counting = connect(url, settings, event_listeners=[counter])
            app.state.db = get_database(counting, settings.mongodb_db)
            try:
                yield app, counter
            finally:
                app.state.db = original
                await counting.drop_database(settings.mongodb_db)
                await counting.close()
    finally:
        if proc is not None:
            embedded_db.stop(proc)


async def main() -> None:
    results: dict[str, Any] = {"date": date.today().isoformat(), "machine": machine()}
    load_before = os.getloadavg()[0]
    print("Seeding (SecantusDB inserts about 8,000 documents a second)...", flush=True)
    async with running_app() as (app, counter):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            users = [await seed_user(http, app, size, seed) for seed, size in enumerate(SIZES)]
        for user in users:
            found: dict[str, Any] = {}
            for name, path, span in endpoints():
                found[name] = await measure(app, counter, user, path)
                found[name]["expenses_read"] = await expenses_in(app, user, span)
                print(
                    f"  {user.label:5} {name:34} {found[name]['median_ms']:8.0f} ms "
                    f"{max(found[name]['round_trips'])} round trips",
                    flush=True,
                )
            found["export"] = await measure_export(app, counter, user)
            print(f"  {user.label:5} export: {found['export']}", flush=True)
            results[user.label] = found
    results["load"] = (load_before, os.getloadavg()[0])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reports.json").write_text(json.dumps(results, indent=2))
    text = table(results, [name for name, _, _ in endpoints()], SIZES, RUNS)
    (RESULTS / "reports.md").write_text(text)
    print()
    print(text)


if __name__ == "__main__":
    asyncio.run(main())
