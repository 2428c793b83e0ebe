"""Expenses: create, categories, list filters and search, update, delete, monthly stats."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from bson import ObjectId

from tests.factories import get
from tests.idempotent_creates import (
    check_concurrent,
    check_replay,
    check_resent,
    check_unreachable,
)

LUNCH = {
    "title": "Team lunch",
    "category": "food",
    "amount": 1250.75,
    "date": "2024-02-10T13:00:00",
    "description": "Friday lunch",
    "tags": ["Work", "team"],
}


async def add(client, user, **changes):
    r = await client.post("/api/expenses", json=LUNCH | changes, headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()


async def test_owners_example_expense_round_trip(client, user):
    created = await add(client, user)
    assert created["title"] == "Team lunch"
    assert created["category"] == "food"
    assert created["amount"] == 1250.75
    assert created["date"] == "2024-02-10"  # the day it was on the user's clock
    assert created["description"] == "Friday lunch"
    assert created["tags"] == ["work", "team"]
    assert created["receipt_url"] is None
    assert "receipt_key" not in created and "user_id" not in created
    r = await client.get(f"/api/expenses/{created['id']}", headers=user.headers)
    assert r.json() == created


async def test_category_is_a_trimmed_lowercase_slug(client, user):
    created = await add(client, user, category="  Personal_Care ")
    assert created["category"] == "personal_care"
    for bad in ["food & drinks", "", "x" * 41, "café", 12]:
        r = await client.post("/api/expenses", json=LUNCH | {"category": bad}, headers=user.headers)
        assert r.status_code == 422, bad


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": 10.005},
        {"amount": 0},
        {"amount": "abc"},
        {"title": ""},
        {"title": "x" * 201},
        {"tags": "food"},
        {"tags": [f"t{i}" for i in range(21)]},
        {"receipt_url": "https://evil.example/r.png"},
        {"receipt_key": "attachments/x/y.png"},
        {"user_id": str(ObjectId())},
        {"date": "9999-01-01"},
    ],
)
async def test_bad_expenses_are_rejected(client, user, db, changes):
    r = await client.post("/api/expenses", json=LUNCH | changes, headers=user.headers)
    assert r.status_code == 422, r.text
    assert await db.expenses.count_documents({}) == 0


async def test_categories_lists_suggested_and_the_users_own(client, user, other_user):
    await add(client, user, category="food")
    await add(client, user, category="pets")
    await add(client, user, category="pets")
    await add(client, other_user, category="yacht")
    r = await client.get("/api/expenses/categories", headers=user.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["suggested"][:3] == ["food", "groceries", "transport"]
    assert len(body["suggested"]) == 20 and "personal_care" in body["suggested"]
    assert "card_charges" in body["suggested"]  # a card's interest, fees and GST
    assert body["custom"] == ["pets"]
    assert body["all"] == [*body["suggested"], "pets"]


async def test_list_filters_search_and_pagination(client, user, other_user):
    await add(client, user, title="Petrol", category="fuel", date="2024-03-01", tags=["car"])
    await add(client, user, title="Groceries (weekly)", category="groceries", date="2024-03-02")
    await add(client, user, title="Pizza night", category="food", date="2024-03-03", tags=["car"])
    await add(client, user, title="pizza lunch", category="food", date="2024-03-04")
    await add(client, user, title="Movie", category="entertainment", date="2024-02-29T23:59")
    await add(client, other_user, title="Pizza", category="food", date="2024-03-03")

    async def titles(query):
        r = await client.get(f"/api/expenses?{query}", headers=user.headers)
        assert r.status_code == 200, r.text
        return [e["title"] for e in r.json()["items"]]

    assert await titles("") == [
        "pizza lunch",
        "Pizza night",
        "Groceries (weekly)",
        "Petrol",
        "Movie",
    ]
    assert await titles("category=food") == ["pizza lunch", "Pizza night"]
    assert await titles("category=%20FOOD%20") == ["pizza lunch", "Pizza night"]
    assert await titles("tag=CAR") == ["Pizza night", "Petrol"]
    assert await titles("q=PIZZA") == ["pizza lunch", "Pizza night"]
    assert await titles("q=za%20ni") == ["Pizza night"]
    # User text is matched literally, never as a regular expression.
    assert await titles("q=(weekly)") == ["Groceries (weekly)"]
    assert await titles("q=.*") == []
    assert await titles("q=[") == []
    # from/to are days in Asia/Kolkata; `to` is inclusive.
    assert await titles("from=2024-03-01&to=2024-03-02") == ["Groceries (weekly)", "Petrol"]
    assert await titles("to=2024-02-29") == ["Movie"]
    assert await titles("category=food&tag=car&q=night&from=2024-03-03&to=2024-03-03") == [
        "Pizza night"
    ]

    r = await client.get("/api/expenses?skip=1&limit=2", headers=user.headers)
    page = r.json()
    assert page["total"] == 5 and page["skip"] == 1 and page["limit"] == 2
    assert [e["title"] for e in page["items"]] == ["Pizza night", "Groceries (weekly)"]
    for bad in [
        "limit=0",
        "limit=101",
        "skip=-1",
        "from=2024-03-05&to=2024-03-01",
        f"q={'x' * 101}",
    ]:
        r = await client.get(f"/api/expenses?{bad}", headers=user.headers)
        assert r.status_code == 422, bad


async def test_same_day_expenses_page_without_gaps_or_repeats(client, user):
    for i in range(7):
        await add(client, user, title=f"Chai {i}", date="2024-03-05")
    seen = []
    for skip in range(0, 7, 3):
        r = await client.get(f"/api/expenses?skip={skip}&limit=3", headers=user.headers)
        seen += [e["title"] for e in r.json()["items"]]
    assert seen == [f"Chai {i}" for i in reversed(range(7))]


async def test_list_queries_are_served_by_indexes(client, user, db):
    await add(client, user)
    uid = ObjectId(user.id)
    month = {"$gte": datetime(2024, 2, 1, tzinfo=UTC), "$lt": datetime(2024, 3, 1, tzinfo=UTC)}
    for query, index in [
        ({"user_id": uid, "date": month}, "user_id_1_date_1__id_1"),
        ({"user_id": uid, "category": "food", "date": month}, "user_id_1_category_1_date_1__id_1"),
        ({"user_id": uid, "tags": "work"}, "user_id_1_tags_1_date_1__id_1"),
    ]:
        plan = await db.expenses.find(query).sort([("date", -1), ("_id", -1)]).explain()
        stage = plan["queryPlanner"]["winningPlan"]
        while stage.get("stage") != "IXSCAN" and "inputStage" in stage:
            stage = stage["inputStage"]
        assert stage.get("indexName") == index, (query, plan["queryPlanner"]["winningPlan"])


async def test_update_expense(client, user):
    created = await add(client, user)
    r = await client.put(
        f"/api/expenses/{created['id']}",
        json={"category": "Groceries", "amount": 99, "tags": [], "description": None},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["category"] == "groceries" and updated["amount"] == 99
    assert updated["tags"] == [] and updated["description"] is None
    assert updated["title"] == "Team lunch" and updated["date"] == created["date"]
    for bad in [{"amount": None}, {"category": None}, {"title": None}, {"user_id": "x"}]:
        r = await client.put(f"/api/expenses/{created['id']}", json=bad, headers=user.headers)
        assert r.status_code == 422, bad
    # A read-only field (an edit form sends it back) is ignored, not refused.
    echo = {"receipt_url": "x"}
    r = await client.put(f"/api/expenses/{created['id']}", json=echo, headers=user.headers)
    assert (r.status_code, r.json()["receipt_url"]) == (200, None)


async def test_delete_expense(client, user):
    created = await add(client, user)
    r = await client.delete(f"/api/expenses/{created['id']}", headers=user.headers)
    assert r.status_code == 204
    r = await client.get(f"/api/expenses/{created['id']}", headers=user.headers)
    assert r.status_code == 404
    assert r.json()["code"] == "expense_not_found"


async def test_another_users_expense_is_404_everywhere_and_untouched(client, user, other_user):
    theirs = await add(client, other_user)
    base = f"/api/expenses/{theirs['id']}"
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    attempts = [
        ("GET", base, {}),
        ("PUT", base, {"json": {"amount": 1}}),
        ("DELETE", base, {}),
        ("GET", f"{base}/receipt", {}),
        ("POST", f"{base}/receipt", {"files": {"file": ("r.png", png, "image/png")}}),
    ]
    for method, url, kwargs in attempts:
        r = await client.request(method, url, headers=user.headers, **kwargs)
        assert r.status_code == 404, (method, url)
        assert r.json() == {"detail": "Expense not found", "code": "expense_not_found"}
    for bad_id in ["nope", "0" * 24, "g" * 24]:
        r = await client.get(f"/api/expenses/{bad_id}", headers=user.headers)
        assert r.status_code == 404
    r = await client.get(base, headers=other_user.headers)
    assert r.json() == theirs
    r = await client.get("/api/expenses/stats/monthly?year=2024", headers=user.headers)
    assert r.json()["total"] == 0


async def test_monthly_stats_use_the_users_timezone(client, user, other_user):
    # 2024-01-31T20:30Z is 1 February 02:00 in Asia/Kolkata: it counts in February.
    await add(client, user, amount=300, category="rent", date="2024-01-31T20:30:00Z")
    await add(client, user, amount=20.5, category="food", date="2024-01-31T18:29:59.999Z")
    await add(client, user, amount=4.5, category="food", date="2024-02-29")
    await add(client, user, amount=1, category="food", date="2024-03-01")
    await add(client, other_user, amount=1000, date="2024-02-10")

    r = await client.get(
        "/api/expenses/stats/monthly?from=2024-01-01&to=2024-02-29", headers=user.headers
    )
    assert r.status_code == 200, r.text
    stats = r.json()
    assert stats["months"] == [
        {"month": "2024-01", "total": 20.5, "count": 1, "breakdown": {"food": 20.5}},
        {
            "month": "2024-02",
            "total": 304.5,
            "count": 2,
            "breakdown": {"food": 4.5, "rent": 300},
        },
    ]
    assert stats["total"] == 325 and stats["count"] == 3
    assert stats["breakdown"] == {"food": 25, "rent": 300}

    r = await client.get("/api/expenses/stats/monthly?year=2024", headers=user.headers)
    year = r.json()
    assert len(year["months"]) == 12 and year["total"] == 326
    assert year["months"][2] == {
        "month": "2024-03",
        "total": 1,
        "count": 1,
        "breakdown": {"food": 1},
    }


async def test_another_timezone_moves_the_month_boundary(client, user):
    r = await client.put(
        "/api/users/me", json={"profile": {"timezone": "America/New_York"}}, headers=user.headers
    )
    assert r.status_code == 200
    # 2024-02-01T03:00Z is still 31 January 22:00 in New York.
    await add(client, user, amount=10, date="2024-02-01T03:00:00Z")
    r = await client.get("/api/expenses/stats/monthly?year=2024", headers=user.headers)
    months = {m["month"]: m["total"] for m in r.json()["months"]}
    assert months["2024-01"] == 10 and months["2024-02"] == 0


async def test_stats_are_one_aggregation(client, user, monkeypatch):
    from pymongo.asynchronous.collection import AsyncCollection

    for month in range(1, 7):
        await add(client, user, date=f"2024-{month:02d}-15", category=f"c{month}")
    calls = []
    original = AsyncCollection.aggregate

    async def counting(self, pipeline, *args, **kwargs):
        calls.append(self.name)
        return await original(self, pipeline, *args, **kwargs)

    monkeypatch.setattr(AsyncCollection, "aggregate", counting)
    r = await client.get("/api/expenses/stats/monthly?year=2024", headers=user.headers)
    assert r.status_code == 200
    assert calls == ["expenses"]
    assert len(r.json()["breakdown"]) == 6


# ---------------------------------------------------------------- Idempotency-Key, retries


async def test_an_idempotency_key_makes_one_expense(client, user, db):
    other = LUNCH | {"amount": 99}
    await check_replay(client, db, user, "/api/expenses", LUNCH, other, "expenses")
    await check_concurrent(client, db, user, "/api/expenses", LUNCH, "expenses")


async def test_an_expense_sent_again_after_it_landed_is_the_same_write(
    client, user, db, monkeypatch
):
    created = await check_resent(client, db, user, "/api/expenses", LUNCH, "expenses", monkeypatch)
    assert created == await get(client, user, f"/api/expenses/{created['id']}")
    # Its spend was counted once: February 2024's food counter holds the one expense.
    counter = await db.category_spend.find_one({"user_id": ObjectId(user.id), "month": "2024-02"})
    assert (counter["category"], counter["spent"]) == ("food", Decimal("1250.75"))
    await check_unreachable(client, db, user, "/api/expenses", LUNCH, "expenses", monkeypatch)
