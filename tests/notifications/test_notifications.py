"""The notifications inbox: list, unread filter and count, read, read-all, delete, expiry of
read notifications, per-type push/email preferences, and ownership."""

import asyncio
from datetime import timedelta

import pytest
from bson import ObjectId

from schemas import NotificationType
from security import User
from services import notify


async def add(db, user, n: int = 1, type_=NotificationType.system, **kw):
    """Store notifications the way every domain does (services.notify)."""
    doc = User.from_doc(await db.users.find_one({"_id": ObjectId(user.id)}))
    created = []
    for i in range(n):
        created.append(
            await notify(db, doc, type_, f"Title {i}", f"Message {i}", action_url=f"/x/{i}", **kw)
        )
        await asyncio.sleep(0.002)  # distinct created_at, so "newest first" is well defined
    return created


async def test_inbox_lists_newest_first_with_unread_filter_and_count(client, user, db):
    docs = await add(db, user, 3, NotificationType.payment_received)
    r = await client.get("/api/notifications", headers=user.headers)
    assert r.status_code == 200
    page = r.json()
    assert page["total"] == 3 and page["skip"] == 0 and page["limit"] == 20
    assert [n["title"] for n in page["items"]] == ["Title 2", "Title 1", "Title 0"]
    first = page["items"][0]
    assert first == {
        "id": str(docs[2]["_id"]),
        "notification_type": "payment_received",
        "title": "Title 2",
        "message": "Message 2",
        "action_url": "/x/2",
        "is_read": False,
        "read_at": None,
        "created_at": first["created_at"],
    }

    r = await client.get("/api/notifications/unread-count", headers=user.headers)
    assert r.json() == {"count": 3}
    r = await client.post(f"/api/notifications/{docs[1]['_id']}/read", headers=user.headers)
    assert r.status_code == 200 and r.json()["is_read"] is True
    r = await client.get("/api/notifications/unread-count", headers=user.headers)
    assert r.json() == {"count": 2}

    r = await client.get("/api/notifications?unread=true", headers=user.headers)
    assert [n["title"] for n in r.json()["items"]] == ["Title 2", "Title 0"]
    assert r.json()["total"] == 2
    r = await client.get("/api/notifications?unread=false", headers=user.headers)
    assert r.json()["total"] == 3  # unread=false means "all"


async def test_pagination(client, user, db):
    await add(db, user, 5)
    r = await client.get("/api/notifications?skip=1&limit=2", headers=user.headers)
    page = r.json()
    assert page["total"] == 5 and [n["title"] for n in page["items"]] == ["Title 3", "Title 2"]
    for bad in ("limit=0", "limit=101", "skip=-1", "unread=maybe"):
        r = await client.get(f"/api/notifications?{bad}", headers=user.headers)
        assert r.status_code == 422, bad


async def test_mark_read_starts_the_expiry_clock_once(client, user, db, app):
    (doc,) = await add(db, user)
    stored = await db.notifications.find_one({"_id": doc["_id"]})
    assert "expires_at" not in stored  # unread notifications never expire

    r = await client.post(f"/api/notifications/{doc['_id']}/read", headers=user.headers)
    assert r.status_code == 200
    read_at = r.json()["read_at"]
    stored = await db.notifications.find_one({"_id": doc["_id"]})
    assert stored["expires_at"] - stored["read_at"] == timedelta(days=180)

    # Reading again is harmless and keeps the first read time.
    r = await client.post(f"/api/notifications/{doc['_id']}/read", headers=user.headers)
    assert r.status_code == 200 and r.json()["read_at"] == read_at


async def test_expiry_of_read_notifications_is_configurable_and_indexed(client, user, db, app):
    app.state.settings = app.state.settings.model_copy(update={"notification_ttl_days": 7})
    await add(db, user, 2)
    r = await client.post("/api/notifications/read-all", headers=user.headers)
    assert r.json() == {"updated": 2}
    async for stored in db.notifications.find({}):
        assert stored["expires_at"] - stored["read_at"] == timedelta(days=7)
    indexes = await db.notifications.index_information()
    ttl = [i for i in indexes.values() if i["key"] == [("expires_at", 1)]]
    assert ttl and ttl[0]["expireAfterSeconds"] == 0


async def test_read_all_marks_only_my_unread(client, user, other_user, db):
    await add(db, user, 3)
    theirs = await add(db, other_user, 2)
    r = await client.post("/api/notifications/read-all", headers=user.headers)
    assert r.status_code == 200 and r.json() == {"updated": 3}
    r = await client.post("/api/notifications/read-all", headers=user.headers)
    assert r.json() == {"updated": 0}
    r = await client.get("/api/notifications/unread-count", headers=user.headers)
    assert r.json() == {"count": 0}
    assert (
        await db.notifications.count_documents(
            {"_id": {"$in": [d["_id"] for d in theirs]}, "is_read": False}
        )
        == 2
    )


