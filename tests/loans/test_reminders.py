"""EMI reminders: which debts get a payment_reminder or payment_due and when (in the user's
timezone), exactly once even with concurrent schedulers, and the scheduler in the lifespan."""

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from bson import ObjectId

from database import connect, get_database
from loans.reminders import run_reminders
from main import create_app
from notifications import owners
from tests.factories import make_settings

IST = "Asia/Kolkata"
DUE = date(2025, 3, 13)


def local(day: date, hour: int, tz: str = IST) -> datetime:
    """An instant: `hour` o'clock on `day` in `tz`."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(tz)).astimezone(UTC)


async def insert_debt(db, user_id, due_day=DUE, **fields):
    doc = {
        "user_id": ObjectId(user_id),
        "name": "Home Loan",
        "debt_type": "home_loan",
        "status": "active",
        "monthly_emi": Decimal("45000.00"),
        "remaining_amount": Decimal("4000000.00"),
        # As the debts API stores a calendar day: the day itself (midnight UTC in BSON).
        "next_payment_date": due_day,
        "created_at": datetime.now(UTC),
    } | fields
    doc["_id"] = (await db.debts.insert_one(doc)).inserted_id
    return doc


async def notes(db, type_=None):
    kinds = [type_] if type_ else ["payment_reminder", "payment_due"]
    query = {"notification_type": {"$in": kinds}}
    return await db.notifications.find(query).sort("created_at", 1).to_list(None)


async def test_reminder_three_days_before_then_due_on_the_day_each_once(
    db, settings, user, deliver, mailbox
):
    debt = await insert_debt(db, user.id)

    assert await run_reminders(db, settings, at=local(DUE - timedelta(days=4), 10)) == 0
    assert await run_reminders(db, settings, at=local(DUE - timedelta(days=3), 10)) == 1
    (reminder,) = await notes(db, "payment_reminder")
    assert reminder["user_id"] == ObjectId(user.id)
    assert reminder["title"] == "Home Loan EMI due in 3 days"
    assert reminder["message"] == "Your Home Loan EMI of ₹45,000.00 is due on 13 Mar 2025."
    assert reminder["action_url"] == f"/debts/{debt['_id']}"

    # Later passes the same day and the days after send nothing new until the due date.
    for day, hour in ((DUE - timedelta(days=3), 18), (DUE - timedelta(days=2), 10), (DUE, 7)):
        assert await run_reminders(db, settings, at=local(day, hour)) == 0
    assert await run_reminders(db, settings, at=local(DUE, 9)) == 1
    assert await run_reminders(db, settings, at=local(DUE, 15)) == 0
    (due,) = await notes(db, "payment_due")
    assert due["title"] == "Home Loan EMI is due today"
    assert due["message"] == "Your Home Loan EMI of ₹45,000.00 is due today (13 Mar 2025)."
    assert await db.reminders.count_documents({"debt_id": debt["_id"]}) == 2

    # Notification + push + email for each.
    assert await db.outbox.count_documents({"kind": "push", "payload.user_id": user.id}) == 2
    await deliver()
    emails = {m["Subject"]: m for m in mailbox()}
    early = emails["Home Loan EMI due on 13 March 2025"]
    html = early.get_body(("html",)).get_content()
    text = early.get_body(("plain",)).get_content()
    for part in (html, text):
        assert "Home Loan" in part and "₹45,000.00" in part and "13 March 2025" in part
        assert f"/debts/{debt['_id']}" in part
    assert "due in 3 days" in text
    today = emails["Home Loan EMI is due today"].get_body(("plain",)).get_content()
    assert "is due today" in today


async def test_the_next_due_date_gets_its_own_reminder(db, settings, user):
    debt = await insert_debt(db, user.id)
    assert await run_reminders(db, settings, at=local(DUE - timedelta(days=1), 10)) == 1
    # Paid: the debts API moves next_payment_date a month on.
    next_due = date(2025, 4, 13)
    await db.debts.update_one({"_id": debt["_id"]}, {"$set": {"next_payment_date": next_due}})
    assert await run_reminders(db, settings, at=local(next_due - timedelta(days=3), 10)) == 1
    due_dates = sorted(r["due_date"] for r in await db.reminders.find({}).to_list(None))
    assert due_dates == ["2025-03-13", "2025-04-13"]


@pytest.mark.parametrize(
    ("fields", "at"),
    [
        ({"status": "completed"}, local(DUE, 10)),
        ({"status": "closed"}, local(DUE - timedelta(days=1), 10)),
        ({}, local(DUE + timedelta(days=1), 10)),  # overdue: no "due in -1 days"
        ({}, local(DUE - timedelta(days=4), 23)),  # not yet in the window
        ({}, local(DUE - timedelta(days=2), 7)),  # before 08:00 local time
    ],
)
async def test_no_reminder(db, settings, user, fields, at):
    await insert_debt(db, user.id, **fields)
    assert await run_reminders(db, settings, at=at) == 0
    assert await notes(db) == []
    assert await db.reminders.count_documents({}) == 0


async def test_reminder_days_is_configurable(db, settings, user):
    await insert_debt(db, user.id)
    five = settings.model_copy(update={"reminder_days": 5})
    assert await run_reminders(db, settings, at=local(DUE - timedelta(days=5), 10)) == 0
    assert await run_reminders(db, five, at=local(DUE - timedelta(days=5), 10)) == 1
    (note,) = await notes(db)
    assert note["title"] == "Home Loan EMI due in 5 days"


async def test_days_are_counted_in_the_users_timezone(client, db, settings, user):
    tz = "America/Los_Angeles"
    r = await client.put("/api/users/me", json={"profile": {"timezone": tz}}, headers=user.headers)
    assert r.status_code == 200
    await insert_debt(db, user.id)  # due 13 March: a day, whatever the timezone
    # 03:00 UTC on the 13th is still the evening of the 12th in Los Angeles: 1 day left,
    # although the UTC date is already the due date.
    at = datetime(2025, 3, 13, 3, tzinfo=UTC)
    assert await run_reminders(db, settings, at=at) == 1
    (note,) = await notes(db)
    assert (
        note["notification_type"] == "payment_reminder"
        and note["title"] == "Home Loan EMI due in 1 day"
    )
    # 10:00 on the 13th in Los Angeles (17:00 UTC): due today.
    assert await run_reminders(db, settings, at=local(DUE, 10, tz)) == 1
    assert [n["notification_type"] for n in await notes(db)] == ["payment_reminder", "payment_due"]


async def test_two_concurrent_schedulers_send_one_reminder_per_debt(
    db, settings, user, other_user, mongo_url
):
    debts = [await insert_debt(db, user.id, name=f"Loan {i}") for i in range(3)]
    debts += [await insert_debt(db, other_user.id, name=f"Card {i}") for i in range(2)]
    at = local(DUE - timedelta(days=2), 10)

    # Same client, interleaved on one event loop ...
    sent = await asyncio.gather(*[run_reminders(db, settings, at=at) for _ in range(2)])
    assert sum(sent) == 5
    # ... and two independent schedulers (separate connection pools, as two processes have).
    clients = [connect(mongo_url, settings) for _ in range(2)]
    try:
        dbs = [get_database(c, settings.mongodb_db) for c in clients]
        due_at = local(DUE, 10)
        sent = await asyncio.gather(*[run_reminders(d, settings, at=due_at) for d in dbs])
        assert sum(sent) == 5
    finally:
        for c in clients:
            await c.close()

    for debt in debts:
        kinds = sorted(
            n["notification_type"]
            for n in await db.notifications.find({"action_url": f"/debts/{debt['_id']}"}).to_list(
                None
            )
        )
        assert kinds == ["payment_due", "payment_reminder"], debt["name"]
    assert await db.reminders.count_documents({}) == 10
    assert await db.outbox.count_documents({"kind": "push"}) == 10


async def test_users_are_joined_in_batches(db, settings, user, other_user, monkeypatch):
    calls = []
    real_find = type(db.users).find

    def counting_find(self, *args, **kwargs):
        if self.name == "users":
            calls.append(args[0])
        return real_find(self, *args, **kwargs)

    monkeypatch.setattr(owners, "BATCH", 3)  # the batching every pass shares
    monkeypatch.setattr(type(db.users), "find", counting_find)
    for i in range(4):
        await insert_debt(db, user.id, name=f"Loan {i}")
    for i in range(3):
        await insert_debt(db, other_user.id, name=f"Card {i}")
    assert await run_reminders(db, settings, at=local(DUE - timedelta(days=1), 10)) == 7
    assert len(calls) == 3  # 7 debts in batches of 3: one user query per batch, not per debt
    assert all("$in" in c["_id"] for c in calls)


async def test_muted_email_still_stores_notification_and_push(client, db, settings, user):
    r = await client.put(
        "/api/users/me",
        json={"notification_preferences": {"payment_reminder": {"email": False}}},
        headers=user.headers,
    )
    assert r.status_code == 200
    await insert_debt(db, user.id)
    assert await run_reminders(db, settings, at=local(DUE - timedelta(days=3), 10)) == 1
    assert len(await notes(db)) == 1
    assert await db.outbox.count_documents({"kind": "push"}) == 1
    assert (
        await db.outbox.count_documents({"kind": "email", "payload.subject": {"$regex": "EMI"}})
        == 0
    )


async def test_inactive_or_deleted_users_get_no_reminders(db, settings, user):
    await insert_debt(db, str(ObjectId()))  # the user is gone
    await insert_debt(db, user.id)
    await db.users.update_one({"_id": ObjectId(user.id)}, {"$set": {"is_active": False}})
    assert await run_reminders(db, settings, at=local(DUE, 10)) == 0


async def test_one_broken_debt_does_not_block_the_others(db, settings, user):
    await insert_debt(db, user.id, name="Broken", monthly_emi=None)
    await insert_debt(db, user.id, name="Fine")
    assert await run_reminders(db, settings, at=local(DUE, 10)) == 1
    (note,) = await notes(db)
    assert note["title"] == "Fine EMI is due today"


async def test_the_api_lifespan_runs_the_scheduler(mongo_url, tmp_path):
    settings = make_settings(
        mongo_url,
        tmp_path,
        run_worker=True,
        reminder_local_hour=0,
        outbox_poll_seconds=0.1,
        mongodb_db=f"test_{uuid.uuid4().hex[:16]}",
    )
    # The data exists before the app starts: its first scheduler pass runs at startup.
    seed = connect(mongo_url, settings)
    db = get_database(seed, settings.mongodb_db)
    user_id = (
        await db.users.insert_one(
            {
                "email": "lifespan@example.com",
                "full_name": "Lifespan",
                "profile": {"timezone": IST, "preferred_currency": "INR"},
                "notification_preferences": {},
                "is_active": True,
            }
        )
    ).inserted_id
    tomorrow = datetime.now(ZoneInfo(IST)).date() + timedelta(days=1)
    await insert_debt(db, user_id, due_day=tomorrow)
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            for _ in range(100):
                sent = await db.outbox.count_documents({"status": "sent"})
                if await notes(db) and sent == 2:
                    break
                await asyncio.sleep(0.1)
            assert [n["notification_type"] for n in await notes(db)] == ["payment_reminder"]
            assert await db.outbox.count_documents({"status": "sent"}) == 2  # push + email
            names = [t.get_name() for t in asyncio.all_tasks()]
            assert "reminder-scheduler" in names and "outbox-dispatcher" in names
        names = [t.get_name() for t in asyncio.all_tasks()]
        assert "reminder-scheduler" not in names  # stopped with the app
    finally:
        await seed.drop_database(settings.mongodb_db)
        await seed.close()
