"""Payments: the interest split, overpay and state rules, atomicity under concurrency,
idempotency, notifications through the outbox, exact reversal, lists and monthly stats."""

import asyncio
import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from bson import ObjectId
from pymongo.errors import DuplicateKeyError

import core.idempotency
from core.dates import now_ms
from tests.factories import all_rows, commit, create_debt, get, pay, upload
from tests.statement_workbooks import FIXTURES


def D(value):
    return Decimal(str(value))


async def get_debt(client, user, debt_id):
    r = await client.get(f"/api/debts/{debt_id}", headers=user.headers)
    assert r.status_code == 200
    return r.json()


# ---------------------------------------------------------------- the interest split


async def test_emi_pays_the_months_interest_first_and_advances_the_due_date(client, user):
    debt = await create_debt(client, user, principal=100000, interest_rate=12, tenure_months=12)
    p = await pay(client, user, debt["id"], 10000, payment_method="upi")
    assert p["interest_component"] == 1000  # 1 % of 1,00,000
    assert p["principal_component"] == 9000
    assert p["remaining_after"] == 91000
    assert p["payment_type"] == "emi" and p["payment_method"] == "upi"
    assert p["debt_id"] == debt["id"] and p["debt_name"] == "Car loan"
    assert uuid.UUID(p["transaction_id"]).version == 4
    after = await get_debt(client, user, debt["id"])
    assert after["remaining_amount"] == 91000
    assert after["total_paid"] == 10000 and after["total_interest_paid"] == 1000
    assert after["payments_count"] == 1
    assert after["next_payment_date"] == "2024-03-15"  # 15 Feb -> 15 Mar (IST)

    # Next month's interest is on the reduced balance: 910.00.
    p2 = await pay(client, user, debt["id"], 10000)
    assert (p2["interest_component"], p2["principal_component"]) == (910, 9090)
    # A prepayment goes wholly to principal and leaves the due date alone.
    p3 = await pay(client, user, debt["id"], 5000.5, payment_type="prepayment")
    assert (p3["interest_component"], p3["principal_component"]) == (0, 5000.5)
    after = await get_debt(client, user, debt["id"])
    assert after["remaining_amount"] == 91000 - 9090 - 5000.5
    assert after["total_interest_paid"] == 1910
    assert after["next_payment_date"] == "2024-04-15"
    got = await client.get(f"/api/payments/{p3['id']}", headers=user.headers)
    assert got.json() == p3


async def test_zero_rate_remaining_is_principal_minus_total_paid(client, user):
    debt = await create_debt(client, user, principal=1000, interest_rate=0, tenure_months=4)
    for amount in (250, 100.25, 49.75):
        await pay(client, user, debt["id"], amount)
    after = await get_debt(client, user, debt["id"])
    assert after["remaining_amount"] == 600 == 1000 - after["total_paid"]
    assert after["total_interest_paid"] == 0


async def test_emi_smaller_than_the_interest_is_422(client, user, db):
    debt = await create_debt(client, user, principal=100000, interest_rate=12, tenure_months=12)
    r = await client.post(
        "/api/payments", headers=user.headers, json={"debt_id": debt["id"], "amount": 999.99}
    )
    assert r.status_code == 422 and r.json()["code"] == "payment_too_small"
    (issue,) = r.json()["detail"]
    assert issue["loc"] == ["body", "amount"] and issue["type"] == "payment_too_small"
    assert "1000.00" in issue["msg"]
    # The same amount as a prepayment is fine: it has no interest part.
    await pay(client, user, debt["id"], 999.99, payment_type="prepayment")


async def test_overpaying_is_409_and_states_the_remaining_amount(client, user, db):
    debt = await create_debt(client, user, principal=1000, interest_rate=12, tenure_months=1)
    r = await client.post(
        "/api/payments", headers=user.headers, json={"debt_id": debt["id"], "amount": 1010.01}
    )
    assert r.status_code == 409 and r.json()["code"] == "overpayment"
    issue = r.json()["detail"][0]
    assert issue["loc"] == ["body", "amount"]
    assert "1000.00" in issue["msg"] and "1010.00" in issue["msg"]
    r = await client.post(
        "/api/payments",
        headers=user.headers,
        json={"debt_id": debt["id"], "amount": 1000.01, "payment_type": "prepayment"},
    )
    assert r.status_code == 409 and r.json()["code"] == "overpayment"
    assert await db.payments.count_documents({}) == 0
    assert (await get_debt(client, user, debt["id"]))["remaining_amount"] == 1000


