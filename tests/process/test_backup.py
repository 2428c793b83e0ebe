"""`python -m ops.backup`: a consistent dump in mongodump's layout, restored byte for byte."""

import asyncio
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import bson
import pytest
from pymongo import MongoClient

from database import CODEC_OPTIONS
from ops import backup

ROOT = Path(__file__).resolve().parents[2]


async def seed(client, user) -> str:
    """One of everything through the API; returns a debt id."""
    h = user.headers

    async def post(path: str, body: dict, **headers: str) -> dict:
        response = await client.post(path, headers=h | headers, json=body)
        assert response.status_code == 201, response.text
        return response.json()

    loan = {"debt_type": "home_loan", "principal": "2500000", "interest_rate": "8.5",
            "tenure_months": 240, "start_date": "2024-04-01"}  # fmt: skip
    debt = await post("/api/debts", {"name": "Home", **loan})
    await post("/api/debts", {"name": "Card", **loan, "debt_type": "credit_card"})
    await post("/api/payments", {"debt_id": debt["id"], "amount": debt["monthly_emi"]})
    await post("/api/payments", {"debt_id": debt["id"], "amount": "50000",
                                 "payment_type": "prepayment"}, **{"Idempotency-Key": "k-1"})  # fmt: skip
    await post("/api/budgets", {"category": "food", "monthly_limit": "5000"})
    await post("/api/expenses", {"title": "Dosa", "category": "food", "amount": "4500.50",
                                 "tags": ["breakfast"]})  # fmt: skip
    await post("/api/income", {"source": "Salary", "amount": "150000", "income_type": "salary"})
    goal = await post("/api/goals", {"title": "Trip", "target_amount": "200000",
                                     "target_date": "2030-12-31"})  # fmt: skip
    await post(f"/api/goals/{goal['id']}/contribute", {"amount": "60000"})
    return debt["id"]


def contents(db) -> dict[str, tuple[dict, dict[bytes, bytes]]]:
    """Per collection: its indexes and its documents as raw BSON, keyed by raw `_id`."""
    raw = db.client.get_database(db.name, codec_options=backup.RAW)
    return {
        name: (
            db[name].index_information(),
            {bson.encode({"_id": d["_id"]}): d.raw for d in raw[name].find()},
        )
        for name in db.list_collection_names()
    }


