"""Income: create (with its notification), list and filter, update, delete, monthly stats."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from bson import ObjectId

from tests.factories import get
from tests.idempotent_creates import (
    check_concurrent,
    check_replay,
    check_resent,
    check_unreachable,
)

SALARY = {
    "source": "Acme Corp",
    "amount": 85000.50,
    "income_type": "salary",
    "frequency": "monthly",
    "date": "2024-02-01T09:00:00Z",
    "description": "February salary",
    "tags": ["Job", "job", " primary "],
}


async def add(client, user, **changes):
    r = await client.post("/api/income", json=SALARY | changes, headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()


async def test_create_income_and_read_it_back(client, user):
    created = await add(client, user)
    assert created["source"] == "Acme Corp"
    assert created["amount"] == 85000.5
    assert created["income_type"] == "salary" and created["frequency"] == "monthly"
    assert created["date"] == "2024-02-01"  # 09:00 UTC is 14:30 the same day in Kolkata
    assert created["tags"] == ["job", "primary"]  # lower-cased, trimmed, deduplicated
    assert "user_id" not in created and "_id" not in created
    r = await client.get(f"/api/income/{created['id']}", headers=user.headers)
    assert r.status_code == 200
    assert r.json() == created


async def test_defaults_and_dates_in_the_users_timezone(client, user):
    today = datetime.now(ZoneInfo("Asia/Kolkata")).date().isoformat()
    minimal = await client.post(
        "/api/income", json={"source": "Gift", "amount": 500}, headers=user.headers
    )
    assert minimal.status_code == 201
    body = minimal.json()
    assert body["income_type"] == "other" and body["frequency"] == "one_time"
    assert body["tags"] == [] and body["description"] is None
    assert body["date"] == today  # the user's today (a run at midnight could see it change)

    # A date is that day; a datetime is its day on the user's clock (Asia/Kolkata, UTC+05:30).
    day = await add(client, user, date="2024-03-01")
    assert day["date"] == "2024-03-01"
    naive = await add(client, user, date="2024-03-01T10:00:00")
    assert naive["date"] == "2024-03-01"
    late = await add(client, user, date="2024-02-29T18:30:00Z")  # midnight in Kolkata
    assert late["date"] == "2024-03-01"
    earlier = await add(client, user, date="2024-02-29T18:29:59Z")
    assert earlier["date"] == "2024-02-29"


async def test_income_creates_an_in_app_and_push_notification(client, user, db):
    created = await add(client, user)
    notes = await db.notifications.find({"user_id": ObjectId(user.id)}).to_list(None)
    assert [(n["notification_type"], n["action_url"]) for n in notes] == [
        ("income_received", f"/income/{created['id']}")
    ]
    assert "₹85,000.50" in notes[0]["message"] and "Acme Corp" in notes[0]["message"]
    pushes = await db.outbox.find({"kind": "push"}).to_list(None)
    assert [p["payload"]["user_id"] for p in pushes] == [user.id]
    emails = await db.outbox.find({"kind": "email", "payload.to": user.email}).to_list(None)
    assert [e["payload"]["subject"] for e in emails] == ["Welcome to Cleero Financial Compass"]


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": 10.005},
        {"amount": 0},
        {"amount": -5},
        {"amount": True},
        {"amount": 1e13},
        {"income_type": "lottery"},
        {"frequency": "daily"},
        {"source": ""},
        {"date": "0001-01-01"},
        {"date": "not-a-date"},
        {"tags": ["x" * 41]},
        {"user_id": "abc"},
        {"created_at": "2024-01-01T00:00:00Z"},
    ],
)
async def test_bad_income_is_rejected(client, user, db, changes):
    r = await client.post("/api/income", json=SALARY | changes, headers=user.headers)
    assert r.status_code == 422, r.text
    assert await db.income.count_documents({}) == 0


async def test_list_is_newest_first_paginated_and_filtered(client, user, other_user):
    for day, kind in [(1, "salary"), (5, "freelance"), (3, "salary"), (9, "interest")]:
        await add(client, user, date=f"2024-04-{day:02d}", income_type=kind)
    await add(client, other_user, date="2024-04-04")

    r = await client.get("/api/income?limit=2", headers=user.headers)
    page = r.json()
    assert (page["total"], page["skip"], page["limit"]) == (4, 0, 2)
    assert [i["date"] for i in page["items"]] == ["2024-04-09", "2024-04-05"]
    r = await client.get("/api/income?skip=2&limit=2", headers=user.headers)
    assert [i["date"] for i in r.json()["items"]] == ["2024-04-03", "2024-04-01"]

    r = await client.get("/api/income?income_type=salary", headers=user.headers)
    assert [i["date"] for i in r.json()["items"]] == ["2024-04-03", "2024-04-01"]
    # from/to are calendar days in Asia/Kolkata, `to` inclusive.
    r = await client.get("/api/income?from=2024-04-03&to=2024-04-05", headers=user.headers)
    assert [i["income_type"] for i in r.json()["items"]] == ["freelance", "salary"]

    for bad in ["limit=101", "income_type=lottery", "from=2024-05-01&to=2024-04-01"]:
        r = await client.get(f"/api/income?{bad}", headers=user.headers)
        assert r.status_code == 422, bad


async def test_update_changes_only_given_fields(client, user):
    created = await add(client, user)
    r = await client.put(
        f"/api/income/{created['id']}",
        json={"amount": "90000", "description": None, "date": "2024-02-02"},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["amount"] == 90000
    assert updated["description"] is None
    assert updated["date"] == "2024-02-02"
    assert updated["source"] == "Acme Corp" and updated["tags"] == ["job", "primary"]
    assert updated["updated_at"] > created["updated_at"]

    for bad in [{"amount": None}, {"source": None}, {"id": "x"}, {"amount": 1.001}]:
        r = await client.put(f"/api/income/{created['id']}", json=bad, headers=user.headers)
        assert r.status_code == 422, bad


async def test_delete_income(client, user):
    created = await add(client, user)
    r = await client.delete(f"/api/income/{created['id']}", headers=user.headers)
    assert r.status_code == 204
    r = await client.get(f"/api/income/{created['id']}", headers=user.headers)
    assert r.status_code == 404
    r = await client.delete(f"/api/income/{created['id']}", headers=user.headers)
    assert r.status_code == 404


async def test_another_users_income_is_404_everywhere_and_untouched(client, user, other_user):
    theirs = await add(client, other_user)
    url = f"/api/income/{theirs['id']}"
    for method, kwargs in [
        ("GET", {}),
        ("PUT", {"json": {"amount": 1}}),
        ("DELETE", {}),
    ]:
        r = await client.request(method, url, headers=user.headers, **kwargs)
        assert r.status_code == 404, method
        assert r.json() == {"detail": "Income not found", "code": "income_not_found"}
    for bad_id in ["not-an-id", "0" * 24]:
        r = await client.get(f"/api/income/{bad_id}", headers=user.headers)
        assert r.status_code == 404
    r = await client.get(url, headers=other_user.headers)
    assert r.json() == theirs
    r = await client.get("/api/income", headers=user.headers)
    assert r.json()["total"] == 0


async def test_income_needs_authentication(client):
    r = await client.get("/api/income")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


async def test_monthly_stats_per_month_and_type_in_the_users_timezone(client, user, other_user):
    # 2024-01-31T20:30Z is 1 February 02:00 in Asia/Kolkata: it counts in February.
    await add(client, user, amount=100, income_type="salary", date="2024-01-31T20:30:00Z")
    await add(client, user, amount=40.25, income_type="salary", date="2024-01-31T18:29:59Z")
    await add(client, user, amount=10, income_type="interest", date="2024-02-15")
    await add(client, user, amount=7, income_type="gift", date="2023-12-31T18:30:00Z")  # Jan 1
    await add(client, user, amount=5, date="2023-12-31T18:29:59Z")  # still 2023 locally
    await add(client, other_user, amount=999, date="2024-02-10")

    r = await client.get("/api/income/stats/monthly?year=2024", headers=user.headers)
    assert r.status_code == 200, r.text
    stats = r.json()
    assert stats["range"] == {"start": "2024-01-01", "end": "2024-12-31"}
    assert stats["currency"] == "INR"
    assert [m["month"] for m in stats["months"]] == [f"2024-{m:02d}" for m in range(1, 13)]
    jan, feb, mar = stats["months"][:3]
    assert jan == {
        "month": "2024-01",
        "total": 47.25,
        "count": 2,
        "breakdown": {"gift": 7, "salary": 40.25},
    }
    assert feb == {
        "month": "2024-02",
        "total": 110,
        "count": 2,
        "breakdown": {"interest": 10, "salary": 100},
    }
    assert mar == {"month": "2024-03", "total": 0, "count": 0, "breakdown": {}}
    assert stats["total"] == 157.25 and stats["count"] == 4
    assert stats["breakdown_by"] == "income_type"
    assert stats["breakdown"] == {"gift": 7, "interest": 10, "salary": 140.25}

    r = await client.get(
        "/api/income/stats/monthly?from=2024-02-01&to=2024-02-15", headers=user.headers
    )
    ranged = r.json()
    assert [m["month"] for m in ranged["months"]] == ["2024-02"]
    assert ranged["total"] == 110


async def test_stats_default_to_this_year_and_reject_mixed_ranges(client, user):
    await add(client, user, amount=12, date=None)
    r = await client.get("/api/income/stats/monthly", headers=user.headers)
    stats = r.json()
    year = stats["range"]["start"][:4]
    assert stats["range"] == {"start": f"{year}-01-01", "end": f"{year}-12-31"}
    assert stats["total"] == 12
    for bad in [
        "year=2024&from=2024-01-01&to=2024-02-01",
        "from=2024-01-01",
        "from=2024-03-01&to=2024-02-01",
        "year=1800",
    ]:
        r = await client.get(f"/api/income/stats/monthly?{bad}", headers=user.headers)
        assert r.status_code == 422, bad


# ---------------------------------------------------------------- Idempotency-Key, retries


async def test_an_idempotency_key_makes_one_income_and_one_notification(client, user, db):
    other = SALARY | {"amount": 1}
    await check_replay(client, db, user, "/api/income", SALARY, other, "income")
    await check_concurrent(client, db, user, "/api/income", SALARY, "income")
    # One notification per income stored: the replays and the losers of the race sent none.
    assert await db.notifications.count_documents({"notification_type": "income_received"}) == 3


async def test_income_sent_again_after_it_landed_is_the_same_write(client, user, db, monkeypatch):
    created = await check_resent(client, db, user, "/api/income", SALARY, "income", monkeypatch)
    assert created == await get(client, user, f"/api/income/{created['id']}")
    assert await db.notifications.count_documents({"notification_type": "income_received"}) == 1
    await check_unreachable(client, db, user, "/api/income", SALARY, "income", monkeypatch)


# ---------------------------------------------------------------- its notification


async def test_deleting_income_unlinks_its_notification(client, user, other_user, db):
    gone = await add(client, user)
    kept = await add(client, user, source="Side gig", amount=10)
    await add(client, other_user)
    r = await client.delete(f"/api/income/{gone['id']}", headers=user.headers)
    assert r.status_code == 204
    # The inbox still says the income came in, but no longer links to what is not there.
    notes = (await get(client, user, "/api/notifications"))["items"]
    assert [(n["title"], n["message"], n["action_url"]) for n in notes] == [
        ("Income received", "₹10.00 from Side gig recorded.", f"/income/{kept['id']}"),
        ("Income received", "₹85,000.50 from Acme Corp recorded.", None),
    ]
    assert all(n["is_read"] is False for n in notes)
    # Another user's notification is not touched.
    theirs = (await get(client, other_user, "/api/notifications"))["items"]
    assert [n["action_url"] for n in theirs if n["notification_type"] == "income_received"] == [
        f"/income/{(await get(client, other_user, '/api/income'))['items'][0]['id']}"
    ]