async def test_paying_to_zero_completes_the_debt_and_notifies(client, user, db):
    debt = await create_debt(client, user, principal=1000, interest_rate=12, tenure_months=1)
    p = await pay(client, user, debt["id"], 1010)  # 10.00 interest + 1,000 principal
    assert p["remaining_after"] == 0
    after = await get_debt(client, user, debt["id"])
    assert after["status"] == "completed" and after["completed_at"] is not None
    assert after["progress_percentage"] == 100
    kinds = [
        n["notification_type"]
        async for n in db.notifications.find({"user_id": ObjectId(user.id)}).sort("_id", 1)
    ]
    assert kinds == ["payment_received", "debt_completed"]
    r = await client.post(
        "/api/payments", headers=user.headers, json={"debt_id": debt["id"], "amount": 1}
    )
    assert r.status_code == 409 and r.json()["code"] == "debt_not_active"


async def test_closed_debt_takes_no_payments(client, user):
    debt = await create_debt(client, user)
    await client.put(f"/api/debts/{debt['id']}", headers=user.headers, json={"status": "closed"})
    r = await client.post(
        "/api/payments", headers=user.headers, json={"debt_id": debt["id"], "amount": 100}
    )
    assert r.status_code == 409 and r.json()["code"] == "debt_not_active"


# ---------------------------------------------------------------- atomicity


