"""The user's own profile: read, partial update, account deletion."""

import pytest

from tests.factories import PASSWORD, create_debt, get, pay, post


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
        "tax_regime": "old",
        "card_utilisation_alert": 30,  # the default alert threshold, percent of a card's limit
        "low_balance_threshold": None,
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


async def test_update_ignores_the_read_only_email(client, user):
    """An edit form sends `email` back: ignored (it changes only through its own flow)."""
    r = await client.put("/api/users/me", headers=user.headers, json={"email": "new@example.com"})
    assert (r.status_code, r.json()["email"]) == (200, user.email)


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


async def test_export_is_all_of_my_data_as_the_api_shows_it(client, user, other_user):
    """GET /api/users/me/export: one JSON document, every section, receipts as working links,
    nothing of anyone else's."""
    for account, marker in ((user, "Mine"), (other_user, "Theirs")):
        debt = await create_debt(client, account, name=f"{marker} loan")
        await pay(client, account, debt["id"], 100, payment_type="prepayment")
        await post(client, account, "/api/income", {"source": marker, "amount": 5})
        await post(client, account, "/api/budgets", {"category": "food", "monthly_limit": 9})
        goal = await post(
            client,
            account,
            "/api/goals",
            {"title": marker, "target_amount": 10, "target_date": "2099-01-01"},
        )
        await post(client, account, f"/api/goals/{goal['id']}/contribute", {"amount": 3})
    expense = await post(
        client,
        user,
        "/api/expenses",
        {"title": "=cmd|' /C calc'!A0", "category": "food", "amount": 2},
    )
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    r = await client.post(
        f"/api/expenses/{expense['id']}/receipt",
        headers=user.headers,
        files={"file": ("r.png", png, "image/png")},
    )
    assert r.status_code == 200

    r = await client.get("/api/users/me/export", headers=user.headers)
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith('attachment; filename="cleero-export-')
    data = r.json()
    assert data["user"] == await get(client, user, "/api/users/me")
    assert set(data) == {
        "exported_at",
        "user",
        "debts",
        "payments",
        "income",
        "expenses",
        "budgets",
        "goals",
        "goal_contributions",
        "notifications",
        "imports",
        "import_rows",
        "import_templates",
        "rules",
        "accounts",
        "transfers",
    }
    (debt,) = data["debts"]
    assert debt.pop("rate_changes") == []  # the debt's book: its resets, with the API's fields
    assert debt == await get(client, user, f"/api/debts/{debt['id']}")
    assert [p["amount"] for p in data["payments"]] == [100]
    assert [i["source"] for i in data["income"]] == ["Mine"]
    assert [g["title"] for g in data["goals"]] == ["Mine"]
    assert [c["amount"] for c in data["goal_contributions"]] == [3]
    assert data["budgets"][0]["monthly_limit"] == 9
    assert len(data["notifications"]) >= 2  # payment received, income received
    assert "Theirs" not in r.text
    (exported,) = data["expenses"]
    assert exported["title"] == "=cmd|' /C calc'!A0"  # JSON keeps text as text
    # The receipt is a link that serves the file.
    link = exported["receipt_link"].removeprefix("http://test")
    assert (await client.get(link)).content == png
