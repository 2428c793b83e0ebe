"""What `--sync-on-commit` costs a request: POST /api/expenses and POST /api/payments, one
client, one after another, against an on-disk SecantusDB started with and without it.

    python -m bench.sync_commit [REQUESTS]   # default 300 of each, per mode; prints a table

The API is the real one (uvicorn, one worker), so both modes write with w=majority, j=true:
a plain insert is fsynced either way (SecantusDB honours j on a single write), a transaction's
commit only with the flag (it ignores j on commitTransaction). The full before/after (the
client's write concern too) at 1 and 32 connections is bench/durability.py."""

import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.processes import api_env, start_database, start_server, stop_server


def measure(sync: bool, requests: int, workdir: Path) -> dict[str, float]:
    db, mongo_url = start_database(workdir / f"db-{sync}", sync_on_commit=sync)
    env = api_env(mongo_url, f"bench_{uuid.uuid4().hex[:8]}", workdir)
    env["BCRYPT_ROUNDS"] = "4"
    api, url = start_server("main:app", env, workdir / "api.log", "/health")
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            email = f"s-{uuid.uuid4().hex[:8]}@example.com"
            body = {"email": email, "password": "BenchPass123!", "full_name": "Sync"}
            token = http.post("/api/auth/signup", json=body).json()["access_token"]
            http.headers["Authorization"] = f"Bearer {token}"
            loan = {"name": "Home", "debt_type": "home_loan", "principal": "5000000"}
            loan |= {"interest_rate": "8.5", "tenure_months": 240, "start_date": "2025-01-01"}
            debt = http.post("/api/debts", json=loan).json()["id"]
            payment = {"debt_id": debt, "amount": "100", "payment_type": "prepayment"}
            expense = {"title": "Chai", "category": "food", "amount": "20"}
            return {
                "POST /api/expenses": median_ms(http, "/api/expenses", expense, requests),
                "POST /api/payments": median_ms(http, "/api/payments", payment, requests),
            }
    finally:
        stop_server(api)
        stop_server(db)


def median_ms(http: httpx.Client, path: str, body: dict, requests: int) -> float:
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = http.post(path, json=body)
        times.append(time.perf_counter() - started)
        response.raise_for_status()
    return statistics.median(times) * 1000


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    with tempfile.TemporaryDirectory() as tmp:
        rows = {sync: measure(sync, requests, Path(tmp)) for sync in (False, True)}
    print(f"median latency, {requests} sequential requests each, on-disk SecantusDB")
    print("| request | without --sync-on-commit | with |")
    print("|---|---|---|")
    for name in rows[True]:
        print(f"| {name} | {rows[False][name]:.2f} ms | {rows[True][name]:.2f} ms |")


if __name__ == "__main__":
    main()
