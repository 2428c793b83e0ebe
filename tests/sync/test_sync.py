"""Delta sync (GET /api/sync, docs/sync.md): replaying the changes from a cursor, a page at a
time, gives exactly what the lists show, whatever ran at the same time: no change lost,
none delivered twice, deletions included; an expired cursor is a 410; nobody else's data."""

import asyncio
import random
from typing import Any

import pytest
from bson import ObjectId

from tests.factories import PASSWORD, account, create_debt, get, post, signup, transfer
from tests.factories import TestUser as Account
from tests.statement_workbooks import FIXTURES

Local = dict[tuple[str, str], Any]
# Each resource's list (every item as its GET returns it); contributions are listed per goal.
LISTS = {
    "debt": "/api/debts",
    "payment": "/api/payments",
    "income": "/api/income",
    "expense": "/api/expenses",
    "budget": "/api/budgets",
    "goal": "/api/goals",
    "notification": "/api/notifications",
    "import": "/api/imports",
    "rule": "/api/rules",
    "account": "/api/accounts",
    "transfer": "/api/transfers",
}


async def listed(client, user, path) -> list[dict]:
    items, skip = [], 0
    while True:
        page = await get(client, user, path, skip=skip, limit=100)
        items += page["items"]
        skip += 100
        if skip >= page["total"]:
            return items


async def everything(client, user) -> Local:
    """Every resource of the user, as the lists and GETs show it now."""
    state: Local = {}
    for resource, path in LISTS.items():
        for item in await listed(client, user, path):
            state[resource, item["id"]] = item
    for (resource, goal_id), _ in list(state.items()):
        if resource == "goal":
            for item in await listed(client, user, f"/api/goals/{goal_id}/contributions"):
                state["goal_contribution", item["id"]] = item
    me = await get(client, user, "/api/users/me")
    state["profile", me["id"]] = me
    return state


async def page(client, user, since=None, limit=None, status=200) -> dict:
    params = {k: v for k, v in (("since", since), ("limit", limit)) if v is not None}
    r = await client.get("/api/sync", params=params, headers=user.headers)
    assert r.status_code == status, r.text
    return r.json()


async def catch_up(client, user, local: Local, since=None, limit=None, seen=None) -> str:
    """Apply pages from `since` until `has_more` is false; returns the last cursor. `seen`
    collects (resource, id, etag or "delete") of every change delivered."""
    while True:
        body = await page(client, user, since, limit)
        keys = [(c["resource"], c["id"]) for c in body["changes"]]
        assert len(keys) == len(set(keys))  # a resource once a page
        assert limit is None or len(keys) <= limit
        for change in body["changes"]:
            key = (change["resource"], change["id"])
            if seen is not None:
                seen.append((*key, change["etag"] or "delete"))
            if change["op"] == "delete":
                assert change["data"] is None and change["etag"] is None
                local.pop(key, None)
            else:
                assert change["data"]["id"] == change["id"]
                local[key] = change["data"]
        since = body["cursor"]
        if not body["has_more"]:
            return since


async def second_device(client, user) -> Account:
    """The same user logged in again: another session, as a phone beside the web app."""
    r = await client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return Account(user.id, user.email, PASSWORD, headers, r.json())


LOAN = {
    "name": "Car loan",
    "debt_type": "car_loan",
    "principal": 500000,
    "interest_rate": 9,
    "tenure_months": 60,
    "start_date": "2024-01-05",
}


async def seed(client, user) -> dict[str, list[str]]:
    """A little of everything; the ids by kind."""
    ids: dict[str, list[str]] = {}

    async def make(kind, path, body):
        ids.setdefault(kind, []).append((await post(client, user, path, body))["id"])

    for i in range(6):
        body = {"title": f"Spend {i}", "category": "food", "amount": 100 + i}
        await make("expense", "/api/expenses", body)
    for i in range(2):
        await make("income", "/api/income", {"source": f"Job {i}", "amount": 1000 + i})
    for name in ("Car", "Old bike"):
        await make("debt", "/api/debts", LOAN | {"name": name})
    old_bike = ids["debt"][1]
    body = {"debt_id": old_bike, "amount": 1000, "payment_type": "prepayment"}
    await make("payment", "/api/payments", body)
    for title in ("Trip", "Phone"):
        body = {"title": title, "target_amount": 50000, "target_date": "2099-12-31"}
        await make("goal", "/api/goals", body)
    await post(client, user, f"/api/goals/{ids['goal'][1]}/contribute", {"amount": 100})
    await make("budget", "/api/budgets", {"category": "food", "monthly_limit": 5000})
    body = {"name": "Cabs", "match": {"narration": "UBER"}, "set": {"category": "transport"}}
    await make("rule", "/api/rules", body)
    return ids


