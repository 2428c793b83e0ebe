"""The one-off migrations: data stored the old way (local-midnight instants for days, the old
field names) reads back as the owner's names and the right calendar days, exactly once."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from bson import ObjectId
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from core.dates import DEFAULT_TZ, current_month, start_of_day
from database import USER_COLLECTIONS, ensure_indexes
from imports.store import fingerprint_id
from ops import migrations
from tests.factories import budget, commit, expense, get, upload
from tests.statement_workbooks import fixture

OLD = datetime(2024, 1, 1, tzinfo=UTC)  # written long before the migration ran


async def seed_the_old_way(db, user_id):
    uid = ObjectId(user_id)
    debt = {
        "user_id": uid,
        "name": "Car",
        "debt_type": "car_loan",
        "principal": Decimal("100000.00"),
        "interest_rate": Decimal("12.00"),
        "tenure_months": 12,
        "monthly_emi": Decimal("8884.88"),
        "remaining_amount": Decimal("100000.00"),
        "total_paid": Decimal("0.00"),
        "total_interest_paid": Decimal("0.00"),
        "status": "active",
        # The old API stored a day as the instant it began in the user's timezone.
        "start_date": start_of_day(date(2024, 1, 1), "Asia/Kolkata"),  # 2023-12-31T18:30Z
        "next_payment_date": start_of_day(date(2024, 2, 1), "Asia/Kolkata"),
        "due_anchor": "2024-02-01",
        "due_offset": 0,
        "created_at": OLD,
        "updated_at": OLD,
    }
    debt["_id"] = (await db.debts.insert_one(debt)).inserted_id
    payment = {
        "user_id": uid,
        "debt_id": debt["_id"],
        "debt_name": "Car",
        "amount": Decimal("100.00"),
        "payment_date": datetime(2024, 1, 31, 20, 30, tzinfo=UTC),  # 02:00 on 1 Feb in India
        "payment_type": "prepayment",
        "payment_method": "upi",
        "interest_component": Decimal("0.00"),
        "principal_component": Decimal("100.00"),
        "remaining_after": Decimal("99900.00"),
        "transaction_id": "t-1",
        "created_at": OLD,
    }
    payment["_id"] = (await db.payments.insert_one(payment)).inserted_id
    income = {
        "user_id": uid,
        "source": "Job",
        "amount": Decimal("10.00"),
        "income_type": "salary",
        "frequency": "monthly",
        "date": datetime(2024, 1, 31, 18, 29, 59, tzinfo=UTC),  # 23:59:59 on 31 Jan
        "tags": [],
        "created_at": OLD,
        "updated_at": OLD,
    }
    income["_id"] = (await db.income.insert_one(income)).inserted_id
    await db.budgets.drop_index("one_active_budget_per_category")
    await db.budgets.create_index(
        [("user_id", ASCENDING), ("category", ASCENDING)],
        unique=True,
        partialFilterExpression={"is_active": True},
        name="one_active_budget_per_category",
    )
    budget = {
        "user_id": uid,
        "category": "food",
        "amount": Decimal("5000.00"),
        "alert_threshold": 80,
        "is_active": True,
        "created_at": OLD,
        "updated_at": OLD,
    }
    budget["_id"] = (await db.budgets.insert_one(budget)).inserted_id
    note = {
        "user_id": uid,
        "type": "system",
        "title": "Hello",
        "message": "Welcome",
        "is_read": False,
        "created_at": OLD,
    }
    await db.notifications.insert_one(note)
    await db.users.update_one({"_id": uid}, {"$unset": {"updated_at": ""}})
    return debt, payment, income, budget


async def test_old_documents_read_back_with_the_owners_names_and_days(client, db, user):
    debt, payment, income, budget = await seed_the_old_way(db, user.id)
    await db.migrations.delete_many({})  # as on a database the old version wrote

    assert await migrations.migrate(db) == [
        "2026-11-owner-names",
        "2026-11-calendar-days",
        "2026-11-loan-books",
        "2026-12-category-spend",
        "2026-12-user-first-unique-indexes",
        "2026-12-import-accounts",
        "2026-12-sync-versions",
        "2026-12-entry-creation-indexes",
        "2026-12-payee-keys",
        "2026-12-account-months",
        "2026-12-fingerprint-ids",
    ]
    await ensure_indexes(db)  # as the start-up does next
    shown = await get(client, user, f"/api/debts/{debt['_id']}")
    assert (shown["start_date"], shown["next_payment_date"]) == ("2024-01-01", "2024-02-01")
    # The book replayed its payment: 1,00,000 - 100 prepaid. The EMI of 8,884.88 (the
    # formula's for 12 months at 1 %) still needs 12: 11 x 8,884.88 = 97,733.68 < 99,900
    # even before any interest.
    assert (shown["remaining_amount"], shown["remaining_tenure_months"]) == (99900, 12)
    paid = await get(client, user, f"/api/payments/{payment['_id']}")
    assert (paid["payment_date"], paid["status"]) == ("2024-02-01", "completed")
    assert (await get(client, user, f"/api/income/{income['_id']}"))["date"] == "2024-01-31"
    kept = await get(client, user, f"/api/budgets/{budget['_id']}")
    assert (kept["monthly_limit"], kept["active"]) == (5000, True)
    (note,) = (await get(client, user, "/api/notifications"))["items"]
    assert note["notification_type"] == "system"
    me = await get(client, user, "/api/users/me")
    assert me["updated_at"] == me["created_at"]
    # The one-active-budget rule holds on the new field.
    r = await client.post(
        "/api/budgets", json={"category": "food", "monthly_limit": 1}, headers=user.headers
    )
    assert r.status_code == 409

    # Idempotent: a second start-up runs nothing, and even a forced second pass moves no day.
    assert await migrations.migrate(db) == []
    record = await db.migrations.find_one({"_id": "2026-11-calendar-days"})
    await migrations.calendar_days(db, record["started_at"])
    await migrations.owner_names(db, record["started_at"])
    again = await get(client, user, f"/api/debts/{debt['_id']}")
    assert (again["start_date"], again["next_payment_date"]) == ("2024-01-01", "2024-02-01")
    assert (await get(client, user, f"/api/payments/{payment['_id']}"))["payment_date"] == (
        "2024-02-01"
    )


async def test_days_written_after_the_migration_are_left_alone(client, db, user):
    """A document the new version wrote (after the migration started) holds a day already."""
    await client.put(
        "/api/users/me", json={"profile": {"timezone": "America/New_York"}}, headers=user.headers
    )
    r = await client.post(
        "/api/income",
        json={"source": "Job", "amount": 5, "date": "2024-03-10"},
        headers=user.headers,
    )
    # As if the migration that started when this database was first served had to run again.
    await db.migrations.update_many({}, {"$unset": {"finished_at": ""}})
    assert await migrations.migrate(db) == [
        "2026-11-owner-names",
        "2026-11-calendar-days",
        "2026-11-loan-books",
        "2026-12-category-spend",
        "2026-12-user-first-unique-indexes",
        "2026-12-import-accounts",
        "2026-12-sync-versions",
        "2026-12-entry-creation-indexes",
        "2026-12-payee-keys",
        "2026-12-account-months",
        "2026-12-fingerprint-ids",
    ]
    assert (await get(client, user, f"/api/income/{r.json()['id']}"))["date"] == "2024-03-10"


async def unique_keys(db, collection):
    """{index name: its key fields} of the collection's unique indexes."""
    info = await db[collection].index_information()
    return {name: [f for f, _ in i["key"]] for name, i in info.items() if i.get("unique")}


