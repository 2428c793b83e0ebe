"""Detection off the request path: every write of an entry (typed, edited, deleted, imported,
undone) queues its payees in its own transaction, once per (user, payee), and the worker
(driven here with `recurring.jobs.run_once`) runs detection for those payees; a payee written
while its detection runs is run again; a dead worker's lease runs out. Every entry stores
its payee key, and the migration gives one to entries stored before."""

from datetime import UTC, date, datetime, timedelta

import pytest
from bson import ObjectId

import core.dates
from ops import migrations
from recurring import jobs, store
from tests.factories import commit, expense, get, upload
from tests.statement_workbooks import hdfc_rows

NOW = datetime(2026, 6, 10, 6, 30, tzinfo=UTC)  # 10 June 2026 in India


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(core.dates, "now_ms", lambda: NOW)


async def queued(db):
    return sorted(doc["payee_key"] for doc in await db.recurring_queue.find().to_list(None))


async def titles(client, user):
    return sorted(i["title"] for i in (await get(client, user, "/api/recurring"))["items"])


async def test_an_edit_and_a_delete_queue_the_payees_they_touch(client, user, db):
    spend = await expense(
        client, user, 649, "2026-06-07", category="subscriptions", title="Netflix"
    )
    assert await queued(db) == ["netflix"]
    assert await jobs.run_once(db) == 1 and await queued(db) == []
    url = f"/api/expenses/{spend['id']}"
    r = await client.put(url, headers=user.headers, json=spend | {"title": "Spotify India"})
    assert r.status_code == 200, r.text
    # The payee it left and the one it joined may both change.
    assert await queued(db) == ["netflix", "spotify india"]
    assert (await db.expenses.find_one({"_id": ObjectId(spend["id"])}))["payee_key"] == (
        "spotify india"
    )
    # An edit of the amount alone keeps the key.
    r = await client.put(url, headers=user.headers, json=r.json() | {"amount": 119})
    assert (await db.expenses.find_one({"_id": ObjectId(spend["id"])}))["payee_key"] == (
        "spotify india"
    )
    assert await jobs.run_once(db) == 1
    assert (await client.delete(url, headers=user.headers)).status_code == 204
    assert await queued(db) == ["spotify india"]
    # A refused write queues nothing: someone else's entry.
    assert await jobs.run_once(db) == 1 and await queued(db) == []


async def test_a_payee_written_during_its_detection_runs_again(client, user, db):
    for month in (3, 4, 5):
        await expense(client, user, 999, f"2026-{month:02d}-05", category="health", title="Gym")
    user_id, payees = await store.claim(db, "worker-a", timedelta(minutes=5))
    assert payees == {"gym"}
    # Meanwhile another Gym entry is written, and worker A finishes the run it started.
    await expense(client, user, 999, "2026-06-05", category="health", title="Gym")
    await store.unqueue(db, user_id, "worker-a")
    assert await queued(db) == ["gym"]  # still due: the run that follows sees the new entry
    assert await jobs.run_once(db) == 1
    [gym] = (await get(client, user, "/api/recurring"))["items"]
    assert (gym["occurrences"], gym["next_date"]) == (4, "2026-07-05")


async def test_a_dead_workers_lease_runs_out_and_another_takes_the_payees(client, user, db):
    for month in (3, 4, 5):
        await expense(client, user, 999, f"2026-{month:02d}-05", category="health", title="Gym")
    # Worker A claims and dies; while its lease holds, no one else takes the payee.
    assert await store.claim(db, "worker-a", timedelta(minutes=5)) is not None
    assert await jobs.run_once(db) == 0
    assert await titles(client, user) == []
    # Its lease ran out (moved to the past here): the next pass takes it over.
    await db.recurring_queue.update_many({}, {"$set": {"due_at": NOW - timedelta(seconds=1)}})
    assert await jobs.run_once(db) == 1
    assert await titles(client, user) == ["Gym"] and await queued(db) == []


async def test_a_commit_queues_its_payees_and_its_undo_queues_them_again(client, user, db):
    # Two months of one UPI merchant imported, the third typed in.
    rows = [
        (date(2026, month, 2), f"UPI-HOTSTAR-HOTSTAR@ICICI-ICIC0DC0099-50011234567{month}-SUB",
         "299.00", "0.00", f"50011234567{month}", f"{10000 - 299 * month:.2f}")
        for month in (3, 4)
    ]  # fmt: skip
    imp = await upload(client, user, hdfc_rows(*rows))
    await commit(client, user, imp["id"])
    assert await queued(db) == ["hotstar"]  # by the commit's batch, in its transaction
    # The imported entries are keyed by the merchant their UPI address names, as the typed
    # title "Hotstar" is: one payee.
    keys = {doc["payee_key"] async for doc in db.expenses.find({"user_id": ObjectId(user.id)})}
    assert keys == {"hotstar"}
    mine = {"account_id": imp["account_id"]}  # the statement's account
    await expense(
        client, user, 299, "2026-05-02", category="subscriptions", title="Hotstar", **mine
    )
    assert await queued(db) == ["hotstar"]
    assert await jobs.run_once(db) == 1
    [item] = (await get(client, user, "/api/recurring"))["items"]
    assert (item["payee"], item["occurrences"], item["next_date"]) == ("hotstar", 3, "2026-06-02")
    r = await client.post(f"/api/imports/{imp['id']}/undo", headers=user.headers)
    assert r.status_code == 200, r.text
    assert await queued(db) == ["hotstar"]
    assert await jobs.run_once(db) == 1
    [item] = (await get(client, user, "/api/recurring"))["items"]
    assert item["occurrences"] == 1  # only the typed entry is left


async def test_the_migration_gives_stored_entries_their_payee_key(client, user, db):
    uid = ObjectId(user.id)
    typed = {"_id": ObjectId(), "user_id": uid, "title": "NETFLIX.COM 8839", "amount": 649}
    imported_id, import_id = ObjectId(), ObjectId()
    imported = {"_id": imported_id, "user_id": uid, "source": "UPI credit", "amount": 5000}
    row = {"_id": imported_id, "user_id": uid, "import_id": import_id, "vpa": "98450@ybl"}
    await db.expenses.insert_one(typed)
    await db.income.insert_one(imported | {"import_id": import_id})
    await db.import_rows.insert_one(row)
    await db.migrations.delete_one({"_id": "2026-12-payee-keys"})
    assert await migrations.migrate(db) == ["2026-12-payee-keys"]
    assert (await db.expenses.find_one({"_id": typed["_id"]}))["payee_key"] == "netflix com"
    stored = await db.income.find_one({"_id": imported_id})
    assert (stored["payee_key"], stored["vpa"]) == ("98450@ybl", "98450@ybl")
    # Run again (another replica, a restart after a crash): nothing changes.
    await db.migrations.delete_one({"_id": "2026-12-payee-keys"})
    await migrations.migrate(db)
    assert (await db.income.find_one({"_id": imported_id})) == stored