def run_backup(*args: str, mongo_url: str, db_name: str) -> subprocess.CompletedProcess:
    env = os.environ | {"MONGODB_URL": mongo_url, "MONGODB_DB": db_name}
    return subprocess.run(
        [sys.executable, "-m", "ops.backup", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.process
async def test_backup_drop_restore_round_trip_and_the_api_works_on_it(
    client, user, settings, mongo_url, tmp_path
):
    debt_id = await seed(client, user)
    sync = MongoClient(mongo_url)
    db = sync[settings.mongodb_db]
    before = contents(db)
    assert {"users", "debts", "payments", "idempotency_keys", "budgets", "expenses", "income",
            "goals", "goal_contributions", "notifications", "outbox"} <= set(before)  # fmt: skip

    started = time.monotonic()
    done = await asyncio.to_thread(
        run_backup, "--out", str(tmp_path), mongo_url=mongo_url, db_name=settings.mongodb_db
    )
    backup_seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    dumped = tmp_path / settings.mongodb_db
    assert sorted(p.name for p in dumped.iterdir()) == sorted(
        f"{name}{ext}" for name in before for ext in (".bson", ".metadata.json")
    )
    meta = json.loads((dumped / "budgets.metadata.json").read_text())
    assert meta["collectionName"] == "budgets" and meta["type"] == "collection"
    assert len(meta["uuid"]) == 32
    assert meta["indexes"][0] == {"v": {"$numberInt": "2"}, "key": {"_id": {"$numberInt": "1"}},
                                  "name": "_id_"}  # fmt: skip
    partial = next(ix for ix in meta["indexes"] if ix["name"] == "one_active_budget_per_category")
    assert partial["unique"] is True and partial["partialFilterExpression"] == {"active": True}

    sync.drop_database(settings.mongodb_db)
    started = time.monotonic()
    done = await asyncio.to_thread(
        run_backup, "restore", str(tmp_path), mongo_url=mongo_url, db_name=settings.mongodb_db
    )
    restore_seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    print(f"backup {backup_seconds:.2f} s, restore {restore_seconds:.2f} s: {done.stdout}")

    after = contents(db)
    assert after.keys() == before.keys()
    for name, (indexes, docs) in before.items():
        assert after[name][0] == indexes, name  # keys, unique, partial filters, TTLs
        assert after[name][1] == docs, name  # every document, byte for byte

    login = await client.post(
        "/api/auth/login", json={"email": user.email, "password": user.password}
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    debt = await client.get(f"/api/debts/{debt_id}", headers=headers)
    assert debt.status_code == 200 and debt.json()["payments_count"] == 2
    paid = await client.post(
        "/api/payments",
        headers=headers,
        json={"debt_id": debt_id, "amount": "1000", "payment_type": "prepayment"},
    )
    assert paid.status_code == 201, paid.text
    sync.close()


@pytest.mark.process
async def test_restore_refuses_a_non_empty_database_unless_told_to_drop_it(
    client, user, settings, mongo_url, tmp_path
):
    await seed(client, user)
    name = settings.mongodb_db
    assert run_backup("--out", str(tmp_path), mongo_url=mongo_url, db_name=name).returncode == 0
    later = await client.post(
        "/api/expenses",
        headers=user.headers,
        json={"title": "Later", "category": "x", "amount": "1"},
    )
    assert later.status_code == 201

    refused = run_backup("restore", str(tmp_path), mongo_url=mongo_url, db_name=name)
    assert refused.returncode == 1
    assert f"database {name!r} is not empty" in refused.stderr
    assert (
        await client.get(f"/api/expenses/{later.json()['id']}", headers=user.headers)
    ).is_success

    replaced = run_backup("restore", str(tmp_path), "--drop", mongo_url=mongo_url, db_name=name)
    assert replaced.returncode == 0, replaced.stderr
    gone = await client.get(f"/api/expenses/{later.json()['id']}", headers=user.headers)
    assert gone.status_code == 404  # the database is the backup's again


async def test_a_backup_taken_under_payment_traffic_is_consistent(
    client, user, settings, mongo_url, tmp_path
):
    """Debts and payments read at one point in time: in every backup each debt's running sums
    equal its payments, though payments commit while the backups run."""
    debt_id = await seed(client, user)
    stop = asyncio.Event()

    async def pay() -> int:
        count = 0
        body = {"debt_id": debt_id, "amount": "10", "payment_type": "prepayment"}
        while not stop.is_set():
            response = await client.post("/api/payments", headers=user.headers, json=body)
            assert response.status_code == 201, response.text
            count += 1
        return count

    def dumps() -> None:
        try:
            with MongoClient(mongo_url) as sync:
                for i in range(12):
                    backup.dump(sync, settings.mongodb_db, tmp_path / str(i))
        finally:
            stop.set()

    payers = [asyncio.create_task(pay()) for _ in range(3)]
    await asyncio.to_thread(dumps)
    made = sum(await asyncio.gather(*payers))

    for i in range(12):
        folder = tmp_path / str(i) / settings.mongodb_db
        debts = read(folder / "debts.bson")
        payments = read(folder / "payments.bson")
        for debt in debts:
            mine = [p for p in payments if p["debt_id"] == debt["_id"]]
            assert debt["payments_count"] == len(mine), f"backup {i}"
            assert debt["total_paid"] == sum((p["amount"] for p in mine), Decimal(0))
    counts = {
        len(read(tmp_path / str(i) / settings.mongodb_db / "payments.bson")) for i in range(12)
    }
    assert len(counts) > 1, f"no payment landed between backups ({made} made): nothing was tested"


def read(path: Path) -> list[dict]:
    with path.open("rb") as f:
        return list(bson.decode_file_iter(f, codec_options=CODEC_OPTIONS))
