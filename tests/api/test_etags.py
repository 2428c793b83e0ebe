"""Strong ETags and conditional requests (docs/api-conventions.md): every single-resource GET
and every write answering a resource carries an ETag; If-None-Match answers 304 while a copy
is current; If-Match makes a PUT or DELETE happen only at the version the client read,
checked in the write itself (412 `precondition_failed`, nothing written)."""

import asyncio
import re

import pytest
from bson import ObjectId

from core.dates import today
from ops import migrations
from tests.factories import create_debt, get, pay, post, signup

STRONG = re.compile(r'^"\d+(-\d{8})?"$')


async def put(client, user, path, body, **headers):
    return await client.put(path, json=body, headers=user.headers | headers)


async def delete(client, user, path, **headers):
    return await client.delete(path, headers=user.headers | headers)


# Each resource with a GET of its own: where it is created, and a PUT body that changes it.
RESOURCES = {
    "income": ("/api/income", {"source": "Salary", "amount": 90000}, {"source": "Bonus"}),
    "expenses": (
        "/api/expenses",
        {"title": "Lunch", "category": "food", "amount": 250},
        {"title": "Dinner"},
    ),
    "budgets": ("/api/budgets", {"category": "food", "monthly_limit": 5000}, {"name": "Food"}),
    "goals": (
        "/api/goals",
        {"title": "Trip", "target_amount": 50000, "target_date": "2099-12-31"},
        {"title": "Long trip"},
    ),
    "rules": (
        "/api/rules",
        {"name": "Cabs", "match": {"narration": "UBER"}, "set": {"category": "transport"}},
        {"name": "Taxis"},
    ),
    "debts": (
        "/api/debts",
        {
            "name": "Car loan",
            "debt_type": "car_loan",
            "principal": 500000,
            "interest_rate": 9,
            "tenure_months": 60,
            "start_date": "2024-01-05",
        },
        {"name": "Family car"},
    ),
}


@pytest.mark.parametrize("kind", sorted(RESOURCES))
async def test_create_get_and_put_answer_the_same_strong_etag_per_version(client, user, kind):
    base, body, change = RESOURCES[kind]
    created = await client.post(base, json=body, headers=user.headers)
    assert created.status_code == 201, created.text
    tag = created.headers["ETag"]
    assert STRONG.match(tag), tag
    path = f"{base}/{created.json()['id']}"
    read = await client.get(path, headers=user.headers)
    assert (read.headers["ETag"], read.json()) == (tag, created.json())

    updated = await put(client, user, path, change)
    assert updated.status_code == 200, updated.text
    assert updated.headers["ETag"] != tag  # a new version, a new tag
    again = await client.get(path, headers=user.headers)
    assert (again.headers["ETag"], again.json()) == (updated.headers["ETag"], updated.json())


async def test_a_debt_and_a_goal_tag_name_the_users_day(client, user):
    """Their figures move with the calendar (overdue days, monthly saving): a new day is a
    new representation, so the tag names the day (in the user's timezone)."""
    debt = await client.post("/api/debts", json=RESOURCES["debts"][1], headers=user.headers)
    day = today("Asia/Kolkata").strftime("%Y%m%d")
    assert debt.headers["ETag"].endswith(f'-{day}"')
    income = await client.post("/api/income", json=RESOURCES["income"][1], headers=user.headers)
    assert "-" not in income.headers["ETag"]  # nothing in it depends on the day
    # A write's precondition is the stored version: yesterday's tag of it still matches.
    version = debt.headers["ETag"].strip('"').split("-")[0]
    r = await put(
        client,
        user,
        f"/api/debts/{debt.json()['id']}",
        {"notes": "ok"},
        **{"If-Match": f'"{version}-19991231"'},
    )
    assert r.status_code == 200, r.text


async def test_if_none_match_answers_304_without_a_body_while_the_copy_is_current(client, user):
    expense = await client.post(
        "/api/expenses", json=RESOURCES["expenses"][1], headers=user.headers
    )
    path, tag = f"/api/expenses/{expense.json()['id']}", expense.headers["ETag"]
    for sent in (tag, f"W/{tag}", f'"0", {tag}', "*"):
        r = await client.get(path, headers=user.headers | {"If-None-Match": sent})
        assert (r.status_code, r.content, r.headers["ETag"]) == (304, b"", tag), sent
        assert "content-type" not in r.headers
    r = await client.get(path, headers=user.headers | {"If-None-Match": '"0"'})
    assert (r.status_code, r.headers["ETag"]) == (200, tag)

    await put(client, user, path, {"amount": 300})
    r = await client.get(path, headers=user.headers | {"If-None-Match": tag})
    assert r.status_code == 200 and r.json()["amount"] == 300  # changed: the new copy
    assert r.headers["ETag"] != tag


