"""Recurring items through HTTP: found as entries are typed in, added and edited by hand,
someone else's hidden, conditional edits, bad input; EMIs among the bills."""

from datetime import UTC, datetime

import pytest

import core.dates
from recurring import jobs
from tests.factories import account, debt, expense, get, income, post

NOW = datetime(2026, 6, 10, 6, 30, tzinfo=UTC)  # 10 June 2026 in India


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(core.dates, "now_ms", lambda: NOW)


async def items(client, user):
    return (await get(client, user, "/api/recurring", limit=100))["items"]


async def test_typed_entries_become_a_suggestion_once_the_worker_ran(client, user, db):
    # Gym membership on the 3rd: two months are not enough, the third makes it monthly. The
    # entry's answer does not wait for detection: the worker runs it (driven here).
    await expense(client, user, 1500, "2026-04-03", category="health", title="Cult Fit")
    await expense(client, user, 1500, "2026-05-03", category="health", title="CULT FIT")
    assert await jobs.run_once(db) == 1
    assert await items(client, user) == []
    await expense(client, user, 1500, "2026-06-03", category="health", title="Cult.fit")
    assert await items(client, user) == []  # written and answered; detection still queued
    # Three writes of one payee queued it once.
    assert await db.recurring_queue.count_documents({}) == 1
    assert await jobs.run_once(db) == 1
    assert await db.recurring_queue.count_documents({}) == 0
    [gym] = await items(client, user)
    assert (gym["payee"], gym["interval"], gym["next_date"], gym["occurrences"]) == (
        "cult fit",
        "monthly",
        "2026-07-03",
        3,
    )
    assert gym["expected_amount"] == {"min": 1500, "max": 1500, "typical": 1500}
    assert (gym["status"], gym["source"], gym["kind"]) == ("suggested", "detected", "expense")
    # Salary typed in each month is income.
    for day in ("2026-03-31", "2026-04-30", "2026-05-29"):
        await income(client, user, 80000, day, source="Employer")
    assert await jobs.run_once(db) == 1
    salary = next(i for i in await items(client, user) if i["kind"] == "income")
    assert (salary["interval"], salary["next_date"]) == ("monthly", "2026-06-30")


async def test_manual_item_confirm_edit_delete(client, user, other_user):
    acct = await account(client, user, "Savings")
    body = {"title": "School fees", "amount": 45000, "interval": "quarterly"}
    item = await post(
        client, user, "/api/recurring", body | {"next_date": "2026-07-10", "account_id": acct["id"]}
    )
    assert (item["status"], item["source"], item["day_of_month"]) == ("confirmed", "manual", 10)
    assert item["expected_amount"] == {"min": 45000, "max": 45000, "typical": 45000}
    url = f"/api/recurring/{item['id']}"

    # Someone else's item is a 404 for every verb.
    for method in ("GET", "PUT", "DELETE"):
        r = await client.request(method, url, headers=other_user.headers, json={"title": "x"})
        assert r.status_code == 404 and r.json()["code"] == "recurring_item_not_found"

    # A stale If-Match is a 412; the current one edits. The amount sets the range.
    got = await client.get(url, headers=user.headers)
    etag = got.headers["ETag"]
    r = await client.get(url, headers=user.headers | {"If-None-Match": etag})
    assert r.status_code == 304
    edit = got.json() | {"amount": 47500}
    r = await client.put(url, json=edit, headers=user.headers | {"If-Match": '"1"'})
    assert r.status_code == 412
    r = await client.put(url, json=edit, headers=user.headers | {"If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.json()["expected_amount"] == {"min": 47500, "max": 47500, "typical": 47500}

    bills = await get(client, user, "/api/bills/upcoming", days=60)
    assert [(b["title"], b["date"], b["amount"], b["paid"]) for b in bills["items"]] == [
        ("School fees", "2026-07-10", 47500, False)
    ]
    r = await client.delete(url, headers=user.headers)
    assert r.status_code == 204
    assert (await client.get(url, headers=user.headers)).status_code == 404


async def test_bad_input_is_a_clear_422(client, user):
    cases = [
        ({"title": "X", "amount": 0, "next_date": "2026-07-01"}, "amount"),
        ({"title": "X", "amount": 10, "next_date": "2026-07-01", "interval": "daily"}, "interval"),
        ({"title": "X", "amount": 10}, "next_date"),
        ({"title": "X", "amount": 10, "next_date": "2026-07-01", "user_id": "x"}, "user_id"),
    ]
    for body, field in cases:
        r = await client.post("/api/recurring", json=body, headers=user.headers)
        assert r.status_code == 422, body
        assert r.json()["detail"][0]["loc"][-1] == field
    for query in ({"days": 0}, {"days": 400}):
        r = await client.get("/api/forecast", params=query, headers=user.headers)
        assert r.status_code == 422
    r = await client.get("/api/forecast", params={"account_id": "nope"}, headers=user.headers)
    assert r.status_code == 404 and r.json()["code"] == "account_not_found"


async def test_emis_are_bills_and_in_the_forecast(client, user):
    acct = await account(client, user, "Savings", opening_balance=100000, opening_date="2026-06-01")
    await debt(
        client, user, "Car loan", "car_loan", 500000, 9, monthly_emi=10500,
        next_payment_date="2026-06-15", tenure_months=60, start_date="2026-05-15",
    )  # fmt: skip
    bills = await get(client, user, "/api/bills/upcoming", days=40)
    assert [(b["title"], b["date"], b["amount"], b["source"]) for b in bills["items"]] == [
        ("Car loan", "2026-06-15", 10500, "debt"),
        ("Car loan", "2026-07-15", 10500, "debt"),
    ]
    assert bills["total"] == 21000
    forecast = await get(client, user, "/api/forecast", days=40)
    # The EMI is paid from no account: the total moves, the account does not.
    by_day = {d["date"]: d for d in forecast["days"]}
    assert by_day["2026-06-14"]["balance"] == 100000
    assert by_day["2026-06-15"]["balance"] == 100000 - 10500
    assert by_day["2026-07-20"]["balance"] == 100000 - 2 * 10500
    assert by_day["2026-07-20"]["accounts"] == {acct["id"]: 100000}
    assert forecast["lowest"] == {"date": "2026-07-15", "balance": 79000}


async def test_detection_of_many_payees_reads_them_in_short_batches(client, user, db):
    # 120 payees at once (a statement's worth): read by their keys, PAYEE_BATCH a query, so
    # no query names them all; the repeating one is still found.
    from recurring import service, store
    from security import User

    for month in (4, 5, 6):
        await expense(client, user, 1500, f"2026-{month:02d}-03", category="health", title="Gym")
    me = User.from_doc(await db.users.find_one({"email": user.email}))
    payees = {f"shop {chr(97 + n // 26)}{chr(97 + n % 26)} market" for n in range(120)} | {"gym"}
    assert [len(chunk) for chunk in store.batches(payees)] == [50, 50, 21]
    await db.recurring_items.delete_many({})
    found = await service.detect(db, me, payees)
    assert (found.found, found.new) == (1, 1)
