"""The user's own profile: read, partial update, account deletion."""

import pytest

from tests.factories import PASSWORD


async def test_update_profile_partially(client, user):
    r = await client.put(
        "/api/users/me",
        headers=user.headers,
        json={
            "full_name": "  Priya Sharma  ",
            "phone": "+91 90000 12345",
            "profile": {"date_of_birth": "1990-05-17", "address": "Pune", "timezone": "Asia/Dubai"},
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["full_name"] == "Priya Sharma"
    assert body["profile"] == {
        "date_of_birth": "1990-05-17",
        "address": "Pune",
        "preferred_currency": "INR",
        "timezone": "Asia/Dubai",
    }
    # A later update of one profile field keeps the others.
    r = await client.put(
        "/api/users/me", headers=user.headers, json={"profile": {"preferred_currency": "usd"}}
    )
    assert r.json()["profile"]["preferred_currency"] == "USD"
    assert r.json()["profile"]["timezone"] == "Asia/Dubai"
    me = await client.get("/api/users/me", headers=user.headers)
    assert me.json() == r.json()


async def test_notification_preferences_merge_per_type(client, user):
    r = await client.put(
        "/api/users/me",
        headers=user.headers,
        json={"notification_preferences": {"expense_alert": {"email": False}}},
    )
    assert r.status_code == 200
    r = await client.put(
        "/api/users/me",
        headers=user.headers,
        json={"notification_preferences": {"goal_milestone": {"push": False}}},
    )
    prefs = r.json()["notification_preferences"]
    assert prefs == {
        "expense_alert": {"email": False, "push": True},
        "goal_milestone": {"email": True, "push": False},
    }


@pytest.mark.parametrize(
    "body",
    [
        {"profile": {"timezone": "Mars/Olympus"}},
        {"profile": {"preferred_currency": "XYZ"}},
        {"profile": {"timezone": None}},
        {"full_name": None},
        {"email": "new@example.com"},
        {"hashed_password": "x"},
        {"_id": "abc"},
        {"notification_preferences": {"not_a_type": {"email": False}}},
        {"phone": "call me"},
    ],
)
async def test_update_rejects_bad_input(client, user, body):
    r = await client.put("/api/users/me", headers=user.headers, json=body)
    assert r.status_code == 422, body
    me = (await client.get("/api/users/me", headers=user.headers)).json()
    assert me["profile"]["timezone"] == "Asia/Kolkata"


async def test_profile_needs_auth(client):
    assert (await client.get("/api/users/me")).status_code == 401
    assert (await client.put("/api/users/me", json={"full_name": "x"})).status_code == 401


async def test_delete_account_needs_the_password_and_removes_everything(
    client, user, other_user, db
):
    r = await client.request(
        "DELETE", "/api/users/me", headers=user.headers, json={"password": "wrong-password"}
    )
    assert r.status_code == 400
    assert (await client.get("/api/users/me", headers=user.headers)).status_code == 200

    r = await client.request(
        "DELETE", "/api/users/me", headers=user.headers, json={"password": PASSWORD}
    )
    assert r.status_code == 204
    assert (await client.get("/api/users/me", headers=user.headers)).status_code == 401
    login = await client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    assert login.status_code == 401
    from bson import ObjectId

    uid = ObjectId(user.id)
    for name in await db.list_collection_names():
        assert await db[name].count_documents({"user_id": uid}) == 0, name
    # The other user is untouched.
    assert (await client.get("/api/users/me", headers=other_user.headers)).status_code == 200