def burst(client, web, phone, ids) -> list:
    """Creates, edits and deletes across every resource, from two devices at once."""
    devices = [web, phone]
    ops = []

    def call(i, method, path, body=None):
        device = devices[i % 2]
        ops.append(client.request(method, path, json=body, headers=device.headers))

    for i in range(8):
        body = {"title": f"New {i}", "category": "travel", "amount": 10 + i}
        call(i, "POST", "/api/expenses", body)
    for i, expense in enumerate(ids["expense"][:3]):
        call(i, "PUT", f"/api/expenses/{expense}", {"amount": 500 + i})
    for i, expense in enumerate(ids["expense"][3:]):
        call(i, "DELETE", f"/api/expenses/{expense}")
    for i in range(3):
        call(i, "POST", "/api/income", {"source": f"Gig {i}", "amount": 70 + i})
    call(1, "DELETE", f"/api/income/{ids['income'][0]}")
    car = ids["debt"][0]
    for i in range(3):
        body = {"debt_id": car, "amount": 1000 + i, "payment_type": "prepayment"}
        call(i, "POST", "/api/payments", body)
    call(0, "DELETE", f"/api/debts/{ids['debt'][1]}")  # with its payment
    call(1, "POST", "/api/debts", LOAN | {"name": "Scooter"})
    trip, phone_goal = ids["goal"]
    for i in range(2):
        call(i, "POST", f"/api/goals/{trip}/contribute", {"amount": 200 + i})
    call(0, "PUT", f"/api/goals/{trip}", {"description": "Goa"})
    call(1, "DELETE", f"/api/goals/{phone_goal}")  # with its contribution
    call(0, "PUT", f"/api/budgets/{ids['budget'][0]}", {"monthly_limit": 6000})
    call(1, "POST", "/api/budgets", {"category": "travel", "monthly_limit": 900})
    call(0, "DELETE", f"/api/rules/{ids['rule'][0]}")
    body = {"name": "Food", "match": {"narration": "SWIGGY"}, "set": {"category": "food"}}
    call(1, "POST", "/api/rules", body)
    call(0, "POST", "/api/notifications/read-all")
    call(1, "PUT", "/api/users/me", {"full_name": "Synced Person"})
    random.Random(7).shuffle(ops)
    return ops


async def test_replaying_from_zero_in_pages_gives_exactly_the_lists(client, user):
    await seed(client, user)
    local: Local = {}
    seen: list = []
    await catch_up(client, user, local, limit=7, seen=seen)
    assert local == await everything(client, user)
    assert len(seen) == len(set(seen)) == len(local)  # each change once, no deletion


async def test_concurrent_writes_from_two_devices_are_each_synced_once(client, user):
    web = user
    phone = await second_device(client, user)
    ids = await seed(client, web)
    local: Local = {}
    cursor = await catch_up(client, web, local)
    before = dict(local)

    # A third reader follows the changes while both devices write.
    seen: list = []
    writing = True

    async def follow() -> str:
        since = cursor
        while writing:
            since = await catch_up(client, phone, local, since, limit=5, seen=seen)
            await asyncio.sleep(0)
        return await catch_up(client, phone, local, since, limit=5, seen=seen)

    follower = asyncio.create_task(follow())
    answers = await asyncio.gather(*burst(client, web, phone, ids))
    writing = False
    end = await follower
    assert [r.text for r in answers if r.status_code >= 300] == []

    final = await everything(client, web)
    assert local == final
    # No change delivered twice: a version is sent once, a deletion once.
    assert len(seen) == len(set(seen))
    # Deletions seen: what the burst deleted, and what went with it.
    deleted = {(r, i) for r, i, tag in seen if tag == "delete"}
    gone = {key for key in before if key not in final}
    assert gone <= deleted
    assert ("payment", ids["payment"][0]) in deleted and ("debt", ids["debt"][1]) in deleted
    assert sum(1 for key in gone if key[0] == "goal_contribution") == 1
    # Nothing more to give, and a full reload from zero is the same state.
    assert (await page(client, web, end))["changes"] == []
    reloaded: Local = {}
    await catch_up(client, web, reloaded, limit=9)
    assert reloaded == final