async def test_twenty_concurrent_payments_never_overpay(client, user, db):
    debt = await create_debt(client, user, principal=100, interest_rate=0, tenure_months=10)
    body = {"debt_id": debt["id"], "amount": 10}
    responses = await asyncio.gather(
        *[client.post("/api/payments", headers=user.headers, json=body) for _ in range(20)]
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 10 + [409] * 10, [r.text for r in responses if r.status_code >= 500]
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {
        "overpayment",
        "debt_not_active",
    }
    after = await get_debt(client, user, debt["id"])
    assert after["remaining_amount"] == 0 and after["status"] == "completed"
    assert after["total_paid"] == 100 and after["payments_count"] == 10
    amounts = [p["amount"] async for p in db.payments.find({"debt_id": ObjectId(debt["id"])})]
    assert sum(D(a) for a in amounts) == Decimal("100.00") and len(amounts) == 10
    # Every payment saw a distinct balance: the remaining_after values are 90, 80, ..., 0.
    afters = sorted(r.json()["remaining_after"] for r in responses if r.status_code == 201)
    assert afters == [10 * i for i in range(10)]
    # Exactly one completion notification, one confirmation per accepted payment.
    uid = ObjectId(user.id)
    assert (
        await db.notifications.count_documents(
            {"user_id": uid, "notification_type": "debt_completed"}
        )
        == 1
    )
    received = {"user_id": uid, "notification_type": "payment_received"}
    assert await db.notifications.count_documents(received) == 10


async def test_concurrent_payment_and_deletion_keep_the_sums_exact(client, user):
    debt = await create_debt(client, user, principal=1000, interest_rate=0, tenure_months=10)
    first = [await pay(client, user, debt["id"], 100) for _ in range(3)]
    await asyncio.gather(
        *[client.delete(f"/api/payments/{p['id']}", headers=user.headers) for p in first],
        *[
            client.post(
                "/api/payments", headers=user.headers, json={"debt_id": debt["id"], "amount": 50}
            )
            for _ in range(4)
        ],
    )
    after = await get_debt(client, user, debt["id"])
    assert after["total_paid"] == 200 and after["remaining_amount"] == 800
    assert after["payments_count"] == 4


# ---------------------------------------------------------------- idempotency


async def test_idempotency_key_replays_the_first_result(client, user, db):
    debt = await create_debt(client, user, principal=1000, interest_rate=0, tenure_months=10)
    headers = user.headers | {"Idempotency-Key": "pay-2024-02"}
    body = {"debt_id": debt["id"], "amount": 100, "notes": "Feb EMI"}
    first = await client.post("/api/payments", headers=headers, json=body)
    second = await client.post("/api/payments", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await db.payments.count_documents({}) == 1
    assert (await get_debt(client, user, debt["id"]))["remaining_amount"] == 900
    # Numbers written differently are the same request.
    same = await client.post("/api/payments", headers=headers, json=body | {"amount": "100.00"})
    assert same.status_code == 201 and same.json() == first.json()
    # A different body with the key is a client bug: 422, nothing applied.
    r = await client.post("/api/payments", headers=headers, json=body | {"amount": 200})
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"
    assert await db.payments.count_documents({}) == 1
    # Keys are per user: another user's identical key is independent.
    other = await client.post(
        "/api/payments", headers=user.headers | {"Idempotency-Key": "pay-2024-03"}, json=body
    )
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


async def test_idempotency_key_sent_concurrently_makes_one_payment(client, user, db):
    debt = await create_debt(client, user, principal=1000, interest_rate=12, tenure_months=10)
    headers = user.headers | {"Idempotency-Key": str(uuid.uuid4())}
    body = {"debt_id": debt["id"], "amount": 150}
    responses = await asyncio.gather(
        *[client.post("/api/payments", headers=headers, json=body) for _ in range(8)]
    )
    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    assert len({r.text for r in responses}) == 1  # byte-identical bodies
    assert await db.payments.count_documents({}) == 1
    after = await get_debt(client, user, debt["id"])
    assert after["total_paid"] == 150 and after["payments_count"] == 1
    assert await db.notifications.count_documents({"notification_type": "payment_received"}) == 1


async def test_idempotency_keys_are_per_user_and_expire(client, user, other_user, db):
    mine = await create_debt(client, user, principal=1000, interest_rate=0, tenure_months=10)
    theirs = await create_debt(
        client, other_user, principal=1000, interest_rate=0, tenure_months=10
    )
    key = {"Idempotency-Key": "same-key"}
    a = await client.post(
        "/api/payments", headers=user.headers | key, json={"debt_id": mine["id"], "amount": 10}
    )
    b = await client.post(
        "/api/payments",
        headers=other_user.headers | key,
        json={"debt_id": theirs["id"], "amount": 20},
    )
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]
    # Past its 24 h the key is free again (even before the TTL monitor removes it).
    await db.idempotency_keys.update_many({}, {"$set": {"expires_at": now_ms() - timedelta(1)}})
    again = await client.post(
        "/api/payments", headers=user.headers | key, json={"debt_id": mine["id"], "amount": 10}
    )
    assert again.status_code == 201 and again.json()["id"] != a.json()["id"]
    assert (await get_debt(client, user, mine["id"]))["total_paid"] == 20


async def test_a_duplicate_key_race_rereads_the_winners_result(client, user, monkeypatch):
    """When the loser of the (user_id, key) race sees a duplicate-key error rather than a
    transient conflict, it re-reads the committed result, or answers 409 if there is none."""
    debt = await create_debt(client, user, principal=1000, interest_rate=0, tenure_months=10)
    headers = user.headers | {"Idempotency-Key": "raced"}
    body = {"debt_id": debt["id"], "amount": 10}
    first = await client.post("/api/payments", headers=headers, json=body)
    real = core.idempotency.in_transaction
    calls = []

    async def lose_the_race_once(db, work):
        calls.append(1)
        if len(calls) == 1:
            raise DuplicateKeyError("E11000 duplicate key error")
        return await real(db, work)

    monkeypatch.setattr(core.idempotency, "in_transaction", lose_the_race_once)
    second = await client.post("/api/payments", headers=headers, json=body)
    assert second.status_code == 201 and second.json() == first.json() and len(calls) == 2

    async def always_duplicate(db, work):
        raise DuplicateKeyError("E11000 duplicate key error")

    monkeypatch.setattr(core.idempotency, "in_transaction", always_duplicate)
    monkeypatch.setattr(core.idempotency, "WAIT_ATTEMPTS", 2)
    r = await client.post("/api/payments", headers=headers, json=body)
    assert r.status_code == 409 and r.json()["code"] == "idempotency_in_progress"


async def test_a_failed_request_does_not_burn_its_key(client, user):
    debt = await create_debt(client, user, principal=100, interest_rate=0, tenure_months=1)
    headers = user.headers | {"Idempotency-Key": "k1"}
    r = await client.post(
        "/api/payments", headers=headers, json={"debt_id": debt["id"], "amount": 150}
    )
    assert r.status_code == 409
    r = await client.post(
        "/api/payments", headers=headers, json={"debt_id": debt["id"], "amount": 100}
    )
    assert r.status_code == 201


# ---------------------------------------------------------------- side effects


async def test_confirmation_email_and_push_go_through_the_outbox(client, user, deliver, mailbox):
    await deliver()  # the welcome email
    debt = await create_debt(client, user, name="Home <loan>", principal=100000, interest_rate=12)
    p = await pay(client, user, debt["id"], 10000)
    sent = await deliver()
    assert sent == 2  # the email and the push
    message = mailbox()[-1]
    assert message["To"] == user.email
    assert message["Subject"] == "Payment received: ₹10,000.00 towards Home <loan>"
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    for part in (html, text):
        assert "₹10,000.00" in part and "₹91,000.00" in part and p["transaction_id"] in part
    assert "Home &lt;loan&gt;" in html and "<loan>" not in html
    assert "Home <loan>" in text


async def test_muted_email_still_stores_the_notification(client, user, db, deliver, mailbox):
    await deliver()
    await client.put(
        "/api/users/me",
        headers=user.headers,
        json={"notification_preferences": {"payment_received": {"email": False}}},
    )
    debt = await create_debt(client, user, principal=1000, interest_rate=0, tenure_months=10)
    await pay(client, user, debt["id"], 100)
    assert await deliver() == 1  # the push only
    assert len(mailbox()) == 1  # still just the welcome email
    assert await db.notifications.count_documents({"notification_type": "payment_received"}) == 1


class DownEmail:
    async def send(self, message_id, email):
        raise ConnectionError("SES unreachable")


async def test_payment_succeeds_while_email_is_down_and_is_sent_later(
    client, user, app, deliver, mailbox
):
    await deliver()  # the welcome email
    debt = await create_debt(client, user, principal=1000, interest_rate=0, tenure_months=10)
    real = app.state.backends.email
    app.state.backends.email = DownEmail()
    try:
        p = await pay(client, user, debt["id"], 100)
        await deliver()
        assert len(mailbox()) == 1  # nothing new sent
        pending = await app.state.db.outbox.find_one({"kind": "email", "status": "pending"})
        assert pending is not None and "SES unreachable" in pending["last_error"]
    finally:
        app.state.backends.email = real
    assert await deliver() == 0  # backing off: not due yet
    assert await deliver(at=now_ms() + timedelta(hours=1)) == 1
    message = mailbox()[-1]
    assert message["Subject"].startswith("Payment received")
    assert p["transaction_id"] in message.get_body(("plain",)).get_content()


# ---------------------------------------------------------------- reversal


async def test_deleting_a_payment_restores_the_debt_exactly(client, user, db):
    debt = await create_debt(client, user, principal=1000, interest_rate=12, tenure_months=1)
    before = await get_debt(client, user, debt["id"])
    pre = await pay(client, user, debt["id"], 400, payment_type="prepayment")
    emi = await pay(client, user, debt["id"], 606)  # 6.00 interest + 600 principal: completes
    assert (await get_debt(client, user, debt["id"]))["status"] == "completed"

    r = await client.delete(f"/api/payments/{emi['id']}", headers=user.headers)
    assert r.status_code == 204
    after = await get_debt(client, user, debt["id"])
    assert after["status"] == "active" and after["completed_at"] is None
    assert after["remaining_amount"] == 600 and after["total_interest_paid"] == 0
    assert after["next_payment_date"] == before["next_payment_date"]
    await client.delete(f"/api/payments/{pre['id']}", headers=user.headers)
    after = await get_debt(client, user, debt["id"])
    ignore = {"updated_at": None}
    assert after | ignore == before | ignore
    assert await db.payments.count_documents({}) == 0
    r = await client.delete(f"/api/payments/{emi['id']}", headers=user.headers)
    assert r.status_code == 404


async def test_deleting_an_older_payment_replays_the_later_ones(client, user):
    debt = await create_debt(client, user, principal=100000, interest_rate=12, tenure_months=12)
    first = await pay(client, user, debt["id"], 10000)
    second = await pay(client, user, debt["id"], 10000)
    assert (second["interest_component"], second["principal_component"]) == (910, 9090)
    await client.delete(f"/api/payments/{first['id']}", headers=user.headers)
    after = await get_debt(client, user, debt["id"])
    # As if the first had never been made: the second is the first EMI, 1 % of 1,00,000.
    assert after["remaining_amount"] == 100000 - 9000
    assert after["total_paid"] == 10000 and after["total_interest_paid"] == 1000
    assert after["next_payment_date"] == "2024-03-15"  # one EMI still counted
    resplit = (await client.get(f"/api/payments/{second['id']}", headers=user.headers)).json()
    assert (resplit["interest_component"], resplit["principal_component"]) == (1000, 9000)
    assert resplit["remaining_after"] == 91000


# ---------------------------------------------------------------- ownership and bad input


async def test_another_users_ids_are_404_everywhere_and_untouched(client, user, other_user, db):
    theirs = await create_debt(
        client, other_user, principal=1000, interest_rate=0, tenure_months=10
    )
    payment = await pay(client, other_user, theirs["id"], 100)
    debt_before = await get_debt(client, other_user, theirs["id"])
    cases = [
        ("GET", f"/api/payments/{payment['id']}", None, "payment"),
        ("DELETE", f"/api/payments/{payment['id']}", None, "payment"),
        ("GET", f"/api/payments/debt/{theirs['id']}", None, "debt"),
        ("GET", f"/api/payments?debt_id={theirs['id']}", None, "debt"),
        ("GET", f"/api/payments/stats/monthly?debt_id={theirs['id']}", None, "debt"),
        ("POST", "/api/payments", {"debt_id": theirs["id"], "amount": 100}, "debt"),
    ]
    for method, path, body, entity in cases:
        r = await client.request(method, path, headers=user.headers, json=body)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["code"] == f"{entity}_not_found"
    assert await get_debt(client, other_user, theirs["id"]) == debt_before
    assert await db.payments.count_documents({}) == 1
    mine = await client.get("/api/payments", headers=user.headers)
    assert mine.json()["total"] == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": -10},
        {"amount": 0},
        {"amount": 10.005},
        {"amount": "ten"},
        {"amount": True},
        {"amount": 1e13},
        {"payment_type": "bonus"},
        {"payment_method": "bitcoin"},
        {"payment_date": "not a date"},
        {"interest_component": 0},
        {"transaction_id": "mine"},
        {"user_id": "x"},
        {"debt_id": None},
    ],
)
async def test_bad_payment_input_is_422(client, user, db, changes):
    debt = await create_debt(client, user)
    body = {"debt_id": debt["id"], "amount": 100000} | changes
    r = await client.post("/api/payments", headers=user.headers, json=body)
    assert r.status_code == 422, r.text
    assert await db.payments.count_documents({}) == 0


