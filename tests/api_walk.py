"""Every operation of the app's own OpenAPI schema, called with real ids and a valid body:
one object of every kind seeded, then each operation sent. The security suite and the
sharding check walk the API through these."""

import re
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import PASSWORD
from tests.factories import TestUser as Account
from tests.statement_workbooks import FIXTURES

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LOAN = {
    "name": "Home loan",
    "debt_type": "home_loan",
    "principal": 500000,
    "interest_rate": 8.5,
    "tenure_months": 240,
    "start_date": "2024-01-05",
}


def operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in app.openapi()["paths"].items()
        for method, op in ops.items()
    ]


def path_params(path: str) -> list[str]:
    return re.findall(r"\{([^}]+)\}", path)


def body_kind(op: dict[str, Any]) -> str | None:
    content = op.get("requestBody", {}).get("content", {})
    return next(iter(content), None)


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def seed(client: httpx.AsyncClient, user: Account, marker: str = "") -> dict[str, str]:
    """One object of every kind, named with `marker`; returns the ids by path parameter name."""
    h = user.headers
    debt = created(await client.post("/api/debts", headers=h, json=LOAN | {"name": marker + "L"}))
    body = {"debt_id": debt["id"], "amount": 5000, "notes": marker}
    payment = created(await client.post("/api/payments", headers=h, json=body))
    body = {"source": marker + "Salary", "amount": 90000}
    income = created(await client.post("/api/income", headers=h, json=body))
    body = {"title": marker + "Lunch", "category": "food", "amount": 250}
    expense = created(await client.post("/api/expenses", headers=h, json=body))
    receipt = {"file": ("r.png", PNG, "image/png")}
    created(await client.post(f"/api/expenses/{expense['id']}/receipt", headers=h, files=receipt))
    body = {"category": "food", "monthly_limit": 5000, "name": marker + "Food"}
    budget = created(await client.post("/api/budgets", headers=h, json=body))
    body = {"title": marker + "Trip", "target_amount": 50000, "target_date": "2099-12-31"}
    goal = created(await client.post("/api/goals", headers=h, json=body))
    url = f"/api/goals/{goal['id']}/contribute"
    created(await client.post(url, headers=h, json={"amount": 100, "note": marker}))
    inbox = created(await client.get("/api/notifications", headers=h))
    statement = {"file": ("axis.csv", (FIXTURES / "axis_statement.csv").read_bytes())}
    imp = created(
        await client.post(
            "/api/imports", headers=h, files=statement, data={"account": marker + "A"}
        )
    )
    rows = created(await client.get(f"/api/imports/{imp['id']}/rows", headers=h))
    body = {"name": marker + "Rule", "match": {"narration": "UBER"}, "set": {"category": "food"}}
    rule = created(await client.post("/api/rules", headers=h, json=body))
    wallet = created(await client.post("/api/accounts", headers=h, json={"name": marker + "W"}))
    body = {"from_account_id": imp["account_id"], "to_account_id": wallet["id"], "amount": 500}
    transfer = created(await client.post("/api/transfers", headers=h, json=body))
    body = {"name": marker + "Card", "kind": "credit_card", "statement_day": 15}
    card = created(await client.post("/api/accounts", headers=h, json=body))
    body = {"amount": 12000, "annual_rate": 14, "tenure_months": 6, "processing_fee": 99}
    emi = created(await client.post(f"/api/accounts/{card['id']}/emis", headers=h, json=body))
    body = {"title": marker + "Gym", "amount": 1500, "next_date": "2099-01-05"}
    recurring = created(await client.post("/api/recurring", headers=h, json=body))
    return {
        "debt_id": debt["id"],
        "payment_id": payment["id"],
        "income_id": income["id"],
        "expense_id": expense["id"],
        "budget_id": budget["id"],
        "goal_id": goal["id"],
        "notification_id": inbox["items"][0]["id"],
        "import_id": imp["id"],
        "row_id": rows["items"][0]["id"],
        "rule_id": rule["id"],
        "account_id": wallet["id"],
        "transfer_id": transfer["id"],
        "card_id": card["id"],
        "emi_id": emi["id"],
        "statement_account_id": imp["account_id"],
        "recurring_id": recurring["id"],
    }