async def test_a_resource_changed_twice_appears_once_as_it_is_now(client, user):
    expense = await post(
        client, user, "/api/expenses", {"title": "Tea", "category": "food", "amount": 20}
    )
    cursor = (await page(client, user))["cursor"]
    path = f"/api/expenses/{expense['id']}"
    for amount in (21, 22, 23):
        r = await client.put(path, json={"amount": amount}, headers=user.headers)
        assert r.status_code == 200
    body = await page(client, user, cursor)
    (change,) = [c for c in body["changes"] if c["resource"] == "expense"]
    assert (change["op"], change["data"]["amount"]) == ("upsert", 23)
    r = await client.get(path, headers=user.headers)
    assert (change["etag"], change["data"]) == (r.headers["ETag"], r.json())


async def test_an_import_its_entries_and_its_undo_are_synced(client, user):
    statement = {"file": ("axis.csv", (FIXTURES / "axis_statement.csv").read_bytes())}
    r = await client.post("/api/imports", headers=user.headers, files=statement)
    assert r.status_code == 201, r.text
    local: Local = {}
    cursor = await catch_up(client, user, local)
    assert local["import", r.json()["id"]]["status"] == "preview"
    committed = await client.post(f"/api/imports/{r.json()['id']}/commit", headers=user.headers)
    assert committed.status_code == 200, committed.text
    cursor = await catch_up(client, user, local, cursor, limit=4)
    assert local["import", r.json()["id"]]["status"] == "committed"
    created = committed.json()["created"]
    entries = [key for key in local if key[0] in ("expense", "income")]
    assert len(entries) == created["expenses"] + created["income"] > 0
    assert local == await everything(client, user)
    undone = await client.post(f"/api/imports/{r.json()['id']}/undo", headers=user.headers)
    assert undone.status_code == 200, undone.text
    await catch_up(client, user, local, cursor, limit=4)
    assert not [key for key in local if key[0] in ("expense", "income")]
    assert local["import", r.json()["id"]]["status"] == "undone"
    assert local == await everything(client, user)


async def test_a_cursor_older_than_the_deletions_kept_is_a_410(client, user, db):
    uid = ObjectId(user.id)
    first = await post(client, user, "/api/income", {"source": "A", "amount": 1})
    second = await post(client, user, "/api/income", {"source": "B", "amount": 2})
    local: Local = {}
    before_both = await catch_up(client, user, local)
    await client.delete(f"/api/income/{first['id']}", headers=user.headers)
    between = await catch_up(client, user, dict(local), before_both)
    await client.delete(f"/api/income/{second['id']}", headers=user.headers)
    after_both = await catch_up(client, user, dict(local), between)

    # The TTL index removes a user's oldest tombstones first: the first deletion expires.
    assert await db.sync_tombstones.count_documents({"user_id": uid}) == 2
    oldest = await db.sync_tombstones.find_one({"user_id": uid}, sort=[("sync_seq", 1)])
    await db.sync_tombstones.delete_one({"_id": oldest["_id"], "user_id": uid})
    gone = await page(client, user, before_both, status=410)
    assert gone["code"] == "sync_cursor_expired"
    kept = await page(client, user, between)  # it needs only the second, still kept
    assert [(c["op"], c["id"]) for c in kept["changes"] if c["resource"] == "income"] == [
        ("delete", second["id"])
    ]
    # Every tombstone expired: only a cursor from after them all still works.
    await db.sync_tombstones.delete_many({"user_id": uid})
    await page(client, user, between, status=410)
    assert (await page(client, user, after_both))["changes"] == []
    reload: Local = {}
    await catch_up(client, user, reload)  # since=0: a full load needs no tombstone
    assert reload == await everything(client, user)