async def test_bad_ids_key_and_dates_are_4xx(client, user, db):
    debt = await create_debt(client, user)
    for bad in ("nope", "0" * 24, str(ObjectId())):
        r = await client.post(
            "/api/payments", headers=user.headers, json={"debt_id": bad, "amount": 1}
        )
        assert r.status_code == 404
        for path in (f"/api/payments/{bad}", f"/api/payments/debt/{bad}"):
            assert (await client.get(path, headers=user.headers)).status_code == 404
        assert (
            await client.delete(f"/api/payments/{bad}", headers=user.headers)
        ).status_code == 404
    body = {"debt_id": debt["id"], "amount": 100000}
    long_key = user.headers | {"Idempotency-Key": "k" * 201}
    assert (await client.post("/api/payments", headers=long_key, json=body)).status_code == 422
    future = body | {"payment_date": (now_ms() + timedelta(days=3)).isoformat()}
    r = await client.post("/api/payments", headers=user.headers, json=future)
    assert r.status_code == 422 and r.json()["code"] == "payment_date_in_future"
    assert await db.payments.count_documents({}) == 0
    for q in ("from=2024-05-01&to=2024-04-01", "year=2024&from=2024-01-01", "year=99", "to=x"):
        r = await client.get(f"/api/payments/stats/monthly?{q}", headers=user.headers)
        assert r.status_code == 422, q
    r = await client.get("/api/payments?from=2024-05-01&to=2024-04-01", headers=user.headers)
    assert r.status_code == 422


