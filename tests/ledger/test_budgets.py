"""Budgets: CRUD, one active budget per category, this month's status, threshold alerts."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from bson import ObjectId

from core.dates import current_month, month_bounds, month_key, shift_month, start_of_day
from database import in_transaction
from ledger.service import check_budget
from ledger.store import rebuild_spend
from ops import migrations
from security import User
from tests.factories import commit, get, upload
from tests.idempotent_creates import (
    check_concurrent,
    check_replay,
    check_resent,
    check_unreachable,
)
from tests.statement_workbooks import hdfc_rows

TZ = "Asia/Kolkata"
ONE_DAY = timedelta(days=1)


async def make_budget(client, user, **fields):
    body = {"category": "food", "monthly_limit": 1000} | fields
    r = await client.post("/api/budgets", json=body, headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()


async def spend(client, user, amount, category="food", **fields):
    body = {"title": "Spend", "category": category, "amount": amount} | fields
    r = await client.post("/api/expenses", json=body, headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()


async def alerts(db, user):
    """The titles of the user's expense_alert notifications, oldest first."""
    docs = (
        await db.notifications.find(
            {"user_id": ObjectId(user.id), "notification_type": "expense_alert"}
        )
        .sort("created_at", 1)
        .to_list(None)
    )
    return [d["title"] for d in docs]


def this_month_start(tz="Asia/Kolkata"):
    """The instant this month begins in the user's timezone."""
    return start_of_day(date(*current_month(tz), 1), tz)


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------- CRUD and uniqueness


async def test_create_budget_with_defaults(client, user):
    budget = await make_budget(client, user, category=" Groceries ", monthly_limit="15000.50")
    assert budget["category"] == "groceries"
    assert budget["monthly_limit"] == 15000.5
    assert budget["alert_threshold"] == 80 and budget["active"] is True
    assert budget["name"] is None and budget["notes"] is None
    r = await client.get(f"/api/budgets/{budget['id']}", headers=user.headers)
    assert r.json() == budget


@pytest.mark.parametrize(
    "changes",
    [
        {"alert_threshold": 0},
        {"alert_threshold": 101},
        {"alert_threshold": 50.5},
        {"monthly_limit": 0},
        {"monthly_limit": 1.001},
        {"category": "Food & Drink"},
        {"user_id": "x"},
        {"spent": 5},
    ],
)
async def test_bad_budgets_are_rejected(client, user, changes):
    body = {"category": "food", "monthly_limit": 1000} | changes
    r = await client.post("/api/budgets", json=body, headers=user.headers)
    assert r.status_code == 422, r.text


async def test_one_active_budget_per_category(client, user, other_user):
    first = await make_budget(client, user)
    r = await client.post(
        "/api/budgets", json={"category": "FOOD", "monthly_limit": 5}, headers=user.headers
    )
    assert r.status_code == 409
    assert r.json()["code"] == "budget_exists"
    assert r.json()["detail"][0]["loc"] == ["body", "category"]  # a form shows it by the field
    # Inactive budgets may repeat; another user has their own namespace.
    old = await make_budget(client, user, active=False)
    await make_budget(client, user, active=False)
    await make_budget(client, other_user)
    r = await client.put(f"/api/budgets/{old['id']}", json={"active": True}, headers=user.headers)
    assert r.status_code == 409
    fuel = await make_budget(client, user, category="fuel")
    r = await client.put(
        f"/api/budgets/{fuel['id']}", json={"category": "food"}, headers=user.headers
    )
    assert r.status_code == 409
    # Once the first is deactivated, another may become active.
    r = await client.put(
        f"/api/budgets/{first['id']}", json={"active": False}, headers=user.headers
    )
    assert r.status_code == 200
    r = await client.put(f"/api/budgets/{old['id']}", json={"active": True}, headers=user.headers)
    assert r.status_code == 200 and r.json()["active"] is True


