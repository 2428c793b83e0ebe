"""Builders the tests share: settings, users, and records created through the API."""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from config import Settings

PASSWORD = "SecurePass123!"
# The owner's guide's three curl examples (../shared/STRUCTURE.md), verbatim.
GUIDE_SIGNUP = {
    "email": "user@example.com",
    "password": "SecurePass123!",
    "full_name": "John Doe",
    "phone": "+91 98765 43210",
}
GUIDE_DEBT = {
    "name": "Home Loan",
    "debt_type": "home_loan",
    "principal": 3500000,
    "interest_rate": 6.5,
    "tenure_months": 240,
    "monthly_emi": 42500,
    "bank_name": "HDFC",
    "start_date": "2024-01-01T00:00:00Z",
}
GUIDE_PAYMENT = {
    "debt_id": "123abc",
    "amount": 42500,
    "payment_method": "net_banking",
    "payment_date": "2024-01-05T00:00:00Z",
}


def make_settings(mongo_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "app_env": "test",
        "secret_key": "test-secret-key-that-is-long-enough-0123456789",
        "mongodb_url": mongo_url,
        "mongodb_db": f"test_{uuid.uuid4().hex[:16]}",
        "mail_dir": tmp_path / "mail",
        "upload_dir": tmp_path / "uploads",
        "run_worker": False,
        "pdf_warm_parser": False,  # a PDF test starts its parser process when it needs one
        "bcrypt_rounds": 4,
        "signup_limit": 1000,
        "login_limit": 1000,
        "reset_limit": 1000,
        "db_timeout_ms": 1500,
    }
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[call-arg]


@dataclass
class TestUser:
    id: str
    email: str
    password: str
    headers: dict[str, str]
    tokens: dict[str, Any]


async def signup(
    client: httpx.AsyncClient, email_address: str | None = None, **extra: Any
) -> TestUser:
    address = email_address or f"user-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": address, "password": PASSWORD, "full_name": "Test User"} | extra
    response = await client.post("/api/auth/signup", json=body)
    assert response.status_code == 201, response.text
    tokens = response.json()
    return TestUser(
        id=tokens["user"]["id"],
        email=address,
        password=body["password"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        tokens=tokens,
    )


# ---------------------------------------------------------------- records through the API


def loan(**changes):
    body = {
        "name": "Car loan",
        "debt_type": "car_loan",
        "principal": 1000000,
        "interest_rate": 12,
        "tenure_months": 12,
        "bank_name": "SBI",
        "start_date": "2024-01-15",
    }
    return body | changes


async def create_debt(client, user, **changes):
    """A debt built from `loan()` with `changes`."""
    r = await client.post("/api/debts", headers=user.headers, json=loan(**changes))
    assert r.status_code == 201, r.text
    return r.json()


async def pay(client, user, debt_id, amount, when=None, **extra):
    """A payment; `when` is its payment_date (default: now)."""
    body = {"debt_id": debt_id, "amount": amount} | extra
    if when is not None:
        body["payment_date"] = when
    r = await client.post("/api/payments", headers=user.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def post(client, user, path, body):
    r = await client.post(path, json=body, headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()


async def income(client, user, amount, when, income_type="salary", source="Employer"):
    body = {"source": source, "amount": amount, "income_type": income_type, "date": when}
    return await post(client, user, "/api/income", body)


async def expense(client, user, amount, when, category="food", title="Spend", **extra):
    body = {"title": title, "category": category, "amount": amount, "date": when} | extra
    return await post(client, user, "/api/expenses", body)


async def debt(client, user, name, debt_type, principal, rate, **extra):
    body = {
        "name": name,
        "debt_type": debt_type,
        "principal": principal,
        "interest_rate": rate,
        "tenure_months": 120,
        "start_date": "2024-01-01",
    } | extra
    return await post(client, user, "/api/debts", body)


async def goal(client, user, title, target, **extra):
    target_date = (date.today() + timedelta(days=800)).isoformat()
    body = {"title": title, "target_amount": target, "target_date": target_date} | extra
    return await post(client, user, "/api/goals", body)


async def contribute(client, user, goal_id, amount, day):
    return await post(
        client, user, f"/api/goals/{goal_id}/contribute", {"amount": amount, "date": day}
    )


async def budget(client, user, category, amount, **extra):
    return await post(
        client, user, "/api/budgets", {"category": category, "monthly_limit": amount} | extra
    )


async def account(client, user, name, **extra):
    """An account of the user's (`extra`: kind, number_last4, currency, opening_balance...)."""
    return await post(client, user, "/api/accounts", {"name": name} | extra)


async def transfer(client, user, source, target, amount, when, **extra):
    """Money moved from account `source` to `target` (ids) on day `when`."""
    body = {"from_account_id": source, "to_account_id": target, "amount": amount, "date": when}
    return await post(client, user, "/api/transfers", body | extra)


async def get(client, user, path, status=200, **params):
    r = await client.get(path, params=params, headers=user.headers)
    assert r.status_code == status, r.text
    return r.json()


async def seed_other_user(client, other_user):
    """Someone else's money in every collection and period the tests look at."""
    await income(client, other_user, 777777, "2025-03-10")
    await expense(client, other_user, 99999, "2025-03-10", title="Not yours")
    await expense(client, other_user, 88888, "2025-03-31T23:30:00+05:30", title="Not yours")
    await budget(client, other_user, "food", 1)
    loan = await debt(client, other_user, "Their home", "home_loan", 9000000, 12)
    await pay(client, other_user, loan["id"], 200000, "2024-06-01")
    await pay(client, other_user, loan["id"], 200000, "2025-03-12")
    saving = await goal(client, other_user, "Their goal", 100000)
    await contribute(client, other_user, saving["id"], 4444, "2025-03-10")


# ---------------------------------------------------------------- statement imports


STATEMENTS_ACCOUNT = "Statements"


async def upload(client, user, data, name="statement.csv", status=201, headers=None, **form):
    """A statement uploaded for a preview; `form`: account_id, account, format, mapping,
    template, date_order. A statement that does not say which account it is of, sent
    without one, goes where the API's 422 `account_required` asks: to an account, here
    the user's STATEMENTS_ACCOUNT (created by name the first time)."""
    files = {"file": (name, data, "application/octet-stream")}
    headers = user.headers | (headers or {})
    r = await client.post("/api/imports", headers=headers, files=files, data=form)
    chosen = {"account", "account_id"} & form.keys()
    if r.status_code == 422 and r.json()["code"] == "account_required" and not chosen:
        form = form | {"account": STATEMENTS_ACCOUNT}
        r = await client.post("/api/imports", headers=headers, files=files, data=form)
    assert r.status_code == status, r.text
    return r.json()


async def all_rows(client, user, import_id, **params):
    """An import's rows (the first 100), in file order."""
    r = await client.get(
        f"/api/imports/{import_id}/rows", headers=user.headers, params={"limit": 100} | params
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def commit(client, user, import_id, status=200):
    r = await client.post(f"/api/imports/{import_id}/commit", headers=user.headers)
    assert r.status_code == status, r.text
    return r.json()