async def test_a_stale_if_match_is_a_412_and_nothing_is_written(client, user, db):
    created = await client.post("/api/income", json=RESOURCES["income"][1], headers=user.headers)
    path, first = f"/api/income/{created.json()['id']}", created.headers["ETag"]
    second = (await put(client, user, path, {"amount": 95000}, **{"If-Match": first})).headers[
        "ETag"
    ]
    # Another device still holds the first version.
    stale = await put(client, user, path, {"source": "Overwritten"}, **{"If-Match": first})
    assert stale.status_code == 412, stale.text
    assert stale.json()["code"] == "precondition_failed"
    now = await client.get(path, headers=user.headers)
    assert (now.json()["source"], now.json()["amount"], now.headers["ETag"]) == (
        "Salary",
        95000,
        second,
    )
    gone = await delete(client, user, path, **{"If-Match": first})
    assert gone.status_code == 412
    assert (await client.get(path, headers=user.headers)).status_code == 200
    # Unparseable or weak tags match no version: refused too.
    for sent in ('W/"1"', "1", '"x"'):
        r = await put(client, user, path, {"source": "Nope"}, **{"If-Match": sent})
        assert r.status_code == 412, sent
    # The current version (one of a list, or `*`) lets it through; no If-Match: as always.
    r = await put(client, user, path, {"source": "Mine"}, **{"If-Match": f'"1", {second}'})
    assert r.status_code == 200 and r.json()["source"] == "Mine"
    assert (await put(client, user, path, {"amount": 1}, **{"If-Match": "*"})).status_code == 200
    assert (await put(client, user, path, {"amount": 2})).status_code == 200
    latest = (await client.get(path, headers=user.headers)).headers["ETag"]
    assert (await delete(client, user, path, **{"If-Match": latest})).status_code == 204
    missing = await delete(client, user, path, **{"If-Match": latest})
    assert missing.status_code == 404  # gone is a 404, not a 412
    assert await db.income.count_documents({}) == 0


@pytest.mark.parametrize("kind", ["expenses", "budgets", "goals", "rules", "debts"])
async def test_every_put_and_delete_honours_if_match(client, user, kind):
    base, body, change = RESOURCES[kind]
    created = await client.post(base, json=body, headers=user.headers)
    path, first = f"{base}/{created.json()['id']}", created.headers["ETag"]
    assert (await put(client, user, path, change)).status_code == 200
    r = await put(client, user, path, body | change, **{"If-Match": first})
    assert (r.status_code, r.json()["code"]) == (412, "precondition_failed")
    assert (await delete(client, user, path, **{"If-Match": first})).status_code == 412
    current = (await client.get(path, headers=user.headers)).headers["ETag"]
    assert (await delete(client, user, path, **{"If-Match": current})).status_code == 204
    assert (await client.get(path, headers=user.headers)).status_code == 404


async def test_a_payment_changes_its_debt_so_an_edit_from_before_it_is_refused(client, user):
    debt = await client.post("/api/debts", json=RESOURCES["debts"][1], headers=user.headers)
    path, before = f"/api/debts/{debt.json()['id']}", debt.headers["ETag"]
    payment = await client.post(
        "/api/payments", json={"debt_id": debt.json()["id"], "amount": 5000}, headers=user.headers
    )
    assert STRONG.match(payment.headers["ETag"])
    read = await client.get(f"/api/payments/{payment.json()['id']}", headers=user.headers)
    assert read.headers["ETag"] == payment.headers["ETag"]
    r = await put(client, user, path, {"notes": "edited offline"}, **{"If-Match": before})
    assert r.status_code == 412
    after = (await client.get(path, headers=user.headers)).headers["ETag"]
    assert after != before
    # A payment is deleted conditionally too.
    stale = await delete(
        client, user, f"/api/payments/{payment.json()['id']}", **{"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    r = await delete(
        client, user, f"/api/payments/{payment.json()['id']}", **{"If-Match": read.headers["ETag"]}
    )
    assert r.status_code == 204


async def test_concurrent_conditional_edits_of_one_version_let_exactly_one_through(client, user):
    created = await client.post(
        "/api/expenses", json=RESOURCES["expenses"][1], headers=user.headers
    )
    path, tag = f"/api/expenses/{created.json()['id']}", created.headers["ETag"]
    answers = await asyncio.gather(
        *(put(client, user, path, {"title": f"Edit {i}"}, **{"If-Match": tag}) for i in range(6))
    )
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] + [412] * 5
    (winner,) = [r for r in answers if r.status_code == 200]
    final = await client.get(path, headers=user.headers)
    assert final.json()["title"] == winner.json()["title"]