async def test_delete(client, user, db):
    keep, gone = await add(db, user, 2)
    r = await client.delete(f"/api/notifications/{gone['_id']}", headers=user.headers)
    assert r.status_code == 204
    r = await client.delete(f"/api/notifications/{gone['_id']}", headers=user.headers)
    assert r.status_code == 404 and r.json()["code"] == "notification_not_found"
    r = await client.get("/api/notifications", headers=user.headers)
    assert [n["id"] for n in r.json()["items"]] == [str(keep["_id"])]


@pytest.mark.parametrize(("method", "suffix"), [("POST", "/read"), ("DELETE", "")])
async def test_someone_elses_or_malformed_notification_is_404(
    client, user, other_user, db, method, suffix
):
    (theirs,) = await add(db, other_user)
    for nid in (str(theirs["_id"]), str(ObjectId()), "nope", "0" * 25):
        r = await client.request(method, f"/api/notifications/{nid}{suffix}", headers=user.headers)
        assert r.status_code == 404, nid
        assert r.json() == {"detail": "Notification not found", "code": "notification_not_found"}
    stored = await db.notifications.find_one({"_id": theirs["_id"]})
    assert stored is not None and stored["is_read"] is False
    r = await client.get("/api/notifications", headers=user.headers)
    assert r.json()["total"] == 0


async def test_inbox_needs_authentication(client):
    for path in ("/api/notifications", "/api/notifications/unread-count"):
        assert (await client.get(path)).status_code == 401
    assert (await client.post("/api/notifications/read-all")).status_code == 401


# ---------------------------------------------------------------- per-type preferences


async def _goal_reaching_25_percent(client, user):
    r = await client.post(
        "/api/goals",
        json={"title": "Bike", "target_amount": 1000, "target_date": "2099-01-01"},
        headers=user.headers,
    )
    r = await client.post(
        f"/api/goals/{r.json()['id']}/contribute", json={"amount": 250}, headers=user.headers
    )
    assert r.json()["new_milestones"] == [25]


async def _outbox(db, kind):
    docs = await db.outbox.find({"kind": kind}).to_list(None)
    return [d for d in docs if d["payload"].get("subject") != "Welcome to Cleero Financial Compass"]


@pytest.mark.parametrize(
    ("prefs", "push", "email"),
    [
        ({}, 1, 1),
        ({"goal_milestone": {"email": False}}, 1, 0),
        ({"goal_milestone": {"push": False}}, 0, 1),
        ({"goal_milestone": {"email": False, "push": False}}, 0, 0),
        ({"payment_due": {"email": False, "push": False}}, 1, 1),  # another type: no effect
    ],
)
async def test_push_and_email_follow_per_type_preferences(client, user, db, prefs, push, email):
    if prefs:
        r = await client.put(
            "/api/users/me", json={"notification_preferences": prefs}, headers=user.headers
        )
        assert r.status_code == 200, r.text
    await _goal_reaching_25_percent(client, user)
    # The in-app notification is always stored.
    assert await db.notifications.count_documents({"notification_type": "goal_milestone"}) == 1
    assert len(await _outbox(db, "push")) == push
    assert len(await _outbox(db, "email")) == email


async def test_push_payload_targets_the_user(client, user, db):
    await _goal_reaching_25_percent(client, user)
    (push,) = await _outbox(db, "push")
    note = await db.notifications.find_one({"notification_type": "goal_milestone"})
    assert push["payload"] == {
        "user_id": user.id,
        "title": note["title"],
        "message": note["message"],
        "action_url": note["action_url"],
    }


# ---------------------------------------------------------------- links to deleted entries


async def test_a_notification_loses_its_link_when_its_expense_is_deleted(client, user, db):
    r = await client.post(
        "/api/expenses", json={"title": "Taxi", "category": "transport", "amount": 10},
        headers=user.headers,
    )  # fmt: skip
    expense = r.json()
    (about, other) = await add(db, user, 2)
    await db.notifications.update_one(
        {"_id": about["_id"]}, {"$set": {"action_url": f"/expenses/{expense['id']}"}}
    )
    r = await client.delete(f"/api/expenses/{expense['id']}", headers=user.headers)
    assert r.status_code == 204
    r = await client.get("/api/notifications", headers=user.headers)
    links = {n["id"]: n["action_url"] for n in r.json()["items"]}
    assert links == {str(about["_id"]): None, str(other["_id"]): "/x/1"}
    # The link is looked up on an index, not by reading every notification of the user.
    query = {"user_id": ObjectId(user.id), "action_url": "/x/1"}
    plan = (await db.notifications.find(query).explain())["queryPlanner"]["winningPlan"]
    while plan.get("stage") != "IXSCAN" and "inputStage" in plan:
        plan = plan["inputStage"]
    assert plan.get("indexName") == "user_id_1_action_url_1"
