"""A write answered 2xx survives a SIGKILL of the database: on-disk SecantusDB, the API as a
real process, concurrent writers over HTTP, the database killed mid-traffic and restarted on
the same storage path, several rounds."""

import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from bson import ObjectId
from pymongo import MongoClient

from bench.load import start_server, stop_server
from database import CODEC_OPTIONS
from ops import embedded_db

pytestmark = pytest.mark.process  # starts SecantusDB on disk and the API as a process

PASSWORD = "SecurePass123!"
ROUNDS = 4
WRITERS_PER_KIND = 2


@dataclass
class Ack:
    collection: str
    id: str
    at: float  # time.monotonic() when the 2xx reached the client


@dataclass
class Traffic:
    acks: list[Ack] = field(default_factory=list)
    unknown: int = 0  # answered 5xx: the outcome is unknown, so it proves nothing either way
    failures: list[BaseException] = field(default_factory=list)  # a writer's, for the test
    lock: threading.Lock = field(default_factory=threading.Lock)


def _writer(
    url: str,
    send: Callable[[httpx.Client], httpx.Response],
    collection: str,
    pick_id: Callable[[dict], str],
    traffic: Traffic,
    stop: threading.Event,
) -> None:
    # A request in flight while the database is down waits for it (the driver retries a
    # transaction for up to 120 s), so the timeout only guards against a hung test.
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            while not stop.is_set():
                response = send(http)
                with traffic.lock:
                    if response.is_success:
                        ack = Ack(collection, pick_id(response.json()), time.monotonic())
                        traffic.acks.append(ack)
                    elif response.status_code >= 500:
                        traffic.unknown += 1
                    else:
                        raise AssertionError(f"{response.status_code}: {response.text}")
    except BaseException as exc:  # a thread's exception would not fail the test by itself
        traffic.failures.append(exc)
        raise


def _setup(url: str) -> tuple[dict[str, str], list[dict], dict]:
    with httpx.Client(base_url=url, timeout=30) as http:
        signup = http.post(
            "/api/auth/signup",
            json={
                "email": f"d-{uuid.uuid4().hex[:8]}@example.com",
                "password": PASSWORD,
                "full_name": "Durable",
            },
        )
        assert signup.status_code == 201, signup.text
        headers = {"Authorization": f"Bearer {signup.json()['access_token']}"}
        debts = []
        for i in range(3):
            r = http.post(
                "/api/debts",
                headers=headers,
                json={
                    "name": f"Loan {i}",
                    "debt_type": "personal_loan",
                    "principal": "1000000",
                    "interest_rate": "12",
                    "tenure_months": 240,
                    "start_date": "2025-01-10",
                },
            )
            assert r.status_code == 201, r.text
            debts.append(r.json())
        r = http.post(
            "/api/goals",
            headers=headers,
            json={"title": "Rainy day", "target_amount": "100000000", "target_date": "2035-01-01"},
        )
        assert r.status_code == 201, r.text
        return headers, debts, r.json()


Account = tuple[dict[str, str], list[dict], dict]  # _setup's: headers, debts, goal


def _payment(http: httpx.Client, account: Account) -> httpx.Response:
    headers, debts, _ = account
    debt = random.choice(debts)
    body = {"debt_id": debt["id"], "amount": debt["monthly_emi"], "payment_type": "emi"}
    if random.random() < 0.5:
        body |= {"amount": "500.00", "payment_type": "prepayment"}
    return http.post("/api/payments", headers=headers, json=body)


def _expense(http: httpx.Client, account: Account) -> httpx.Response:
    body = {"title": "Chai", "category": "food", "amount": "20.00"}
    return http.post("/api/expenses", headers=account[0], json=body)


def _contribution(http: httpx.Client, account: Account) -> httpx.Response:
    headers, _, goal = account
    return http.post(f"/api/goals/{goal['id']}/contribute", headers=headers, json={"amount": "100"})


KINDS = [
    (_payment, "payments", lambda body: body["id"]),
    (_expense, "expenses", lambda body: body["id"]),
    (_contribution, "goal_contributions", lambda body: body["contribution"]["id"]),
]


def _start_writers(url, accounts: list[Account], traffic, stop) -> list[threading.Thread]:
    """WRITERS_PER_KIND writers of each kind, each for a user of its own (`accounts`): one
    user's writes take turns on the user's change counter (core/sync.py), and the kill needs
    many writes in flight."""
    writers = zip(accounts, KINDS * WRITERS_PER_KIND, strict=True)
    threads = [
        threading.Thread(
            target=_writer,
            args=(url, lambda http, a=account, s=send: s(http, a), coll, pick, traffic, stop),
            daemon=True,
        )
        for account, (send, coll, pick) in writers
    ]
    for thread in threads:
        thread.start()
    return threads


