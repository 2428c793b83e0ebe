"""`python -m ops.worker` as operators run it: --once (cron, tests), --retry-failed, the forever
loop with a clean SIGTERM, two workers at once, and a database that is down."""

import asyncio
import os
import re
import signal
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bson import ObjectId

ROOT = Path(__file__).resolve().parents[2]
IST = "Asia/Kolkata"

pytestmark = pytest.mark.process  # `python -m ops.worker` processes


def worker_env(settings, **overrides) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "ONESIGNAL_", "AWS_"))
    }
    return (
        env
        | {
            "APP_ENV": "test",
            "SECRET_KEY": settings.secret_key,
            "MONGODB_URL": settings.mongodb_url,
            "MONGODB_DB": settings.mongodb_db,
            "MAIL_DIR": str(settings.mail_dir),
            "UPLOAD_DIR": str(settings.upload_dir),
            "EMAIL_BACKEND": "file",
            "PUSH_BACKEND": "log",
            "STORAGE_BACKEND": "local",
            "REMINDER_LOCAL_HOUR": "0",  # whatever the hour in Kolkata when the test runs
            "DB_TIMEOUT_MS": "1500",
        }
        | overrides
    )


async def start_worker(settings, *args: str, **env: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ops.worker",
        *args,
        cwd=ROOT,
        env=worker_env(settings, **env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_worker(settings, *args: str, **env: str) -> tuple[int, str, str]:
    proc = await start_worker(settings, *args, **env)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode, out.decode(), err.decode()


def counts(stdout: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", stdout)}


async def insert_due_debt(db, user_id: str, name: str = "Car Loan", days: int = 1):
    due = datetime.now(ZoneInfo(IST)).date() + timedelta(days=days)
    doc = {
        "user_id": ObjectId(user_id),
        "name": name,
        "status": "active",
        "monthly_emi": Decimal("12500.00"),
        "next_payment_date": due,  # a calendar day, as the debts API stores it
        "created_at": datetime.now(UTC),
    }
    return (await db.debts.insert_one(doc)).inserted_id


async def test_once_sends_due_reminders_and_delivers_the_outbox(db, settings, user, mailbox):
    debt_id = await insert_due_debt(db, user.id)
    code, out, err = await run_worker(settings, "--once")
    assert code == 0, err
    # The reminder (notification + push + email) and the pending welcome email, in one pass.
    assert counts(out) == {"reminders": 1, "detections": 0, "sent": 3}
    (note,) = await db.notifications.find({"notification_type": "payment_reminder"}).to_list(None)
    assert note["action_url"] == f"/debts/{debt_id}"
    assert await db.outbox.count_documents({"status": {"$ne": "sent"}}) == 0
    subjects = sorted(m["Subject"] for m in mailbox())
    assert subjects[0].startswith("Car Loan EMI due on")
    assert subjects[1] == "Welcome to Cleero Financial Compass"

    # Run again: nothing is sent twice.
    code, out, _ = await run_worker(settings, "--once")
    assert code == 0 and counts(out) == {"reminders": 0, "detections": 0, "sent": 0}


async def test_two_workers_at_once_remind_and_deliver_exactly_once(db, settings, user, other_user):
    for i in range(3):
        await insert_due_debt(db, user.id, name=f"Loan {i}")
    await insert_due_debt(db, other_user.id, name="Card", days=0)
    procs = [await start_worker(settings, "--once") for _ in range(2)]
    results = await asyncio.wait_for(asyncio.gather(*[p.communicate() for p in procs]), 60)
    assert [p.returncode for p in procs] == [0, 0], [e.decode() for _, e in results]
    totals = [counts(out.decode()) for out, _ in results]
    assert sum(t["reminders"] for t in totals) == 4
    assert await db.reminders.count_documents({}) == 4
    assert await db.notifications.count_documents({}) == 4
    # Every message claimed and sent by exactly one of them (2 welcomes + 4 pushes + 4 emails);
    # a message the loser queued after the winner's dispatch pass may still be pending.
    total = await db.outbox.count_documents({})
    assert total == 10
    sent = await db.outbox.count_documents({"status": "sent"})
    assert sum(t["sent"] for t in totals) == sent
    assert await db.outbox.count_documents({"attempts": {"$gt": 1}}) == 0


async def test_retry_failed_requeues_and_health_shows_it(client, db, settings, user, mailbox):
    await db.outbox.delete_many({})
    for i in range(2):
        await db.outbox.insert_one(
            {
                "kind": "email",
                "payload": {
                    "to": user.email,
                    "subject": f"Stuck {i}",
                    "html": "<p>hi</p>",
                    "text": "hi",
                },
                "status": "failed",
                "attempts": 8,
                "last_error": "HTTPStatusError: 503",
                "next_attempt_at": datetime.now(UTC),
                "created_at": datetime.now(UTC),
            }
        )
    r = await client.get("/health/ready")
    assert r.json()["outbox"] == {"backlog": 0, "failed": 2}
    code, out, _ = await run_worker(settings, "--once")
    assert counts(out)["sent"] == 0  # failed messages stay put until an operator acts

    code, out, err = await run_worker(settings, "--retry-failed")
    assert code == 0, err
    assert counts(out) == {"requeued": 2}
    r = await client.get("/health/ready")
    assert r.json()["outbox"] == {"backlog": 2, "failed": 0}
    async for message in db.outbox.find({}):
        assert message["status"] == "pending" and message["attempts"] == 0

    code, out, _ = await run_worker(settings, "--once")
    assert counts(out)["sent"] == 2
    assert sorted(m["Subject"] for m in mailbox()) == ["Stuck 0", "Stuck 1"]


async def test_forever_mode_delivers_and_stops_cleanly_on_sigterm(db, settings, user):
    proc = await start_worker(settings, OUTBOX_POLL_SECONDS="0.2")
    try:
        for _ in range(150):
            if await db.outbox.count_documents({"status": "sent"}) == 1:
                break
            await asyncio.sleep(0.1)
        assert await db.outbox.count_documents({"status": "sent"}) == 1  # the welcome email
        lease = await db.locks.find_one({"_id": "outbox-dispatcher"})
        assert lease is not None
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 0, err.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    # The lease is handed back at once, so another worker can take over without waiting.
    assert await db.locks.find_one({"_id": "outbox-dispatcher"}) is None
    assert "worker stopping" in err.decode()


async def test_database_down_exits_non_zero(settings):
    unreachable = "mongodb://127.0.0.1:9/?directConnection=true"
    code, _, err = await run_worker(
        settings, "--once", MONGODB_URL=unreachable, DB_TIMEOUT_MS="300"
    )
    assert code == 1
    assert "database unavailable" in err