async def test_profile_notification_and_import_carry_etags(client, user):
    me = await client.get("/api/users/me", headers=user.headers)
    tag = me.headers["ETag"]
    r = await client.get("/api/users/me", headers=user.headers | {"If-None-Match": tag})
    assert r.status_code == 304
    assert (await client.get("/api/auth/me", headers=user.headers)).headers["ETag"] == tag
    changed = await put(
        client, user, "/api/users/me", {"full_name": "New Name"}, **{"If-Match": tag}
    )
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    stale = await put(client, user, "/api/users/me", {"full_name": "Lost"}, **{"If-Match": tag})
    assert stale.status_code == 412
    assert (await get(client, user, "/api/users/me"))["full_name"] == "New Name"

    await post(client, user, "/api/income", RESOURCES["income"][1])  # notifies
    (note,) = (await get(client, user, "/api/notifications"))["items"]
    read = await client.post(f"/api/notifications/{note['id']}/read", headers=user.headers)
    assert STRONG.match(read.headers["ETag"])
    r = await delete(client, user, f"/api/notifications/{note['id']}", **{"If-Match": '"1"'})
    assert r.status_code == 412
    r = await delete(
        client, user, f"/api/notifications/{note['id']}", **{"If-Match": read.headers["ETag"]}
    )
    assert r.status_code == 204


async def test_a_replayed_create_answers_the_first_answers_etag(client, user):
    key = {"Idempotency-Key": "etag-replay-1"}
    body = RESOURCES["expenses"][1]
    first = await client.post("/api/expenses", json=body, headers=user.headers | key)
    again = await client.post("/api/expenses", json=body, headers=user.headers | key)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == first.headers["ETag"]


async def test_another_users_resource_is_a_404_whatever_the_precondition(client, user):
    other = await signup(client)
    debt = await create_debt(client, other)
    r = await put(client, user, f"/api/debts/{debt['id']}", {"name": "x"}, **{"If-Match": "*"})
    assert r.status_code == 404
    r = await client.get(f"/api/debts/{debt['id']}", headers=user.headers | {"If-None-Match": "*"})
    assert r.status_code == 404


def test_the_schema_declares_304_and_412_and_the_headers(app):
    paths = app.openapi()["paths"]
    for path in ("/api/debts/{debt_id}", "/api/expenses/{expense_id}", "/api/users/me"):
        get_op, put_op = paths[path]["get"], paths[path]["put"]
        assert "304" in get_op["responses"] and "412" in put_op["responses"], path
        assert "ETag" in get_op["responses"]["200"]["headers"]
        headers = {p["name"] for p in get_op["parameters"] if p["in"] == "header"}
        assert "if-none-match" in headers
        headers = {p["name"] for p in put_op["parameters"] if p["in"] == "header"}
        assert "if-match" in headers
    assert "412" in paths["/api/payments/{payment_id}"]["delete"]["responses"]


async def test_documents_from_before_versions_get_one_from_the_migration(client, db, user):
    debt = await create_debt(client, user)
    await pay(client, user, debt["id"], 50000, "2024-02-15")
    # As the previous version stored them: no versions anywhere, no counter.
    for name in ("debts", "payments", "notifications", "users"):
        await db[name].update_many({}, {"$unset": {"sync_seq": ""}})
    await db.sync_state.delete_many({})
    await db.migrations.delete_many({"_id": "2026-12-sync-versions"})
    assert await migrations.migrate(db) == ["2026-12-sync-versions"]
    tags = set()
    for path in (f"/api/debts/{debt['id']}", "/api/users/me"):
        r = await client.get(path, headers=user.headers)
        assert STRONG.match(r.headers["ETag"]), path
        tags.add(r.headers["ETag"].split("-")[0].strip('"'))
    assert len(tags) == 2  # each its own version
    state = await db.sync_state.find_one({"user_id": ObjectId(user.id)})
    # The debt, its payment, the payment's notification and the profile: four versions.
    assert state["seq"] == 4
    # A second run finds nothing to number.
    await migrations.sync_versions(db, None)
    assert (await db.sync_state.find_one({"_id": state["_id"]}))["seq"] == 4