def _missing(db, acks: list[Ack]) -> list[Ack]:
    missing = []
    for coll in {a.collection for a in acks}:
        ids = [ObjectId(a.id) for a in acks if a.collection == coll]
        present = {d["_id"] for d in db[coll].find({"_id": {"$in": ids}}, {"_id": 1})}
        missing += [a for a in acks if a.collection == coll and ObjectId(a.id) not in present]
    return missing


def _assert_sums_match(db, debts: list[dict], goal: dict) -> None:
    """Each debt's running sums equal its payments; the goal's amount its contributions."""
    for debt in debts:
        oid = ObjectId(debt["id"])
        stored = db.debts.find_one({"_id": oid})
        payments = list(db.payments.find({"debt_id": oid}))
        principal = sum((p["principal_component"] for p in payments), Decimal(0))
        assert stored["remaining_amount"] == Decimal(debt["remaining_amount"]) - principal
        assert stored["total_paid"] == sum((p["amount"] for p in payments), Decimal(0))
        interest = sum((p["interest_component"] for p in payments), Decimal(0))
        assert stored["total_interest_paid"] == interest
        assert stored["payments_count"] == len(payments)
    oid = ObjectId(goal["id"])
    saved = sum((c["amount"] for c in db.goal_contributions.find({"goal_id": oid})), Decimal(0))
    assert db.goals.find_one({"_id": oid})["current_amount"] == saved


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if httpx.get(f"{url}/health/ready", timeout=5).status_code == 200:
            return
        time.sleep(0.2)
    raise AssertionError("the API did not see the restarted database within 30 s")


def test_acknowledged_writes_survive_a_database_kill(tmp_path: Path):
    port, storage, db_log = embedded_db.free_port(), tmp_path / "db", tmp_path / "db.log"
    db_proc = embedded_db.start(storage, port, db_log)
    db_name = f"test_durable_{uuid.uuid4().hex[:8]}"
    env = {
        "APP_ENV": "test",
        "SECRET_KEY": "durability-test-secret-key-0123456789abcdef",
        "MONGODB_URL": embedded_db.url(port),
        "MONGODB_DB": db_name,
        "MAIL_DIR": str(tmp_path / "mail"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "RUN_WORKER": "false",
        "BCRYPT_ROUNDS": "4",
        "DB_TIMEOUT_MS": "1000",
    }
    api, url = start_server("main:app", env, tmp_path / "api.log", "/health/ready")
    report = []
    try:
        accounts = [_setup(url) for _ in range(len(KINDS) * WRITERS_PER_KIND)]
        for round_ in range(ROUNDS):
            traffic, stop = Traffic(), threading.Event()
            threads = _start_writers(url, accounts, traffic, stop)
            time.sleep(random.uniform(0.8, 1.6))
            killed_at = time.monotonic()
            os.kill(db_proc.pid, signal.SIGKILL)
            db_proc.wait()
            time.sleep(0.3)  # writers keep sending while the database is gone
            stop.set()
            db_proc = embedded_db.start(storage, port, db_log)
            for thread in threads:
                thread.join(timeout=90)
                assert not thread.is_alive(), "a writer hung"
            assert not traffic.failures, traffic.failures
            _wait_ready(url)

            with MongoClient(embedded_db.url(port), directConnection=True) as client:
                db = client.get_database(db_name, codec_options=CODEC_OPTIONS)
                missing = _missing(db, traffic.acks)
                before = [a for a in traffic.acks if a.at <= killed_at]
                late = [a for a in before if killed_at - a.at < 0.1]
                report.append(
                    f"round {round_ + 1}: {len(traffic.acks)} acknowledged ({len(before)} before "
                    f"the kill, {len(late)} within 100 ms of it), {traffic.unknown} 5xx, "
                    f"{len(missing)} lost"
                )
                print(report[-1])
                assert late, "no write was acknowledged just before the kill: nothing was tested"
                assert not missing, "\n".join(report) + "".join(
                    f"\nlost {a.collection} {a.id}, acknowledged at "
                    f"{(a.at - killed_at) * 1000:+.0f} ms from the kill"
                    for a in missing
                )
                for _, debts, goal in accounts:
                    _assert_sums_match(db, debts, goal)
    finally:
        stop_server(api)
        embedded_db.stop(db_proc)