# ---------------------------------------------------------------- lists and stats


async def test_lists_latest_first_with_filters(client, user):
    a = await create_debt(client, user, principal=10000, interest_rate=0, tenure_months=10)
    b = await create_debt(client, user, principal=10000, interest_rate=0, tenure_months=10)
    p1 = await pay(client, user, a["id"], 100, payment_date="2024-01-10")
    p2 = await pay(client, user, b["id"], 200, payment_date="2024-02-10T09:00:00")
    p3 = await pay(client, user, a["id"], 300, payment_date="2024-03-10", payment_type="prepayment")
    assert p2["payment_date"] == "2024-02-10"  # a datetime is its day on the user's clock

    r = await client.get("/api/payments", headers=user.headers)
    assert [p["id"] for p in r.json()["items"]] == [p3["id"], p2["id"], p1["id"]]
    r = await client.get(f"/api/payments/debt/{a['id']}", headers=user.headers)
    assert [p["id"] for p in r.json()["items"]] == [p3["id"], p1["id"]]
    assert r.json()["total"] == 2
    r = await client.get(f"/api/payments?debt_id={a['id']}&payment_type=emi", headers=user.headers)
    assert [p["id"] for p in r.json()["items"]] == [p1["id"]]
    r = await client.get("/api/payments?from=2024-02-10&to=2024-03-09", headers=user.headers)
    assert [p["id"] for p in r.json()["items"]] == [p2["id"]]
    r = await client.get("/api/payments?limit=1&skip=2", headers=user.headers)
    assert [p["id"] for p in r.json()["items"]] == [p1["id"]] and r.json()["total"] == 3


