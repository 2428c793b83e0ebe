"""The load benchmark's harness can't rot silently: a one-second run of the real thing.

Not a performance test (no timing is asserted): it starts our API and the bare app as
processes, seeds through the benchmark's own code, drives every measured endpoint with the
load generator process for a second, and checks that the bare app really issues the same
queries (same page, same total, same dashboard sums and feed) and stores the same documents,
and that the seeder's do too. The durability comparison's two sides start, answer, and differ
in `--sync-on-commit` and the write concern only. Also the fixes the benchmark led to.
"""

import asyncio
import os
import subprocess
import sys
import threading
import uuid
from dataclasses import replace
from decimal import Decimal

import httpx
import pytest
from bson import Decimal128, ObjectId
from hypothesis import given
from hypothesis import strategies as st
from pymongo import MongoClient

import security
from bench import durability, import_bench, stats_bench
from bench.config import QUICK
from bench.measure import Server, compare
from bench.processes import ROOT, api_env, run_loadgen, start_server, stop_server
from bench.report import cpu_table, durability_table, throughput_table
from bench.scenarios import endpoints
from bench.seed import BenchUser, expense_docs, insert_many, sawtooth_amounts, seed_load
from bench.statements_bench import hdfc_csv
from core.dates import now_ms
from database import CODEC_OPTIONS, connect, decimal_from_bson
from tests.factories import make_settings

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def servers(mongo_url, tmp_path_factory):
    """Both servers once for the module; every test seeds its own users."""
    tmp_path = tmp_path_factory.mktemp("bench")
    db_name = f"test_bench_{uuid.uuid4().hex[:10]}"
    env = api_env(mongo_url, db_name, tmp_path, BCRYPT_ROUNDS="4")
    api_proc, api = start_server("main:app", env, tmp_path / "api.log", "/health/ready")
    bare_env = {"MONGODB_URL": mongo_url, "MONGODB_DB": db_name}
    try:
        bare_proc, bare = start_server("bench.bare_app:app", bare_env, tmp_path / "bare.log", "/")
    except RuntimeError:
        stop_server(api_proc)
        raise
    client: MongoClient = MongoClient(mongo_url)
    yield api, bare, client.get_database(db_name, codec_options=CODEC_OPTIONS)
    stop_server(bare_proc)
    stop_server(api_proc)
    client.drop_database(db_name)
    client.close()


@pytest.mark.process
def test_every_endpoint_runs_under_the_load_generator_on_both_sides(servers):
    api, bare, db = servers
    cfg = replace(QUICK, users=2, expenses=40, debts=2, payments=6)
    users = seed_load(api, db, cfg)
    measured = endpoints(users)
    names = [e.name for e in measured]
    assert names[:3] == ["GET /api/debts", "GET /api/expenses?limit=20", "GET /api/dashboard"]
    assert names[-2:] == ["POST /api/expenses", "POST /api/payments"]

    groups = []
    for i, endpoint in enumerate(measured):
        sides = [("ours", api, endpoint.ours), ("bare", bare, endpoint.bare)]
        sides.append(("bare+auth", bare, endpoint.bare_auth))
        for side, url, requests in sides:
            if requests:
                port = int(url.rsplit(":", 1)[1])
                groups.append(
                    {"name": f"{i}:{side}", "port": port, "connections": 2, "requests": requests}
                )
    # No warm-up: every request started counts, so even a slow, busy machine reports each group.
    result = run_loadgen({"duration": 1.0, "warmup": 0, "groups": groups}, api)

    for group in groups:
        stats = result[group["name"]]
        stats.pop("latencies", None)
        assert stats["requests"] > 0, (group["name"], stats)
        assert stats["errors"] == {}, (group["name"], stats)
        assert set(stats["statuses"]) <= {"200", "201"}, (group["name"], stats)
        assert stats["p50_ms"] <= stats["p99_ms"]