async def test_every_unique_index_on_a_users_data_leads_with_user_id(db):
    """Per-user collections are sharded on user_id, and a sharded cluster only enforces a
    unique index that the shard key prefixes. Read from the database the start-up built."""
    checked = set()
    for name in USER_COLLECTIONS:
        for index, fields in (await unique_keys(db, name)).items():
            assert fields[0] == "user_id", (name, index, fields)
            checked.add(name)
    assert checked == {
        "payments",
        "recurring_alerts",
        "recurring_queue",
        "account_months",
        "idempotency_keys",
        "budgets",
        "budget_alerts",
        "category_spend",
        "reminders",
        "card_alerts",
        # (import_fingerprints: unique by `_id`, which starts with the user's id.)
        "import_templates",
        "import_skips",
        "accounts",
        "debts",  # a purchase converts into one card EMI
    }


async def test_the_old_unique_indexes_are_replaced_and_still_dedupe(client, db, user):
    """A deployment from before: unique on (budget_id, month, level), (debt_id, due_date,
    kind) and transaction_id. The migration swaps each for its user_id-first successor;
    an alert recorded under the old index still stops a second one."""
    year, month = current_month(DEFAULT_TZ)  # alerts are for the user's current month
    first = date(year, month, 1).isoformat()
    await budget(client, user, "food", 1000)
    await expense(client, user, 1000, first)  # 100 % of 1,000: "exceeded" (80 % recorded too)
    alert = {"notification_type": "expense_alert"}
    assert await db.notifications.count_documents(alert) == 1
    olds = {
        "budget_alerts": ["budget_id", "month", "level"],
        "reminders": ["debt_id", "due_date", "kind"],
        "payments": ["transaction_id"],
    }
    for name, fields in olds.items():  # as the old version's ensure_indexes left them
        for index in await unique_keys(db, name):
            await db[name].drop_index(index)
        await db[name].create_index([(f, ASCENDING) for f in fields], unique=True)
    await db.migrations.delete_one({"_id": "2026-12-user-first-unique-indexes"})

    assert await migrations.migrate(db) == ["2026-12-user-first-unique-indexes"]
    await ensure_indexes(db)
    for name, fields in olds.items():
        assert list((await unique_keys(db, name)).values()) == [["user_id", *fields]]

    await expense(client, user, 5, first)  # still over the limit this month
    assert await db.notifications.count_documents(alert) == 1
    uid = ObjectId(user.id)
    reminder = {"user_id": uid, "debt_id": ObjectId(), "due_date": "2024-03-05", "kind": "due"}
    await db.reminders.insert_one(dict(reminder))
    with pytest.raises(DuplicateKeyError):
        await db.reminders.insert_one(dict(reminder))
    assert await migrations.migrate(db) == []  # recorded: a second start-up runs nothing