async def test_concurrent_creation_keeps_one_active_budget(client, user, db):
    body = {"category": "travel", "monthly_limit": 100}
    responses = await asyncio.gather(
        *[client.post("/api/budgets", json=body, headers=user.headers) for _ in range(6)]
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5
    assert await db.budgets.count_documents({"category": "travel", "active": True}) == 1


async def test_list_update_delete(client, user):
    a = await make_budget(client, user, category="food")
    b = await make_budget(client, user, category="fuel", active=False)
    r = await client.get("/api/budgets", headers=user.headers)
    page = r.json()
    assert page["total"] == 2
    assert [x["id"] for x in page["items"]] == [b["id"], a["id"]]  # newest first
    r = await client.get("/api/budgets?active=true", headers=user.headers)
    assert [x["id"] for x in r.json()["items"]] == [a["id"]]

    r = await client.put(
        f"/api/budgets/{a['id']}",
        json={"monthly_limit": 2500, "alert_threshold": 90, "name": "Eating out"},
        headers=user.headers,
    )
    assert r.status_code == 200
    assert (r.json()["monthly_limit"], r.json()["alert_threshold"], r.json()["name"]) == (
        2500,
        90,
        "Eating out",
    )
    for bad in [{"monthly_limit": None}, {"active": None}, {"alert_threshold": 0}]:
        r = await client.put(f"/api/budgets/{a['id']}", json=bad, headers=user.headers)
        assert r.status_code == 422, bad

    r = await client.delete(f"/api/budgets/{a['id']}", headers=user.headers)
    assert r.status_code == 204
    r = await client.get(f"/api/budgets/{a['id']}", headers=user.headers)
    assert r.status_code == 404 and r.json()["code"] == "budget_not_found"


async def test_another_users_budget_is_404_everywhere_and_untouched(client, user, other_user):
    theirs = await make_budget(client, other_user)
    url = f"/api/budgets/{theirs['id']}"
    for method, kwargs in [("GET", {}), ("PUT", {"json": {"monthly_limit": 1}}), ("DELETE", {})]:
        r = await client.request(method, url, headers=user.headers, **kwargs)
        assert r.status_code == 404, method
    for bad in ["x", "0" * 24]:
        r = await client.delete(f"/api/budgets/{bad}", headers=user.headers)
        assert r.status_code == 404
    r = await client.get(url, headers=other_user.headers)
    assert r.json() == theirs
    r = await client.get("/api/budgets/status", headers=user.headers)
    assert r.json()["items"] == []


# ---------------------------------------------------------------- status


async def test_status_per_category_this_month(client, user, other_user):
    await make_budget(client, user, category="food", monthly_limit=1000)  # 79.99 % -> ok
    await make_budget(client, user, category="fuel", monthly_limit=300, alert_threshold=50)
    await make_budget(client, user, category="rent", monthly_limit=100)
    await make_budget(client, user, category="fun", monthly_limit=50, active=False)
    await make_budget(client, user, category="gifts", monthly_limit=3)
    await spend(client, user, 799.99, "food")
    await spend(client, user, 150, "fuel")  # exactly the 50 % threshold -> warning
    await spend(client, user, 100, "rent")
    await spend(client, user, 25.5, "rent")  # 125.5 % -> exceeded
    await spend(client, user, 1, "gifts")  # 33.33 %
    await spend(client, user, 999, "shopping")  # no budget: not listed
    await spend(client, user, 40, "fun")  # inactive budget: not listed
    await spend(client, other_user, 500, "food")
    start = this_month_start()
    await spend(client, user, 500, "food", date=iso(start - timedelta(milliseconds=1)))

    r = await client.get("/api/budgets/status", headers=user.headers)
    assert r.status_code == 200
    status = r.json()
    year, month = current_month("Asia/Kolkata")
    assert status["month"] == f"{year:04d}-{month:02d}"
    assert status["currency"] == "INR"
    rows = {i["category"]: i for i in status["items"]}
    assert list(rows) == ["food", "fuel", "gifts", "rent"]
    food, fuel, gifts, rent = rows["food"], rows["fuel"], rows["gifts"], rows["rent"]
    assert (food["spent"], food["remaining"], food["percent"], food["level"]) == (
        799.99,
        200.01,
        80.0,  # rounded for display, but still below the threshold
        "ok",
    )
    assert (fuel["percent"], fuel["level"], fuel["alert_threshold"]) == (50, "warning", 50)
    assert (rent["spent"], rent["remaining"], rent["percent"], rent["level"]) == (
        125.5,
        -25.5,
        125.5,
        "exceeded",
    )
    assert (gifts["percent"], gifts["level"], gifts["monthly_limit"]) == (33.33, "ok", 3)
    assert status["total_monthly_limit"] == 1403 and status["total_spent"] == 1076.49


async def test_status_month_starts_at_midnight_in_the_users_timezone(client, user):
    await make_budget(client, user, monthly_limit=100)
    start = this_month_start()
    await spend(client, user, 7, date=iso(start))
    await spend(client, user, 50, date=iso(start - timedelta(seconds=1)))
    r = await client.get("/api/budgets/status", headers=user.headers)
    assert r.json()["items"][0]["spent"] == 7


async def test_status_is_one_aggregation_for_all_categories(client, user, monkeypatch):
    from pymongo.asynchronous.collection import AsyncCollection

    for category in ["food", "fuel", "rent", "travel", "health", "gifts"]:
        await make_budget(client, user, category=category, monthly_limit=100)
        await spend(client, user, 10, category)
    calls = []
    original = AsyncCollection.aggregate

    async def counting(self, pipeline, *args, **kwargs):
        calls.append(self.name)
        return await original(self, pipeline, *args, **kwargs)

    monkeypatch.setattr(AsyncCollection, "aggregate", counting)
    r = await client.get("/api/budgets/status", headers=user.headers)
    assert [i["spent"] for i in r.json()["items"]] == [10] * 6
    assert calls == ["expenses"]


# ---------------------------------------------------------------- alerts


async def test_threshold_then_limit_alert_once_each(client, user, db, deliver, mailbox):
    await make_budget(client, user, monthly_limit=1000, alert_threshold=80)
    await spend(client, user, 500)
    assert await alerts(db, user) == []
    await spend(client, user, 300)  # 80 %: the threshold is reached
    assert await alerts(db, user) == ["Budget alert: food at 80.00%"]
    await spend(client, user, 100)  # 90 %: already told
    await spend(client, user, 99.99, "fuel")  # another category
    assert len(await alerts(db, user)) == 1
    await spend(client, user, 150)  # 105 %: over the limit
    await spend(client, user, 10)  # still over: already told
    assert await alerts(db, user) == ["Budget alert: food at 80.00%", "Budget exceeded: food"]

    pushes = await db.outbox.count_documents({"kind": "push", "payload.user_id": user.id})
    assert pushes == 2
    await deliver()
    messages = [m for m in mailbox() if m["To"] == user.email]
    year, month = current_month("Asia/Kolkata")
    label = datetime(year, month, 1).strftime("%B %Y")
    assert [m["Subject"] for m in messages] == [
        "Welcome to Cleero Financial Compass",
        "Budget alert: food at 80.00% of your limit",
        f"Budget exceeded: food ({label})",
    ]
    exceeded = messages[2].get_body(("plain",)).get_content()
    assert "₹1,050.00" in exceeded and "₹1,000.00" in exceeded and "105.00%" in exceeded
    html = messages[1].get_body(("html",)).get_content()
    assert "₹800.00" in html and "80% alert threshold" in html


async def test_one_expense_crossing_both_levels_sends_the_highest_only(client, user, db):
    await make_budget(client, user, monthly_limit=100, alert_threshold=75)
    await spend(client, user, 150)
    assert await alerts(db, user) == ["Budget exceeded: food"]
    # The threshold is recorded with it, so no later expense sends the lesser alert.
    levels = await db.budget_alerts.find({}).sort("level", -1).to_list(None)
    assert [a["level"] for a in levels] == ["warning", "exceeded"]
    await spend(client, user, 1)
    assert await alerts(db, user) == ["Budget exceeded: food"]


async def test_a_100_percent_threshold_has_a_single_alert(client, user, db):
    await make_budget(client, user, monthly_limit=100, alert_threshold=100)
    await spend(client, user, 99.99)
    assert await alerts(db, user) == []
    await spend(client, user, 0.01)
    assert await alerts(db, user) == ["Budget exceeded: food"]


async def test_concurrent_expenses_alert_once_per_level(client, user, db, deliver, mailbox):
    await make_budget(client, user, monthly_limit=1000, alert_threshold=80)
    results = await asyncio.gather(*[spend(client, user, 120) for _ in range(10)])
    assert len(results) == 10
    titles = await alerts(db, user)
    assert len(titles) == 2
    assert titles.count("Budget exceeded: food") == 1
    assert sum(t.startswith("Budget alert: food at ") for t in titles) == 1
    levels = await db.budget_alerts.distinct("level")
    assert sorted(levels) == ["exceeded", "warning"]
    assert await db.budget_alerts.count_documents({}) == 2
    await deliver()
    alert_mails = [m for m in mailbox() if m["Subject"].startswith("Budget")]
    assert len(alert_mails) == 2


async def test_updating_an_expense_can_cross_a_level(client, user, db):
    await make_budget(client, user, monthly_limit=100)
    await make_budget(client, user, category="fuel", monthly_limit=100)
    small = await spend(client, user, 10)
    r = await client.put(f"/api/expenses/{small['id']}", json={"amount": 85}, headers=user.headers)
    assert r.status_code == 200
    assert await alerts(db, user) == ["Budget alert: food at 85.00%"]
    # Moving it into another budgeted category checks that category.
    r = await client.put(
        f"/api/expenses/{small['id']}", json={"category": "fuel"}, headers=user.headers
    )
    assert await alerts(db, user) == [
        "Budget alert: food at 85.00%",
        "Budget alert: fuel at 85.00%",
    ]


async def test_no_alert_without_an_active_budget_or_for_another_month(client, user, db):
    await make_budget(client, user, category="fun", monthly_limit=10, active=False)
    await make_budget(client, user, category="food", monthly_limit=10)
    await spend(client, user, 50, "fun")
    await spend(client, user, 50, "shopping")
    last_month = this_month_start() - timedelta(days=3)
    await spend(client, user, 50, "food", date=iso(last_month))
    assert await alerts(db, user) == []


async def test_muted_alert_emails_still_notify_in_app(client, user, db):
    r = await client.put(
        "/api/users/me",
        json={"notification_preferences": {"expense_alert": {"email": False, "push": True}}},
        headers=user.headers,
    )
    assert r.status_code == 200
    await make_budget(client, user, monthly_limit=10, alert_threshold=100)
    await spend(client, user, 10)
    assert await alerts(db, user) == ["Budget exceeded: food"]
    assert await db.outbox.count_documents({"payload.subject": {"$regex": "^Budget"}}) == 0
    assert (
        await db.outbox.count_documents({"kind": "push", "payload.title": {"$regex": "^Budget"}})
        == 1
    )


async def test_each_month_alerts_afresh(client, user, db):
    budget = await make_budget(client, user, monthly_limit=100, alert_threshold=100)
    user_doc = User.from_doc(await db.users.find_one({"_id": ObjectId(user.id)}))
    start, end = month_bounds(*current_month("Asia/Kolkata"))
    next_month = end + timedelta(days=1)  # a day of next month
    await spend(client, user, 100, date=start.isoformat())
    await spend(client, user, 100, date=next_month.isoformat())  # a future month: no alert yet
    assert await alerts(db, user) == ["Budget exceeded: food"]
    # When that month comes, the same check alerts again, once.
    assert await check_budget(db, user_doc, "food", next_month) == ["exceeded"]
    assert await check_budget(db, user_doc, "food", next_month) == []
    months = await db.budget_alerts.distinct("month", {"budget_id": ObjectId(budget["id"])})
    assert len(months) == 2
    # Deleting the budget removes its alert history.
    await client.delete(f"/api/budgets/{budget['id']}", headers=user.headers)
    assert await db.budget_alerts.count_documents({}) == 0


async def test_concurrent_expenses_send_the_warning_and_the_limit_once_each_every_round(
    client, user, db
):
    # 12 x ₹1,000 against ₹10,000 at 80 %: the 8th expense takes the month to ₹8,000 (the
    # threshold, 80 % x ₹10,000) and the 10th to ₹10,000 (the limit), whatever order they land in.
    for round_ in range(4):
        category = f"round{round_}"
        await make_budget(client, user, category=category, monthly_limit=10000)
        await asyncio.gather(*[spend(client, user, 1000, category) for _ in range(12)])
        titles = [t for t in await alerts(db, user) if t.split(": ")[1].startswith(category)]
        assert sorted(titles) == [
            f"Budget alert: {category} at 80.00%",
            f"Budget exceeded: {category}",
        ]


# ---------------------------------------------------------------- the spend counters


async def counters(db, user):
    """The user's spend per (category, month) as counted, zeros left out."""
    docs = await db.category_spend.find({"user_id": ObjectId(user.id)}).to_list(None)
    return {(d["category"], d["month"]): d["spent"] for d in docs if d["spent"] != 0}


async def assert_counters_are_the_sums(db, user):
    """Setting the counters to the sums of the expenses (as the migration does) changes none."""

    async def work(session):
        return await rebuild_spend(db, ObjectId(user.id), session)

    assert await in_transaction(db, work) == 0


def months():
    """(this month's key, last month's key, the first day of this month, the last of the one
    before), in the user's timezone."""
    year, month = current_month(TZ)
    first = date(year, month, 1)
    return month_key(year, month), month_key(*shift_month(year, month, -1)), first, first - ONE_DAY


async def edit(client, user, expense, **changes):
    r = await client.put(f"/api/expenses/{expense['id']}", json=changes, headers=user.headers)
    assert r.status_code == 200, r.text


async def test_edits_and_deletes_move_spend_between_counters(client, user, other_user, db):
    this, last, first, before = months()
    await make_budget(client, user, category="food", monthly_limit=1000)
    await make_budget(client, user, category="fuel", monthly_limit=500)
    lunch = await spend(client, user, 300, "food", date=first.isoformat())
    snack = await spend(client, user, 200, "food", date=first.isoformat())
    petrol = await spend(client, user, 100, "fuel", date=first.isoformat())
    await spend(client, user, 400, "food", date=before.isoformat())
    await spend(client, other_user, 50, "food", date=first.isoformat())
    assert await counters(db, user) == {(f, m): v for f, m, v in [
        ("food", this, 500), ("fuel", this, 100), ("food", last, 400)]}  # fmt: skip

    await edit(client, user, lunch, amount=350)  # food this month: 350 + 200 = 550
    await edit(client, user, snack, category="fuel")  # food 350; fuel 100 + 200 = 300
    await edit(client, user, lunch, date=before.isoformat())  # food 0; last month 400 + 350
    await edit(client, user, petrol, title="Petrol")  # the spend does not move
    r = await client.delete(f"/api/expenses/{petrol['id']}", headers=user.headers)
    assert r.status_code == 204  # fuel 300 - 100 = 200
    assert await counters(db, user) == {("fuel", this): 200, ("food", last): 750}
    assert await counters(db, other_user) == {("food", this): 50}

    status = (await get(client, user, "/api/budgets/status"))["items"]
    rows = {i["category"]: (i["spent"], i["remaining"], i["percent"], i["level"]) for i in status}
    # fuel: 500 - 200 = 300 left, 200 / 500 = 40 %; food: nothing this month.
    assert rows == {"food": (0, 1000, 0, "ok"), "fuel": (200, 300, 40, "ok")}
    assert await alerts(db, user) == []
    await assert_counters_are_the_sums(db, user)
    await assert_counters_are_the_sums(db, other_user)


async def test_an_edit_into_a_budget_alerts_once_however_often_it_moves(client, user, db):
    this, _, first, _ = months()
    await make_budget(client, user, category="food", monthly_limit=100)
    pizza = await spend(client, user, 90, "shopping", date=first.isoformat())
    await edit(client, user, pizza, category="food")  # 0 -> 90 %: the threshold
    await edit(client, user, pizza, category="shopping")  # out again: 0 %
    await edit(client, user, pizza, category="food")  # 90 % again: already told this month
    await edit(client, user, pizza, amount=120)  # 120 %: over the limit
    assert await alerts(db, user) == ["Budget alert: food at 90.00%", "Budget exceeded: food"]
    assert await counters(db, user) == {("food", this): 120}


async def test_concurrent_writes_keep_the_counters_equal_to_the_expenses(client, user, db):
    this, _, _, _ = months()
    first = [await spend(client, user, 10 + i, "food") for i in range(6)]
    await asyncio.gather(
        *[client.delete(f"/api/expenses/{e['id']}", headers=user.headers) for e in first[:3]],
        *[edit(client, user, e, amount=100, category="fuel") for e in first[3:]],
        *[spend(client, user, 7, "food") for _ in range(6)],
    )
    # food: the 6 new x 7 = 42 (the first three deleted, the last three moved); fuel: 3 x 100.
    assert await counters(db, user) == {("food", this): 42, ("fuel", this): 300}
    await assert_counters_are_the_sums(db, user)


async def test_the_migration_counts_the_expenses_stored_before_the_counters(
    client, user, other_user, db
):
    this, last, first, before = months()
    await make_budget(client, user, category="food", monthly_limit=1000)
    await spend(client, user, 100, "food", date=first.isoformat())  # counted when written
    await spend(client, other_user, 5, "food", date=first.isoformat())
    # As a version without the counters stored them: no counter moved.
    uid, at = ObjectId(user.id), datetime.now(UTC)
    old = [("food", first, "600.50"), ("food", first, "99.50"), ("fuel", before, "40.00")]
    await db.expenses.insert_many(
        [
            {"user_id": uid, "title": "Old", "category": category, "amount": Decimal(amount),
             "date": datetime(day.year, day.month, day.day, tzinfo=UTC), "tags": [],
             "created_at": at, "updated_at": at}
            for category, day, amount in old
        ]
    )  # fmt: skip
    await db.migrations.delete_one({"_id": "2026-12-category-spend"})

    assert await migrations.migrate(db) == ["2026-12-category-spend"]
    # food this month: 100 + 600.50 + 99.50 = 800; fuel last month: 40.
    expected = {("food", this): Decimal("800.00"), ("fuel", last): Decimal("40.00")}
    assert await counters(db, user) == expected
    assert await counters(db, other_user) == {("food", this): 5}
    # Recorded: a second start-up runs nothing; a forced second run changes nothing.
    assert await migrations.migrate(db) == []
    await migrations.category_spend(db, at)
    assert await counters(db, user) == expected
    # The next expense sees the whole month: 800 + 50 = 850 of 1,000, past the 80 % threshold.
    await spend(client, user, 50, "food")
    assert await alerts(db, user) == ["Budget alert: food at 85.00%"]


async def test_a_statement_import_and_its_undo_move_the_counters(client, user, db):
    this, last, first, before = months()
    data = hdfc_rows(
        (first, "UPI-SWIGGY-SWIGGY@ICICI-ICIC0DC0099-500112345678-ORDER", "850.00", "0.00",
         "500112345678", "9150.00"),
        (first, "UPI-ZOMATO-ZOMATO@HDFCBANK-HDFC0000499-500112345679-ORDER", "300.00", "0.00",
         "500112345679", "8850.00"),
        (before, "UPI-SWIGGY-SWIGGY@ICICI-ICIC0DC0099-500112345670-ORDER", "25.25", "0.00",
         "500112345670", "10000.00"),
    )  # fmt: skip
    imp = await upload(client, user, data)
    await commit(client, user, imp["id"])
    # This month: 850 + 300 = 1,150; last month 25.25.
    assert await counters(db, user) == {("food", this): 1150, ("food", last): Decimal("25.25")}
    await assert_counters_are_the_sums(db, user)
    r = await client.post(f"/api/imports/{imp['id']}/undo", headers=user.headers)
    assert r.json()["removed"] == {"expenses": 3, "income": 0, "payments": 0}
    assert await counters(db, user) == {}
    await assert_counters_are_the_sums(db, user)


# ---------------------------------------------------------------- Idempotency-Key, retries


async def test_an_idempotency_key_makes_one_budget(client, user, db):
    # Inactive budgets may repeat, so the same body without a key makes another.
    body = {"category": "food", "monthly_limit": 1000, "active": False}
    other = body | {"monthly_limit": 999}
    await check_replay(client, db, user, "/api/budgets", body, other, "budgets")
    # Concurrent requests with one key for an active budget: one budget, no 409.
    active = {"category": "fuel", "monthly_limit": 10}
    await check_concurrent(client, db, user, "/api/budgets", active, "budgets")


async def test_a_budget_sent_again_after_it_landed_is_the_same_write(client, user, db, monkeypatch):
    body = {"category": "travel", "monthly_limit": 10}
    created = await check_resent(client, db, user, "/api/budgets", body, "budgets", monkeypatch)
    assert created == await get(client, user, f"/api/budgets/{created['id']}")
    body = {"category": "rent", "monthly_limit": 10}
    await check_unreachable(client, db, user, "/api/budgets", body, "budgets", monkeypatch)