async def test_monthly_stats_have_the_one_shape_and_days_that_never_move(client, user):
    debt = await create_debt(client, user, principal=100000, interest_rate=12, tenure_months=12)
    # 31 Jan 20:00 UTC is already 1 Feb in Kolkata: that is the payment's day.
    first = await pay(client, user, debt["id"], 10000, payment_date="2024-01-31T20:00:00Z")
    assert first["payment_date"] == "2024-02-01"
    await pay(client, user, debt["id"], 10000, payment_date="2024-02-20")
    await pay(client, user, debt["id"], 500, payment_date="2024-03-01", payment_type="prepayment")
    # Recorded last but dated first: the book replays by date, so it is the first EMI.
    await pay(client, user, debt["id"], 10000, payment_date="2023-12-15")

    r = await client.get("/api/payments/stats/monthly?year=2024", headers=user.headers)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["range"] == {"start": "2024-01-01", "end": "2024-12-31"}
    assert (s["currency"], s["breakdown_by"]) == ("INR", "component")
    assert [m["month"] for m in s["months"]] == [f"2024-{m:02d}" for m in range(1, 13)]
    months = {m["month"]: m for m in s["months"]}
    assert months["2024-01"] == {"month": "2024-01", "total": 0, "count": 0, "breakdown": {}}
    # 15 Dec: 1 % of 1,00,000 = 1,000.00 interest, 9,000 principal -> 91,000.
    # 1 Feb: 1 % of 91,000 = 910.00, 9,090 principal -> 81,910.
    # 20 Feb: 1 % of 81,910 = 819.10, 9,180.90 principal -> 72,729.10.
    assert months["2024-02"] == {
        "month": "2024-02",
        "total": 20000,
        "count": 2,
        "breakdown": {"interest": 1729.1, "principal": 18270.9},
    }
    assert months["2024-03"]["breakdown"] == {"interest": 0, "principal": 500}
    assert (s["total"], s["count"], s["breakdown"]) == (
        20500,
        3,
        {"interest": 1729.1, "principal": 18770.9},
    )
    r = await client.get(
        "/api/payments/stats/monthly?from=2023-12-01&to=2024-02-01", headers=user.headers
    )
    months = [(m["month"], m["count"]) for m in r.json()["months"]]
    assert months == [("2023-12", 1), ("2024-01", 0), ("2024-02", 1)]

    # A stored day never moves when the user changes timezone.
    await client.put("/api/users/me", headers=user.headers, json={"profile": {"timezone": "UTC"}})
    r = await client.get("/api/payments/stats/monthly?year=2024", headers=user.headers)
    counts = {m["month"]: m["count"] for m in r.json()["months"] if m["count"]}
    assert counts == {"2024-02": 2, "2024-03": 1}
    got = await client.get(f"/api/payments/{first['id']}", headers=user.headers)
    assert got.json()["payment_date"] == "2024-02-01"