def base_bodies(user: Account, ids: dict[str, str]) -> dict[tuple[str, str], Any]:
    """A body each JSON operation accepts (or answers with a non-422, state-preserving error),
    so a 422 after adding one field is about that field."""
    wrong = {"new_password": "Another-pass-1"}
    return {
        ("POST", "/api/auth/signup"): lambda: {
            "email": f"new-{uuid.uuid4().hex[:8]}@example.com",
            "password": PASSWORD,
            "full_name": "New User",
        },
        ("POST", "/api/auth/login"): {"email": user.email, "password": "not-my-password"},
        ("POST", "/api/auth/refresh"): {"refresh_token": "not.a.token"},
        ("POST", "/api/auth/password-reset-request"): {"email": "nobody@example.com"},
        ("POST", "/api/auth/password-reset-confirm"): {"token": "bogus"} | wrong,
        ("POST", "/api/auth/change-password"): {"current_password": "nope-nope"} | wrong,
        ("PUT", "/api/users/me"): {"full_name": "Renamed User"},
        ("DELETE", "/api/users/me"): {"password": "not-my-password"},
        ("POST", "/api/debts"): LOAN,
        ("PUT", "/api/debts/{debt_id}"): {"name": "Renamed"},
        ("POST", "/api/debts/{debt_id}/rate-changes"): {
            "effective_date": (date.today() - timedelta(days=1)).isoformat(),
            "interest_rate": 9,
            "treatment": "increase_emi",
        },
        ("POST", "/api/payments"): {
            "debt_id": ids["debt_id"],
            "amount": 100,
            "payment_type": "prepayment",
        },
        ("POST", "/api/income"): {"source": "Bonus", "amount": 100},
        ("PUT", "/api/income/{income_id}"): {"source": "Renamed"},
        ("POST", "/api/expenses"): {"title": "Tea", "category": "food", "amount": 20},
        ("PUT", "/api/expenses/{expense_id}"): {"title": "Renamed"},
        ("POST", "/api/budgets"): {"category": f"c_{uuid.uuid4().hex[:6]}", "monthly_limit": 100},
        ("PUT", "/api/budgets/{budget_id}"): {"monthly_limit": 1234},
        ("POST", "/api/goals"): {"title": "Car", "target_amount": 9, "target_date": "2099-01-01"},
        ("PUT", "/api/goals/{goal_id}"): {"title": "Renamed"},
        ("POST", "/api/goals/{goal_id}/contribute"): {"amount": 1},
        ("PUT", "/api/imports/{import_id}/rows/{row_id}"): {"title": "Renamed"},
        ("POST", "/api/rules"): {
            "name": "Cabs",
            "match": {"narration": "UBER"},
            "set": {"category": "transport"},
        },
        ("PUT", "/api/rules/{rule_id}"): {"name": "Renamed"},
        ("POST", "/api/accounts"): lambda: {"name": f"Account {uuid.uuid4().hex[:6]}"},
        ("PUT", "/api/accounts/{account_id}"): {"institution": "Renamed Bank"},
        ("POST", "/api/accounts/{card_id}/emis"): {
            "amount": 1000,
            "annual_rate": 12,
            "tenure_months": 3,
        },
        ("POST", "/api/accounts/{card_id}/emis/{emi_id}/foreclose"): {"fee_percent": 3},
        ("POST", "/api/transfers"): {
            "from_account_id": ids["statement_account_id"],
            "to_account_id": ids["account_id"],
            "amount": 1,
        },
        ("POST", "/api/recurring"): {"title": "Gym", "amount": 999, "next_date": "2099-01-05"},
        ("PUT", "/api/recurring/{recurring_id}"): {"status": "confirmed"},
    }


def body_for(bodies: dict[tuple[str, str], Any], method: str, path: str) -> Any:
    assert (method, path) in bodies, f"add a valid body for {method} {path} to base_bodies()"
    body = bodies[(method, path)]
    return body() if callable(body) else dict(body)


async def send(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    op: dict[str, Any],
    ids: dict[str, str],
    headers: dict[str, str],
    bodies: dict[tuple[str, str], Any],
    **query: Any,
) -> httpx.Response:
    """Call an operation of the schema with real ids and a valid body."""
    missing = [name for name in path_params(path) if name not in ids]
    assert not missing, f"{method} {path}: seed() makes no object for {missing}"
    url = path.format(**ids)
    kind = body_kind(op)
    if kind == "multipart/form-data":
        files = {"file": ("r.png", PNG, "image/png")}
        return await client.request(method, url, headers=headers, files=files, params=query)
    if kind == "application/x-www-form-urlencoded":
        data = {"username": "someone@example.com", "password": "not-my-password"}
        return await client.request(method, url, headers=headers, data=data, params=query)
    body = body_for(bodies, method, path) if kind else None
    return await client.request(method, url, headers=headers, json=body, params=query)
