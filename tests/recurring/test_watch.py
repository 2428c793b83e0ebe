"""The balance watch through HTTP (today 10 June 2026): an EMI the projected balance cannot
pay is warned of once; a dip below the user's threshold once per episode."""

from datetime import UTC, datetime

import pytest

import core.dates
from tests.factories import account, debt, get, post

NOW = datetime(2026, 6, 10, 6, 30, tzinfo=UTC)  # 10 June 2026 in India


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(core.dates, "now_ms", lambda: NOW)


async def detect(client, user):
    r = await client.post("/api/recurring/detect", headers=user.headers)
    assert r.status_code == 200, r.text


async def warnings(client, user, title):
    page = await get(client, user, "/api/notifications", limit=100)
    return [n["message"] for n in page["items"] if n["title"] == title]


async def set_threshold(client, user, value):
    body = {"profile": {"low_balance_threshold": value}}
    r = await client.put("/api/users/me", json=body, headers=user.headers)
    assert r.status_code == 200, r.text
    assert r.json()["profile"]["low_balance_threshold"] == value


async def test_an_emi_the_balance_cannot_pay_is_warned_of_once(client, user):
    await account(client, user, "Savings", opening_balance=8000, opening_date="2026-06-01")
    await debt(
        client, user, "Car loan", "car_loan", 500000, 9, monthly_emi=10500,
        next_payment_date="2026-06-15", tenure_months=60, start_date="2026-05-15",
    )  # fmt: skip
    await detect(client, user)
    await detect(client, user)
    # 8,000 - 10,500 = -2,500 after the EMI of 15 June (paid from no account: the total).
    assert await warnings(client, user, "EMI at risk") == [
        "Your balance may not cover the Car loan EMI of ₹10,500.00 on 2026-06-15: "
        "-₹2,500.00 projected"
    ]


async def test_a_dip_below_the_threshold_is_warned_of_once_per_episode(client, user):
    await account(client, user, "Savings", opening_balance=20000, opening_date="2026-06-01")
    await set_threshold(client, user, 15000)
    rent = {"title": "Rent", "amount": 8000, "next_date": "2026-06-20"}
    item = await post(client, user, "/api/recurring", rent)
    await detect(client, user)
    await detect(client, user)  # the same episode: no second warning
    # 20,000 - 8,000 = 12,000 from 20 June, below 15,000.
    expected = "Your balance is projected to fall to ₹12,000.00 on 2026-06-20, below ₹15,000.00"
    assert await warnings(client, user, "Low balance ahead") == [expected]
    # Rent gone, the projection stays above: the episode ends. It comes back: warned again.
    url = f"/api/recurring/{item['id']}"
    assert (await client.delete(url, headers=user.headers)).status_code == 204
    await detect(client, user)
    await post(client, user, "/api/recurring", rent)
    await detect(client, user)
    assert await warnings(client, user, "Low balance ahead") == [expected, expected]


async def test_no_threshold_no_warning(client, user):
    await account(client, user, "Savings", opening_balance=100, opening_date="2026-06-01")
    await post(
        client, user, "/api/recurring", {"title": "Rent", "amount": 8000, "next_date": "2026-06-20"}
    )
    await detect(client, user)
    assert await warnings(client, user, "Low balance ahead") == []
    r = await client.put(
        "/api/users/me", json={"profile": {"low_balance_threshold": "lots"}}, headers=user.headers
    )
    assert r.status_code == 422