async def test_monthly_stats_default_to_this_year(client, user):
    debt = await create_debt(client, user, principal=1000, interest_rate=0, tenure_months=10)
    await pay(client, user, debt["id"], 100)
    await pay(client, user, debt["id"], 100, payment_date="2001-05-05")
    s = (await client.get("/api/payments/stats/monthly", headers=user.headers)).json()
    assert s["count"] == 1 and s["total"] == 100


async def test_date_filters_include_a_payment_exactly_on_the_boundary(client, user):
    debt = await create_debt(client, user, principal=1000, interest_rate=0, tenure_months=10)
    on_edge = await pay(client, user, debt["id"], 100, payment_date="2024-02-01")  # local midnight
    await pay(client, user, debt["id"], 100, payment_date="2024-01-31T23:59:59")
    for path in (
        "/api/payments?from=2024-02-01",
        f"/api/payments?from=2024-02-01&debt_id={debt['id']}",
        f"/api/payments/debt/{debt['id']}?limit=1",
    ):
        r = await client.get(path, headers=user.headers)
        assert [p["id"] for p in r.json()["items"]] == [on_edge["id"]], path
    for query in ("from=2024-02-01&to=2024-02-29", f"year=2024&debt_id={debt['id']}"):
        r = await client.get(f"/api/payments/stats/monthly?{query}", headers=user.headers)
        counts = {m["month"]: m["count"] for m in r.json()["months"]}
        assert counts["2024-02"] == 1, query  # the 23:59:59 one is 31 January's


# ---------------------------------------------------------------- one path for every payment


async def test_an_emi_by_hand_and_one_imported_book_the_same_split(client, user, db):
    """The statement import records an EMI through the path POST /api/payments takes: on the
    same debt, the same amount on the same day books the same interest and principal, and
    leaves the debt the same. Only the notification differs: the import sends one summary."""
    # Rs 1,00,000.50 at 12 %, due 3 Jan 2024; the statement (tests/fixtures/statements) pays
    # Rs 12,500 on 3 Jan: "ACH D- BAJAJ FINANCE LTD-P402PHR1234567", matched by the account.
    debt = await create_debt(
        client,
        user,
        principal="100000.50",
        interest_rate=12,
        tenure_months=9,
        start_date="2023-12-03",
        loan_account="P402PHR1234567",
    )
    before = await get(client, user, f"/api/debts/{debt['id']}")
    # The reducing-balance rule: a month's interest on what remains, remaining x 12/12/100 =
    # 1,000.005, rounded half-up to the paisa: 1,000.01 (half-even would give 1,000.00).
    due = (Decimal("100000.50") * 12 / 12 / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert due == Decimal("1000.01")
    expected = {
        "interest_component": float(due),
        "principal_component": float(Decimal(12500) - due),  # 11,499.99
        "remaining_after": float(Decimal("100000.50") - (Decimal(12500) - due)),  # 88,500.51
        "interest_rate": 12,
    }
    split = list(expected)
    received = {"user_id": ObjectId(user.id), "notification_type": "payment_received"}

    imp = await upload(client, user, (FIXTURES / "hdfc_delimited.txt").read_bytes())
    (row,) = [r for r in await all_rows(client, user, imp["id"]) if r["line"] == 5]
    assert (row["kind"], row["debt_id"], row["amount"]) == ("payment", debt["id"], 12500)
    assert (await commit(client, user, imp["id"]))["created"]["payments"] == 1
    (imported,) = (await get(client, user, "/api/payments"))["items"]
    assert {k: imported[k] for k in split} == expected
    assert imported["payment_date"] == "2024-01-03"
    after_import = await get(client, user, f"/api/debts/{debt['id']}")
    assert await db.notifications.count_documents(received) == 0

    r = await client.post(f"/api/imports/{imp['id']}/undo", headers=user.headers)
    assert r.status_code == 200 and r.json()["removed"]["payments"] == 1
    restored = await get(client, user, f"/api/debts/{debt['id']}")
    assert restored | {"updated_at": None} == before | {"updated_at": None}

    by_hand = await pay(client, user, debt["id"], 12500, "2024-01-03")
    assert {k: by_hand[k] for k in split} == expected
    after_hand = await get(client, user, f"/api/debts/{debt['id']}")
    assert after_hand | {"updated_at": None} == after_import | {"updated_at": None}
    assert after_hand["remaining_amount"] == expected["remaining_after"]
    assert await db.notifications.count_documents(received) == 1