async def test_tombstones_are_kept_thirty_days_by_a_ttl_index(db, client, user):
    indexes = await db.sync_tombstones.index_information()
    ttl = [spec for spec in indexes.values() if "expireAfterSeconds" in spec]
    assert [(spec["key"], spec["expireAfterSeconds"]) for spec in ttl] == [
        ([("deleted_at", 1)], 30 * 24 * 3600)
    ]


async def test_a_full_load_under_way_survives_old_deletions_expiring(client, user, db):
    """A load reads old change numbers, but it holds nothing from before it began: the
    deletions of that time never matter to it, even once they have expired."""
    uid = ObjectId(user.id)
    for i in range(6):
        await post(client, user, "/api/income", {"source": f"S{i}", "amount": 1 + i})
    doomed = await post(client, user, "/api/income", {"source": "Doomed", "amount": 9})
    await client.delete(f"/api/income/{doomed['id']}", headers=user.headers)
    await db.sync_tombstones.delete_many({"user_id": uid})  # expired
    local: Local = {}
    await catch_up(client, user, local, limit=2)
    assert local == await everything(client, user)


async def test_another_users_changes_never_appear(client, user):
    other = await signup(client)
    await seed(client, other)
    theirs = await post(client, other, "/api/income", {"source": "Theirs", "amount": 5})
    await client.delete(f"/api/income/{theirs['id']}", headers=other.headers)
    await post(client, user, "/api/income", {"source": "Mine", "amount": 5})
    local: Local = {}
    await catch_up(client, user, local, limit=3)
    assert local == await everything(client, user)
    assert {key[0] for key in local} == {"income", "notification", "profile"}
    other_ids = set((await everything(client, other)).keys()) | {("income", theirs["id"])}
    assert not set(local) & other_ids


async def test_limits_and_cursors_are_checked(client, user):
    assert (await page(client, user, limit=501, status=422))["code"] == "validation_error"
    await page(client, user, since="abc", status=422)
    await page(client, user, since="-1", status=422)
    await page(client, user, limit=0, status=422)
    empty = await page(client, user)
    assert (empty["has_more"], [c["resource"] for c in empty["changes"]]) == (False, ["profile"])
    # A cursor this database never gave (another server's, a restore's): reload.
    gone = await page(client, user, since="999999", status=410)
    assert gone["code"] == "sync_cursor_expired"


@pytest.mark.parametrize("limit", [1, 3])
async def test_small_pages_advance_and_stop(client, user, limit):
    debt = await create_debt(client, user)
    await client.put(f"/api/debts/{debt['id']}", json={"name": "Renamed"}, headers=user.headers)
    local: Local = {}
    pages = 0
    since = None
    while True:
        body = await page(client, user, since, limit)
        pages += 1
        for change in body["changes"]:
            local[change["resource"], change["id"]] = change["data"]
        since = body["cursor"]
        if not body["has_more"]:
            break
    assert local == await everything(client, user)
    assert pages >= len(local) // limit


async def test_accounts_and_transfers_are_synced_with_the_balances_they_move(client, user):
    savings = await account(client, user, "Savings", opening_balance=1000)
    cash = await account(client, user, "Cash", kind="cash")
    local: Local = {}
    cursor = await catch_up(client, user, local)
    moved = await transfer(client, user, savings["id"], cash["id"], 300, "2024-03-10")
    cursor = await catch_up(client, user, local, cursor)
    assert local["transfer", moved["id"]] == moved
    # Neither account was edited, but the money moved: both come with their balances.
    balances = [local["account", a["id"]]["balance"] for a in (savings, cash)]
    assert balances == [1000 - 300, 0 + 300]
    assert local == await everything(client, user)
    r = await client.delete(f"/api/transfers/{moved['id']}", headers=user.headers)
    assert r.status_code == 204
    await catch_up(client, user, local, cursor)
    assert ("transfer", moved["id"]) not in local
    assert [local["account", a["id"]]["balance"] for a in (savings, cash)] == [1000, 0]
    assert local == await everything(client, user)