def _same_dashboard(http: httpx.Client, api: str, bare: str, user: BenchUser) -> None:
    ours = http.get(api + "/api/dashboard", headers=user.auth).json()
    theirs = http.get(f"{bare}/bare/dashboard?user={user.id}").json()
    for kind in ("income", "expenses"):
        month = sum((Decimal(row["total"]) for row in theirs[kind]), Decimal(0))
        assert Decimal(str(ours[kind])) == month
    assert [t["id"] for t in ours["recent_transactions"]] == [d["_id"] for d in theirs["feed"]]
    assert len(ours["recent_transactions"]) == 10
    assert len(ours["goals"]) == len(theirs["goals"]) == 3
    assert len(ours["budgets"]["items"]) == len(theirs["budgets"]) == 3
    assert ours["unread_notifications"] == theirs["unread"] > 0
    assert ours["debt"]["active_debts"] == theirs["debts"][0]["totals"][0]["count"]


@pytest.mark.process
def test_bare_app_issues_the_same_queries_as_our_routes(servers):
    api, bare, db = servers
    (user,) = seed_load(api, db, replace(QUICK, users=1, expenses=200, debts=3, payments=50))
    # Few entries: the dashboard's feed widens to the last year (three more finds each side).
    (sparse,) = seed_load(api, db, replace(QUICK, users=1, expenses=2, debts=1, payments=1))
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
        _same_dashboard(http, api, bare, user)
        _same_dashboard(http, api, bare, sparse)


def _shape(doc: dict) -> dict[str, str]:
    """Field names and value types, as stored."""
    return {k: type(v).__name__ for k, v in doc.items() if k != "_id"}


def _latest(db, collection: str, query: dict) -> dict:
    return db[collection].find_one(query, sort=[("created_at", -1), ("_id", -1)])


@pytest.mark.process
def test_bare_app_and_seeder_store_what_our_routes_store(servers):
    api, bare, db = servers
    (user,) = seed_load(api, db, replace(QUICK, users=1, expenses=3, debts=1, payments=1))
    uid = ObjectId(user.id)
    expense = {"title": "Lunch", "category": "food", "amount": 120.5}
    payment = {"debt_id": user.debt_ids[0], "amount": 100, "payment_type": "prepayment"}
    payment["payment_method"] = "upi"
    stored = {}
    with httpx.Client(timeout=30) as http:
        for side, url, auth in (
            ("ours", f"{api}/api/{{}}", user.auth),
            ("bare", f"{bare}/bare/{{}}?user={user.id}", {}),
        ):
            for path, body in (("expenses", expense), ("payments", payment)):
                headers = auth | {"Idempotency-Key": uuid.uuid4().hex}
                response = http.post(url.format(path), json=body, headers=headers)
                response.raise_for_status()
                created = response.json()
                oid = ObjectId(created.get("id") or created["_id"])
                stored[side, path] = db[path].find_one({"_id": oid})
            stored[side, "notification"] = _latest(db, "notifications", {"user_id": uid})
            for kind in ("push", "email"):
                stored[side, kind] = _latest(db, "outbox", {"kind": kind})["payload"]
            stored[side, "key"] = _latest(db, "idempotency_keys", {"user_id": uid})
    for what in ("expenses", "payments", "notification", "push", "email"):
        assert _shape(stored["bare", what]) == _shape(stored["ours", what]), what
    assert stored["bare", "key"].keys() == stored["ours", "key"].keys()
    for what, day in (("expenses", "date"), ("payments", "payment_date")):
        assert stored["bare", what][day] == stored["ours", what][day]  # today, as a day
    assert abs(len(stored["bare", "email"]["html"]) - len(stored["ours", "email"]["html"])) < 200

    # The seeder's bulk expenses are the route's: the same fields, of the same types.
    seeded = next(expense_docs(uid, [now_ms()], sawtooth_amounts()))
    insert_many(db, "expenses", [seeded])
    assert _shape(db.expenses.find_one({"_id": seeded["_id"]})) == _shape(
        stored["ours", "expenses"]
    )