async def test_entries_lose_the_creation_index_no_query_uses(client, db, user):
    """A deployment from before kept (user_id, created_at) on income, expenses and payments;
    the migration drops it (every insert paid for it) and the entries still list by day."""
    for name in migrations.ENTRIES_WITHOUT_CREATION_INDEX:  # as the old ensure_indexes left it
        await db[name].create_index([("user_id", ASCENDING), ("created_at", ASCENDING)])
    await expense(client, user, 250, "2026-03-05")
    await db.migrations.delete_one({"_id": "2026-12-entry-creation-indexes"})

    assert await migrations.migrate(db) == ["2026-12-entry-creation-indexes"]
    for name in migrations.ENTRIES_WITHOUT_CREATION_INDEX:
        assert "user_id_1_created_at_1" not in await db[name].index_information(), name
    listed = await get(client, user, "/api/expenses")
    assert [item["amount"] for item in listed["items"]] == [250]
    assert await migrations.migrate(db) == []  # recorded: a second start-up runs nothing


async def test_fingerprints_committed_before_take_their_key_as_id_and_still_dedupe(
    client, db, user
):
    """A deployment from before: each committed row's fingerprint under an ObjectId, with a
    unique (user_id, fingerprint) index. The migration re-keys them (some already were: a
    run that stopped after a batch) and drops the index; the statement again is all
    duplicates, and committing it creates nothing."""
    data = fixture("hdfc_delimited.txt")  # 9 rows: 7 debits, 2 credits
    await commit(client, user, (await upload(client, user, data))["id"])
    prints = await db.import_fingerprints.find().sort("line").to_list(None)
    assert len(prints) == 9
    await db.import_fingerprints.delete_many({})
    for at, doc in enumerate(prints):  # as the old version stored them, but the first three
        await db.import_fingerprints.insert_one(doc if at < 3 else doc | {"_id": ObjectId()})
    await db.import_fingerprints.create_index(
        [("user_id", ASCENDING), ("fingerprint", ASCENDING)], unique=True
    )
    await db.migrations.delete_one({"_id": "2026-12-fingerprint-ids"})

    assert await migrations.migrate(db) == ["2026-12-fingerprint-ids"]
    after = await db.import_fingerprints.find().sort("line").to_list(None)
    uid = ObjectId(user.id)
    assert (
        [doc["_id"] for doc in after]
        == [f"{uid}:{doc['fingerprint']}" for doc in prints]
        == [fingerprint_id(uid, doc["fingerprint"]) for doc in prints]
    )
    assert [doc | {"_id": None} for doc in after] == [doc | {"_id": None} for doc in prints]
    assert "user_id_1_fingerprint_1" not in await db.import_fingerprints.index_information()

    again = await upload(client, user, data)
    assert (again["counts"]["duplicate"], again["counts"]["new"]) == (9, 0)
    assert (await commit(client, user, again["id"]))["created"] == {
        "expenses": 0,
        "income": 0,
        "payments": 0,
    }
    assert (await get(client, user, "/api/expenses"))["total"] == 7
    assert await migrations.migrate(db) == []  # recorded: a second start-up runs nothing
