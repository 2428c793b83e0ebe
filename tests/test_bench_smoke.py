"""The load benchmark's harness can't rot silently: a one-second run of the real thing.

Not a performance test (no timing is asserted): it starts our API and the bare app as
processes, seeds through the benchmark's own code, drives every measured endpoint with the
load generator process for a second, and checks that the bare app really issues the same
queries (same page, same total, same dashboard sums). Also the fixes the benchmark led to.
"""

import asyncio
import os
import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from bson import Decimal128
from hypothesis import given
from hypothesis import strategies as st
from pymongo import MongoClient

import security
from bench import load, stats_bench
from database import CODEC_OPTIONS, decimal_from_bson

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def servers(mongo_url, tmp_path_factory):
    """Both servers once for the module; every test seeds its own users."""
    tmp_path = tmp_path_factory.mktemp("bench")
    db_name = f"test_bench_{uuid.uuid4().hex[:10]}"
    env = load.api_env(mongo_url, db_name, tmp_path, BCRYPT_ROUNDS="4")
    api_proc, api = load.start_server("main:app", env, tmp_path / "api.log", "/health/ready")
    bare_env = {"MONGODB_URL": mongo_url, "MONGODB_DB": db_name}
    try:
        bare_proc, bare = load.start_server(
            "bench.bare_app:app", bare_env, tmp_path / "bare.log", "/"
        )
    except RuntimeError:
        load.stop_server(api_proc)
        raise
    client: MongoClient = MongoClient(mongo_url)
    yield api, bare, client.get_database(db_name, codec_options=CODEC_OPTIONS)
    load.stop_server(bare_proc)
    load.stop_server(api_proc)
    client.drop_database(db_name)
    client.close()


def test_every_endpoint_runs_under_the_load_generator_on_both_sides(servers):
    api, bare, db = servers
    cfg = replace(load.QUICK, users=2, expenses=40, debts=2, payments=6)
    users = load.seed(api, db, cfg)
    endpoints = load.endpoints(api, users)
    names = [e.name for e in endpoints]
    assert names[:2] == ["GET /api/debts", "GET /api/expenses?limit=20"]
    assert names[-2:] == ["POST /api/expenses", "POST /api/payments"]

    groups = []
    for i, endpoint in enumerate(endpoints):
        sides = [("ours", api, endpoint.ours), ("bare", bare, endpoint.bare)]
        sides.append(("bare+auth", bare, endpoint.bare_auth))
        for side, url, requests in sides:
            if requests:
                port = int(url.rsplit(":", 1)[1])
                groups.append(
                    {"name": f"{i}:{side}", "port": port, "connections": 2, "requests": requests}
                )
    # No warm-up: every request started counts, so even a slow, busy machine reports each group.
    result = load.run_loadgen({"duration": 1.0, "warmup": 0, "groups": groups}, api)

    for group in groups:
        stats = result[group["name"]]
        stats.pop("latencies", None)
        assert stats["requests"] > 0, (group["name"], stats)
        assert stats["errors"] == {}, (group["name"], stats)
        assert set(stats["statuses"]) <= {"200", "201"}, (group["name"], stats)
        assert stats["p50_ms"] <= stats["p99_ms"]


def test_bare_app_issues_the_same_queries_as_our_routes(servers):
    api, bare, db = servers
    # Enough recent entries that the dashboard's feed needs no widening (bare_app's premise).
    cfg = replace(load.QUICK, users=1, expenses=200, debts=3, payments=50)
    (user,) = load.seed(api, db, cfg)
    with httpx.Client(timeout=30) as http:
        for ours_path, bare_path in (
            ("/api/expenses?limit=20", "/bare/expenses"),
            ("/api/debts", "/bare/debts"),
        ):
            ours = http.get(api + ours_path, headers=user.auth).json()
            for query in (f"?user={user.id}", f"?user={user.id}&sid={user.sid}"):
                theirs = http.get(bare + bare_path + query).json()
                assert theirs["total"] == ours["total"]
                assert [d["_id"] for d in theirs["items"]] == [d["id"] for d in ours["items"]]

        ours = http.get(api + "/api/dashboard", headers=user.auth).json()
        income, expenses, payments, debts, budgets, goals, unread = http.get(
            f"{bare}/bare/dashboard?user={user.id}"
        ).json()
        for facet, total in ((income, "income"), (expenses, "expenses")):
            month = sum(Decimal(row["total"]) for row in facet[0]["month"])
            assert Decimal(str(ours[total])) == month
        # The bare side skips the feed's widening step: the seeded data must not need it.
        month_ago = datetime.now(UTC) - timedelta(days=31)
        feed = ours["recent_transactions"]
        assert len(feed) == 10
        assert all(datetime.fromisoformat(t["date"]) >= month_ago for t in feed)
        paid = {t["id"] for t in feed if t["kind"] == "payment"}
        assert paid <= {p["_id"] for p in payments}
        assert len(ours["goals"]) == len(goals) == 3
        assert len(ours["budgets"]["items"]) == len(budgets) == 3
        assert ours["unread_notifications"] == unread
        assert ours["debt"]["active_debts"] == debts[0]["totals"][0]["count"] == 3


def test_report_tables_render_from_a_run(servers):
    api, bare, db = servers
    cfg = replace(load.QUICK, users=1, expenses=10, debts=1, payments=2, duration=0.4)
    cfg = replace(cfg, warmup=0, connections=2)  # every request counts, however slow
    users = load.seed(api, db, cfg)
    debts = load.endpoints(api, users)[0]
    debts.bare_auth = None  # ours, bare, bare, ours: four short runs
    servers_ = {"ours": load.Server(api, 0), "bare": load.Server(bare, 0)}
    row = load.compare(debts, servers_, 0, cfg)
    assert row["sides"]["ours"]["requests"] > 0 and row["ratio"] > 0
    table = load.throughput_table([row])
    assert "`GET /api/debts`" in table and "n/a" in table  # no bare+auth side this time
    assert "| ours |" in load.cpu_table([row])

    stats = stats_bench.run(api, db, (300,), reps=1)
    assert stats[0]["expenses"] == 300 and stats[0]["runs"] == 2
    assert "| 300 |" in stats_bench.stats_table(stats)


# ---------------------------------------------------------------- fixes the benchmark led to


@given(
    st.decimals(allow_nan=True, allow_infinity=True, places=None)
    | st.decimals(min_value=-(10**12), max_value=10**12, places=2)
)
def test_fast_decimal128_decoding_is_exactly_bsons(value):
    try:
        encoded = Decimal128(value)
    except Exception:  # out of Decimal128's range: nothing to decode
        return
    fast, reference = decimal_from_bson(encoded), encoded.to_decimal()
    assert str(fast) == str(reference)
    assert fast.is_nan() or fast == reference


def test_non_canonical_decimal128_falls_back_to_bson():
    too_large = Decimal128.from_bid((10**34).to_bytes(16, "little"))  # coefficient > 34 digits
    assert str(decimal_from_bson(too_large)) == str(too_large.to_decimal()) == "0E-6176"


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no per-thread niceness here")
async def test_bcrypt_runs_in_low_priority_threads():
    await security.hash_password("a password", rounds=4)

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(security._bcrypt_pool, niceness) == 10
    assert niceness() < 10  # the event loop's own thread keeps its priority