@pytest.mark.process
def test_report_tables_render_from_a_run(servers):
    api, bare, db = servers
    cfg = replace(QUICK, users=1, expenses=10, debts=1, payments=2, duration=0.4)
    cfg = replace(cfg, warmup=0, connections=2)  # every request counts, however slow
    users = seed_load(api, db, cfg)
    debts = endpoints(users)[0]
    debts.bare_auth = None  # ours, bare, bare, ours: four short runs
    servers_ = {"ours": Server(api, 0), "bare": Server(bare, 0)}
    row = compare(debts, servers_, 0, cfg)
    assert row["sides"]["ours"]["requests"] > 0 and row["ratio"] > 0
    table = throughput_table([row])
    assert "`GET /api/debts`" in table and "n/a" in table  # no bare+auth side this time
    assert "| ours |" in cpu_table([row])

    stats = stats_bench.run(api, db, (300,), reps=1)
    assert stats[0]["expenses"] == 300 and stats[0]["runs"] == 2
    assert "| 300 |" in stats_bench.stats_table(stats)


@pytest.mark.process
def test_durability_sides_differ_in_durability_only(tmp_path, mongo_url):
    """Before: no `--sync-on-commit`, the client's default write concern; after: both."""
    cfg = replace(QUICK, users=1, expenses=10, debts=1, payments=1, duration=0.4, warmup=0)
    cfg = replace(cfg, durability_connections=(2,))
    stacks = []
    try:
        for name in ("before", "after"):
            stacks.append(durability.start_stack(name, tmp_path, cfg, BCRYPT_ROUNDS="4"))
        before, after = (set(s.database_flags().split()) for s in stacks)
        assert after - before == {"--sync-on-commit"} and before < after
        rows = durability.compare_writes(stacks, cfg)
    finally:
        for stack in stacks:
            stack.stop()
    assert [r["endpoint"] for r in rows] == ["POST /api/expenses", "POST /api/payments"]
    for row in rows:
        for side in ("before", "after"):
            assert set(row["sides"][side]["statuses"]) == {"201"}, row
            assert row["sides"][side]["errors"] == 0, row
    assert "| `POST /api/payments` | 2 |" in durability_table(rows)

    # The clients' write concerns: the product's, and the BEFORE app's (in its own process,
    # since importing it replaces the client class).
    settings = make_settings(mongo_url, tmp_path)
    assert connect(mongo_url, settings).write_concern.document == {"w": "majority", "j": True}
    script = (
        "import bench.default_write_concern_app, database, sys; "
        "c = database.connect(sys.argv[1], database.Settings(_env_file=None)); "
        "print(c.write_concern.document, c.write_concern.acknowledged)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, mongo_url],
        cwd=ROOT,
        env=os.environ | {"MONGODB_URL": mongo_url},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split("\n")[-2] == "{} True"


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


async def test_the_import_benchmarks_bare_stack_writes_what_the_api_writes(client, db):
    """bench/import_bench.py compares the API with the bare stack: both must store the same
    documents' worth for one statement (a preview, a commit, a re-import)."""
    collections = ("imports", "import_rows", "expenses", "income", "import_fingerprints")
    data = hdfc_csv(120)

    async def counts() -> dict[str, int]:
        return {name: await db[name].count_documents({}) for name in collections}

    await import_bench.one_run(client, 0, data, rows=120)
    ours = await counts()
    # Two previews of 120 rows; 120 entries, each with its fingerprint.
    assert (ours["imports"], ours["import_rows"], ours["import_fingerprints"]) == (2, 240, 120)
    assert ours["expenses"] + ours["income"] == 120
    await import_bench.bare_run(db, data, rows=120)
    after = await counts()
    assert {name: after[name] - ours[name] for name in collections} == ours
