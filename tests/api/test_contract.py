"""The API as its React client meets it: the owner's guide verbatim (../shared/STRUCTURE.md),
calendar days that never move, PUT what you GET, one 422 shape, bodiless 204s, CORS for
development servers, and overdue debts."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from loans.rules import add_months
from main import create_app
from tests.factories import (
    GUIDE_DEBT,
    GUIDE_PAYMENT,
    GUIDE_SIGNUP,
    all_rows,
    create_debt,
    get,
    make_settings,
    pay,
    post,
    upload,
)
from tests.statement_workbooks import FIXTURES

# ---------------------------------------------------------------- the guide, verbatim


async def test_the_guides_three_examples_answer_with_the_guides_names(client):
    r = await client.post("/api/auth/signup", json=GUIDE_SIGNUP)
    assert r.status_code == 201, r.text
    user = r.json()["user"]
    assert {"email", "full_name", "phone", "profile", "is_active", "created_at", "updated_at"} <= (
        user.keys()
    )
    assert (user["email"], user["full_name"], user["phone"]) == (
        "user@example.com",
        "John Doe",
        "+91 98765 43210",
    )
    assert user["profile"]["preferred_currency"] == "INR" and user["is_active"] is True
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    r = await client.post("/api/debts", json=GUIDE_DEBT, headers=headers)
    assert r.status_code == 201, r.text
    debt = r.json()
    for name in ("remaining_amount", "total_paid", "status", "next_payment_date", "updated_at"):
        assert name in debt
    # Midnight UTC on 1 January is 05:30 on 1 January in India: the day stays 1 January.
    assert (debt["start_date"], debt["next_payment_date"]) == ("2024-01-01", "2024-02-01")
    assert (debt["principal"], debt["monthly_emi"], debt["remaining_amount"]) == (
        3500000,
        42500,
        3500000,
    )

    r = await client.post(
        "/api/payments", json=GUIDE_PAYMENT | {"debt_id": debt["id"]}, headers=headers
    )
    assert r.status_code == 201, r.text
    payment = r.json()
    assert payment["status"] == "completed"
    assert (payment["payment_date"], payment["payment_method"]) == ("2024-01-05", "net_banking")
    # 6.5 % a year is 6.5/1200 a month: 35,00,000 x 0.065 / 12 = 18,958.333... -> 18,958.33
    assert payment["interest_component"] == 18958.33
    assert payment["principal_component"] == 42500 - 18958.33
    assert payment["transaction_id"] and payment["created_at"].endswith("Z")


async def test_the_guides_budget_goal_and_notification_examples(client, user):
    budget = await post(
        client,
        user,
        "/api/budgets",
        {"category": "groceries", "monthly_limit": 15000, "alert_threshold": 80, "active": True},
    )
    assert (budget["monthly_limit"], budget["alert_threshold"], budget["active"]) == (
        15000,
        80,
        True,
    )
    status = await get(client, user, "/api/budgets/status")
    assert status["items"][0]["monthly_limit"] == 15000

    goal = await post(
        client,
        user,
        "/api/goals",
        {
            "title": "Emergency Fund",
            "goal_type": "emergency_fund",
            "target_amount": 500000,
            "current_amount": 150000,
            "target_date": "2099-12-31T00:00:00Z",  # an ISODate, as `toISOString()` sends it
            "priority": "high",
            "status": "active",
        },
    )
    # 1,50,000 of 5,00,000 saved: 30 %.
    assert (goal["progress_percentage"], goal["status"], goal["target_date"]) == (
        30,
        "active",
        "2099-12-31",
    )

    await post(client, user, "/api/income", {"source": "Salary", "amount": 50000})
    (note,) = (await get(client, user, "/api/notifications"))["items"]
    assert note["notification_type"] == "income_received" and note["is_read"] is False
    assert {"title", "message", "action_url", "created_at"} <= note.keys()


# ---------------------------------------------------------------- a calendar day is a day


@pytest.mark.parametrize(
    ("timezone", "sent", "day"),
    [
        ("Asia/Kolkata", "2024-01-31T20:30:00Z", "2024-02-01"),  # 02:00 on 1 Feb in India
        ("Asia/Kolkata", "2024-01-31T18:29:59Z", "2024-01-31"),  # 23:59:59 on 31 Jan
        ("Asia/Kolkata", "2024-01-31T18:30:00Z", "2024-02-01"),  # midnight exactly
        ("Asia/Kolkata", "2024-02-01T00:30:00+05:30", "2024-02-01"),
        ("Asia/Kolkata", "2024-02-01", "2024-02-01"),
        ("UTC", "2024-01-31T20:30:00Z", "2024-01-31"),
        ("UTC", "2024-02-01T00:00:00Z", "2024-02-01"),
        ("America/New_York", "2024-02-01T03:00:00Z", "2024-01-31"),  # 22:00 on 31 Jan
    ],
)
async def test_a_datetime_means_its_day_in_the_users_timezone(client, user, timezone, sent, day):
    await client.put(
        "/api/users/me", json={"profile": {"timezone": timezone}}, headers=user.headers
    )
    expense = await post(
        client,
        user,
        "/api/expenses",
        {"title": "Tea", "category": "food", "amount": 10, "date": sent},
    )
    income = await post(client, user, "/api/income", {"source": "Job", "amount": 5, "date": sent})
    debt = await create_debt(client, user, start_date=sent, next_payment_date=sent)
    payment = await pay(
        client, user, debt["id"], 1000, payment_date=sent, payment_type="prepayment"
    )
    goal = await post(
        client,
        user,
        "/api/goals",
        {"title": "Car", "target_amount": 9, "target_date": "2099-01-01"},
    )
    r = await client.post(
        f"/api/goals/{goal['id']}/contribute",
        json={"amount": 1, "date": sent},
        headers=user.headers,
    )
    contribution = r.json()["contribution"]
    assert [
        expense["date"],
        income["date"],
        debt["start_date"],
        debt["next_payment_date"],
        payment["payment_date"],
        contribution["date"],
    ] == [day] * 6


async def test_a_stored_day_never_moves_when_the_timezone_changes(client, user):
    expense = await post(
        client,
        user,
        "/api/expenses",
        {"title": "Tea", "category": "food", "amount": 10, "date": "2024-01-31T20:30:00Z"},
    )
    debt = await create_debt(client, user, start_date="2024-01-15")
    for timezone in ("America/Los_Angeles", "Pacific/Kiritimati", "UTC"):
        r = await client.put(
            "/api/users/me", json={"profile": {"timezone": timezone}}, headers=user.headers
        )
        assert r.status_code == 200
        assert (await get(client, user, f"/api/expenses/{expense['id']}"))["date"] == "2024-02-01"
        got = await get(client, user, f"/api/debts/{debt['id']}")
        assert (got["start_date"], got["next_payment_date"]) == ("2024-01-15", "2024-02-15")
        listed = await get(
            client, user, "/api/expenses", **{"from": "2024-02-01", "to": "2024-02-01"}
        )
        assert [e["id"] for e in listed["items"]] == [expense["id"]]


async def test_today_and_this_month_are_the_users(client, user):
    """A new entry with no date is dated today where the user is: Pacific/Kiritimati (UTC+14)
    and Pacific/Pago_Pago (UTC-11) are never on the same calendar day."""
    seen = set()
    for timezone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        await client.put(
            "/api/users/me", json={"profile": {"timezone": timezone}}, headers=user.headers
        )
        before = datetime.now(ZoneInfo(timezone)).date()
        expense = await post(
            client, user, "/api/expenses", {"title": "Tea", "category": "food", "amount": 1}
        )
        board = await get(client, user, "/api/dashboard")
        after = datetime.now(ZoneInfo(timezone)).date()
        # (`before` and `after` differ only if the test runs across that zone's midnight.)
        assert expense["date"] in {before.isoformat(), after.isoformat()}
        assert board["month"] in {f"{d.year:04d}-{d.month:02d}" for d in (before, after)}
        seen.add(expense["date"])
    assert len(seen) == 2


async def test_instants_are_utc_milliseconds_and_a_create_reads_back_exactly(client, user):
    created = await post(client, user, "/api/income", {"source": "Job", "amount": 5})
    stamp = created["created_at"]
    assert stamp.endswith("Z") and len(stamp) == len("2026-11-27T16:15:21.123Z")
    assert await get(client, user, f"/api/income/{created['id']}") == created


# ---------------------------------------------------------------- PUT what you GET


@dataclass(frozen=True)
class Editable:
    """An object with a PUT, and one edit a form makes to it."""

    path: str
    field: str
    value: Any
    listed_in: str | None = None  # the page it is read from, when it has no GET of its own


async def _editables(client, user) -> list[Editable]:
    """One of each object with a PUT, in the states a form meets: a debt with a payment
    (terms locked) that is overdue, a paid-off debt, a completed goal, an import row."""
    today = datetime.now(ZoneInfo("Asia/Kolkata")).date()
    due = today - timedelta(days=40)
    start = (due - timedelta(days=31)).isoformat()
    terms = {"principal": 120000, "interest_rate": 0, "tenure_months": 12, "start_date": start}
    late = await create_debt(client, user, **terms, next_payment_date=due.isoformat())
    await pay(client, user, late["id"], 10000)  # the next EMI, a month on, is still past due
    paid = await create_debt(client, user, principal=1000, interest_rate=0, tenure_months=1)
    await pay(client, user, paid["id"], 1000)
    income = await post(client, user, "/api/income", {"source": "Job", "amount": 5})
    expense = await post(
        client, user, "/api/expenses", {"title": "Tea", "category": "food", "amount": 2}
    )
    budget = await post(client, user, "/api/budgets", {"category": "food", "monthly_limit": 9})
    goal = {"title": "Car", "target_amount": 9, "target_date": "2099-01-01"}
    goal, done = [await post(client, user, "/api/goals", goal) for _ in range(2)]
    r = await client.post(
        f"/api/goals/{done['id']}/contribute", json={"amount": 9}, headers=user.headers
    )
    assert r.json()["goal"]["status"] == "completed"
    rule = {"name": "Cabs", "match": {"narration": "UBER"}, "set": {"category": "transport"}}
    rule = await post(client, user, "/api/rules", rule)
    imp = await upload(client, user, (FIXTURES / "axis_statement.csv").read_bytes())
    row = (await all_rows(client, user, imp["id"]))[0]
    rows = f"/api/imports/{imp['id']}/rows"
    body = {"title": "Gym", "amount": 1500, "next_date": "2099-01-05"}
    gym = await post(client, user, "/api/recurring", body)
    return [
        Editable(f"/api/debts/{late['id']}", "name", "Renamed"),
        Editable(f"/api/debts/{paid['id']}", "notes", "Paid early"),
        Editable(f"/api/income/{income['id']}", "source", "Renamed"),
        Editable(f"/api/expenses/{expense['id']}", "title", "Renamed"),
        Editable(f"/api/budgets/{budget['id']}", "name", "Renamed"),
        Editable(f"/api/goals/{goal['id']}", "title", "Renamed"),
        Editable(f"/api/goals/{done['id']}", "title", "Renamed"),
        Editable("/api/users/me", "full_name", "Renamed"),
        Editable(f"/api/rules/{rule['id']}", "order", 7),
        Editable(f"{rows}/{row['id']}", "category", "rent", listed_in=rows),
        Editable(f"/api/accounts/{imp['account_id']}", "name", "Renamed"),
        Editable(f"/api/recurring/{gym['id']}", "title", "Renamed"),
    ]


async def _read(client, user, item: Editable) -> dict[str, Any]:
    """The object as GET answers it (an import row: as its page lists it)."""
    if item.listed_in is None:
        return await get(client, user, item.path)
    page = await get(client, user, item.listed_in, limit=100)
    return next(row for row in page["items"] if item.path.endswith(f"/{row['id']}"))


async def _put(client, user, item: Editable, body: dict[str, Any]) -> dict[str, Any]:
    r = await client.put(item.path, json=body, headers=user.headers)
    assert r.status_code == 200, (item.path, r.text)
    return r.json()["row"] if item.listed_in else r.json()  # a row's PUT answers {row, ...}


def _untimed(shown: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in shown.items() if k != "updated_at"}


async def test_put_takes_the_object_exactly_as_get_returned_it(client, user):
    """The edit form: the object as GET answered it, sent back as it is, changes nothing; with
    one edit, changes that field only. Read-only and derived fields (overdue_days, totals, a
    completed status) are part of what is sent back."""
    items = await _editables(client, user)
    for item in items:
        shown = await _read(client, user, item)
        assert _untimed(await _put(client, user, item, shown)) == _untimed(shown), item.path
        after = await _put(client, user, item, shown | {item.field: item.value})
        assert _untimed(after) == _untimed(shown | {item.field: item.value}), item.path
        assert _untimed(await _read(client, user, item)) == _untimed(after), item.path
    late, paid = [await _read(client, user, item) for item in items[:2]]
    assert late["overdue_days"] > 0 and late["payments_count"] == 1  # terms locked, yet echoed
    assert paid["status"] == "completed"


async def test_every_put_is_an_edit_form(app, client, user):
    """Each PUT of the schema is one of the edit forms above."""
    paths = [item.path for item in await _editables(client, user)]
    puts = [path for path, ops in app.openapi()["paths"].items() if "put" in ops]
    for template in puts:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
        assert any(re.fullmatch(pattern, path) for path in paths), template


def _read_only(app, path: str) -> set[str]:
    """The read-only properties of the body of PUT `path` (a concrete path)."""
    schema = app.openapi()
    for template, ops in schema["paths"].items():
        if "put" in ops and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            ref = ops["put"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            body = schema["components"]["schemas"][ref.split("/")[-1]]
            return {k for k, v in body["properties"].items() if v.get("readOnly")}
    raise AssertionError(path)


async def test_read_only_fields_are_ignored_whatever_they_hold(app, client, user):
    """A read-only field is never refused, whatever it holds (a form loaded before midnight
    holds yesterday's overdue_days), and never written; an unknown field is a 422 and nothing
    is written. A stale form is caught by If-Match, not by comparing echoes."""
    for item in await _editables(client, user):
        shown = await _read(client, user, item)
        read_only = _read_only(app, item.path)
        assert {"id"} <= read_only < set(shown), item.path
        stale = {field: "x" for field in read_only}
        after = await _put(client, user, item, shown | stale | {item.field: item.value})
        assert _untimed(after) == _untimed(shown | {item.field: item.value}), item.path
        shown = await _read(client, user, item)
        r = await client.put(item.path, json=shown | {"user_id": "x"}, headers=user.headers)
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "extra_forbidden"
        assert r.json()["detail"][0]["loc"] == ["body", "user_id"]
        assert await _read(client, user, item) == shown  # nothing was written


async def test_a_derived_status_is_ignored(client, user):
    """`completed` follows from the amounts: sent, it changes nothing (it is what a completed
    goal's or paid-off debt's form sends back); the statuses a user sets still apply."""
    goal = {"title": "Car", "target_amount": 9, "target_date": "2099-01-01"}
    goal = await post(client, user, "/api/goals", goal)
    debt = await create_debt(client, user)
    for path in (f"/api/goals/{goal['id']}", f"/api/debts/{debt['id']}"):
        r = await client.put(path, json={"status": "completed"}, headers=user.headers)
        assert (r.status_code, r.json()["status"]) == (200, "active"), r.text
    r = await client.put(
        f"/api/goals/{goal['id']}", json={"status": "paused"}, headers=user.headers
    )
    assert r.json()["status"] == "paused"
    r = await client.put(
        f"/api/debts/{debt['id']}", json={"status": "closed"}, headers=user.headers
    )
    assert r.json()["status"] == "closed"
    paid = await create_debt(client, user, principal=1000, interest_rate=0, tenure_months=1)
    await pay(client, user, paid["id"], 1000)
    r = await client.put(
        f"/api/debts/{paid['id']}", json={"status": "active"}, headers=user.headers
    )
    assert (r.status_code, r.json()["code"]) == (409, "debt_completed")


async def test_a_due_date_sent_back_keeps_the_month_end_due_day(client, user):
    """An edit form sends next_payment_date back unchanged: the due days stay anchored on
    the 31st (31 Jan, 29 Feb, 31 Mar), instead of being re-anchored on the 29th."""
    terms = {"principal": 120000, "interest_rate": 0, "tenure_months": 12}
    debt = await create_debt(client, user, **terms, start_date="2023-12-31")
    await pay(client, user, debt["id"], 10000, "2024-01-31")
    shown = await get(client, user, f"/api/debts/{debt['id']}")
    assert shown["next_payment_date"] == "2024-02-29"
    await client.put(f"/api/debts/{debt['id']}", json=shown | {"name": "X"}, headers=user.headers)
    await pay(client, user, debt["id"], 10000, "2024-02-29")
    schedule = await get(client, user, f"/api/debts/{debt['id']}/schedule")
    assert [row["due_date"] for row in schedule["items"][:2]] == ["2024-03-31", "2024-04-30"]


async def test_null_keeps_a_due_date_and_clears_an_optional_field(client, user):
    """`null` where the answer may show it: a due date can be moved, never removed (null
    changes nothing); an optional field such as bank_name is cleared."""
    debt = await create_debt(client, user, start_date="2099-01-15")
    body = {"next_payment_date": None, "bank_name": None}
    r = await client.put(f"/api/debts/{debt['id']}", json=body, headers=user.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["next_payment_date"], r.json()["bank_name"]) == ("2099-02-15", None)


# ---------------------------------------------------------------- one error contract


async def test_every_rule_422_names_its_field(client, user):
    debt = await create_debt(client, user, principal=100000, interest_rate=12, tenure_months=12)
    fresh = await create_debt(client, user, principal=1000)
    # 3 % a month on 1,00,000 is 3,000 of interest: an EMI of 100 never pays it off.
    never = await create_debt(client, user, principal=100000, interest_rate=36, monthly_emi=100)
    goal = await post(
        client,
        user,
        "/api/goals",
        {"title": "Car", "target_amount": 9, "target_date": "2099-01-01"},
    )
    tomorrow = (datetime.now(ZoneInfo("Asia/Kolkata")).date() + timedelta(days=1)).isoformat()
    far = (datetime.now(ZoneInfo("Asia/Kolkata")).date() + timedelta(days=5)).isoformat()
    await pay(client, user, debt["id"], 5, payment_type="prepayment")
    key = {"Idempotency-Key": "k-1"}
    await client.post(
        "/api/payments",
        json={"debt_id": debt["id"], "amount": 7, "payment_type": "prepayment"},
        headers=user.headers | key,
    )
    cases = [
        ("POST", "/api/payments", {"debt_id": debt["id"], "amount": 1}, {}, ["body", "amount"]),
        (
            "POST",
            "/api/payments",
            {"debt_id": debt["id"], "amount": 1, "payment_type": "prepayment", "payment_date": far},
            {},
            ["body", "payment_date"],
        ),
        (
            "POST",
            "/api/payments",
            {"debt_id": debt["id"], "amount": 8, "payment_type": "prepayment"},
            key,
            ["header", "Idempotency-Key"],
        ),
        (
            "POST",
            "/api/goals",
            {"title": "Old", "target_amount": 9, "target_date": "2001-01-01"},
            {},
            ["body", "target_date"],
        ),
        (
            "POST",
            f"/api/goals/{goal['id']}/contribute",
            {"amount": 1, "date": tomorrow},
            {},
            ["body", "date"],
        ),
        (
            "PUT",
            f"/api/debts/{fresh['id']}",
            {"outstanding_amount": 5000},
            {},
            ["body", "outstanding_amount"],
        ),
        ("GET", "/api/income/stats/monthly?from=2024-01-01", None, {}, ["query", "to"]),
        ("GET", "/api/reports/monthly?year=2024", None, {}, ["query", "month"]),
        ("GET", "/api/reports/tax-summary?fy=2024-26", None, {}, ["query", "fy"]),
        ("GET", f"/api/debts/{never['id']}/schedule", None, {}, ["query", "extra_monthly"]),
    ]
    for method, path, body, headers, loc in cases:
        r = await client.request(method, path, json=body, headers=user.headers | headers)
        answer = r.json()
        assert r.status_code == 422, (path, r.text)
        (issue,) = answer["detail"]
        assert set(issue) == {"loc", "msg", "type"} and issue["type"] == answer["code"]
        assert issue["loc"] == loc, (path, issue)
    # Every other error is a sentence.
    r = await client.put(f"/api/debts/{debt['id']}", json={"principal": 5}, headers=user.headers)
    assert r.status_code == 409 and isinstance(r.json()["detail"], str)


async def test_a_204_has_no_body_and_no_content_type(client, user):
    income = await post(client, user, "/api/income", {"source": "Job", "amount": 5})
    r = await client.delete(f"/api/income/{income['id']}", headers=user.headers)
    assert r.status_code == 204 and r.content == b""
    assert "content-type" not in r.headers


# ---------------------------------------------------------------- CORS for development servers


@pytest.mark.parametrize(
    ("env", "origin", "allowed"),
    [
        ("development", "http://localhost:3000", True),
        ("development", "http://127.0.0.1:3000", True),
        ("development", "http://localhost:5173", True),  # Vite
        ("development", "http://localhost", True),
        ("development", "http://evil.example:5173", False),
        ("development", "http://localhost.evil.example", False),
        ("test", "http://localhost:5173", False),  # only the configured origins elsewhere
        ("test", "http://localhost:3000", True),
    ],
)
async def test_cors_allows_development_servers_in_development_only(
    mongo_url, tmp_path, env, origin, allowed
):
    app = create_app(make_settings(mongo_url, tmp_path, app_env=env))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        r = await client.options(
            "/api/auth/login",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
    assert (r.headers.get("access-control-allow-origin") == origin) is allowed
    assert (r.status_code == 200) is allowed


async def test_cors_lets_a_vite_app_send_and_read_the_apis_headers(mongo_url, tmp_path):
    """A React app on Vite's port: the preflight allows the headers it sends (conditional
    requests, idempotent retries, the token, JSON), and an answer exposes the headers it
    reads (a cross-origin fetch sees only the safelisted ones unless they are named)."""
    origin = "http://localhost:5173"
    sent = ["If-Match", "If-None-Match", "Idempotency-Key", "Authorization", "Content-Type"]
    read = ["ETag", "Content-Disposition", "Idempotent-Replayed", "X-Request-ID", "Retry-After"]
    app = create_app(make_settings(mongo_url, tmp_path, app_env="development"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        preflight = await client.options(
            "/api/payments",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": ", ".join(sent).lower(),
            },
        )
        simple = await client.get("/health", headers={"Origin": origin})
        refused = await client.options(
            "/api/payments",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-not-ours",
            },
        )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == origin
    allowed = {
        h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")
    }
    assert {h.lower() for h in sent} <= allowed
    assert simple.status_code == 200 and simple.headers["access-control-allow-origin"] == origin
    exposed = {
        h.strip().lower() for h in simple.headers["access-control-expose-headers"].split(",")
    }
    assert exposed == {h.lower() for h in read}
    assert refused.status_code == 400  # a header the API does not take is not allowed


# ---------------------------------------------------------------- dates that agree


async def test_an_overdue_debt_says_so_everywhere(client, user):
    today = datetime.now(ZoneInfo("Asia/Kolkata")).date()
    due = today - timedelta(days=40)
    debt = await create_debt(
        client,
        user,
        principal=120000,
        interest_rate=0,
        tenure_months=12,
        start_date=(due - timedelta(days=31)).isoformat(),
        next_payment_date=due.isoformat(),
    )
    assert debt["overdue_days"] == 40
    board = await get(client, user, "/api/dashboard")
    assert board["upcoming_payments"][0]["overdue_days"] == 40
    schedule = await get(client, user, f"/api/debts/{debt['id']}/schedule")
    assert schedule["overdue_days"] == 40
    # The schedule starts with the instalment already past due; 0 %: 12 x 10,000.
    assert schedule["items"][0]["due_date"] == due.isoformat()
    assert len(schedule["items"]) == 12
    plan = await get(client, user, "/api/debts/payoff-plan")
    (planned,) = plan["plan"]["debts"]
    assert planned["payoff_month"] == 12
    assert (
        planned["payoff_date"]
        == schedule["totals"]["projected"]["payoff_date"]
        == add_months(due, 11).isoformat()
    )
    # Paid: the next instalment is a month on and no longer overdue once that is in the future.
    after = await pay(client, user, debt["id"], 10000)
    got = await get(client, user, f"/api/debts/{debt['id']}")
    assert got["next_payment_date"] == add_months(due, 1).isoformat()
    assert got["overdue_days"] == max(0, (today - add_months(due, 1)).days)
    assert after["payment_date"] == today.isoformat()


async def test_the_payoff_plan_uses_each_debts_own_due_day(client, user):
    first = await create_debt(
        client,
        user,
        name="A",
        principal=30000,
        interest_rate=0,
        tenure_months=3,
        start_date="2099-01-01",
        next_payment_date="2099-01-27",
    )
    second = await create_debt(
        client,
        user,
        name="B",
        principal=20000,
        interest_rate=0,
        tenure_months=2,
        start_date="2099-01-01",
        next_payment_date="2099-01-05",
    )
    plan = await get(client, user, "/api/debts/payoff-plan", strategy="snowball")
    dates = {d["debt_id"]: d["payoff_date"] for d in plan["plan"]["debts"]}
    for debt in (first, second):
        schedule = await get(client, user, f"/api/debts/{debt['id']}/schedule")
        assert dates[debt["id"]] == schedule["totals"]["projected"]["payoff_date"]
    # Snowball, a budget of 20,000 (both EMIs): B (20,000) is paid on its 2nd due day, 5 Feb;
    # its EMI then rolls over to A (30,000), paid on its 3rd due day, 27 Mar.
    assert (dates[second["id"]], dates[first["id"]]) == ("2099-02-05", "2099-03-27")
    assert plan["plan"]["debt_free_date"] == "2099-03-27"
