"""An API process killed mid-transaction stalls writes to the same debt only until the
database aborts its abandoned transaction (TRANSACTION_LIFETIME_SECONDS, 8 s)."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from bson import ObjectId

pytestmark = pytest.mark.process  # a second process, killed mid-transaction

# The dead API: a separate process opens a transaction, writes the debt the way a payment
# does, and is SIGKILLed before it commits or aborts, leaving the transaction open.
HALF_DONE_PAYMENT = """
import sys, time
from bson import Decimal128, ObjectId
from pymongo import MongoClient

url, db_name, debt_id = sys.argv[1:]
client = MongoClient(url)
session = client.start_session()
session.start_transaction()
client[db_name].debts.update_one(
    {"_id": ObjectId(debt_id)},
    {"$inc": {"total_paid": Decimal128("999")}, "$set": {"name": "half-written"}},
    session=session,
)
print("open", flush=True)
time.sleep(600)
"""

STALL_LIMIT = 15.0


def crash_mid_transaction(mongo_url: str, db_name: str, debt_id: str) -> None:
    dead_api = subprocess.Popen(
        [sys.executable, "-c", HALF_DONE_PAYMENT, mongo_url, db_name, debt_id],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert dead_api.stdout is not None and dead_api.stdout.readline() == "open\n"
    finally:
        os.kill(dead_api.pid, signal.SIGKILL)
        dead_api.wait()


async def test_a_write_after_an_api_crash_mid_transaction_waits_under_15_s(
    client, user, mongo_url, settings, db
):
    debt = await client.post(
        "/api/debts",
        headers=user.headers,
        json={"name": "Car", "debt_type": "car_loan", "principal": "500000",
              "interest_rate": "9", "tenure_months": 60, "start_date": "2025-03-05"},
    )  # fmt: skip
    assert debt.status_code == 201, debt.text
    debt_id = debt.json()["id"]

    await asyncio.to_thread(crash_mid_transaction, mongo_url, settings.mongodb_db, debt_id)

    started = time.monotonic()
    payment = await client.post(
        "/api/payments",
        headers=user.headers,
        json={"debt_id": debt_id, "amount": "1000.00", "payment_type": "prepayment"},
        timeout=130,
    )
    stall = time.monotonic() - started
    print(f"write after the crash took {stall:.2f} s")
    assert payment.status_code == 201, payment.text
    assert stall < STALL_LIMIT, f"the write waited {stall:.1f} s for the dead transaction"

    stored = await db.debts.find_one({"_id": ObjectId(debt_id)})
    assert stored["name"] == "Car"  # the dead process's write never committed
    assert stored["total_paid"] == Decimal("1000.00")
