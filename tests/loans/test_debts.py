"""Debts: create (computed EMI), lists, summary, updates and their rules, schedule, payoff plan."""

import asyncio
from decimal import Decimal

import pytest
from bson import ObjectId

from tests.factories import create_debt, loan, pay, signup

OWNER_EXAMPLE = {
    "name": "Home Loan",
    "debt_type": "home_loan",
    "principal": 5000000,
    "interest_rate": 8.5,
    "tenure_months": 240,
    "monthly_emi": 43391,
    "bank_name": "HDFC Bank",
    "start_date": "2024-01-01T00:00:00",
}


# ---------------------------------------------------------------- create


async def test_owner_example_is_accepted_as_written(client, user):
    r = await client.post("/api/debts", headers=user.headers, json=OWNER_EXAMPLE)
    assert r.status_code == 201, r.text
    debt = r.json()
    assert debt["monthly_emi"] == 43391  # given, so kept
    assert debt["remaining_amount"] == 5000000
    assert debt["total_paid"] == 0 and debt["total_interest_paid"] == 0
    assert debt["status"] == "active"
    assert debt["progress_percentage"] == 0 and debt["principal_repaid"] == 0
    # A naive datetime is the user's wall clock (Asia/Kolkata, UTC+5:30).
    assert debt["start_date"] == "2024-01-01"
    assert debt["next_payment_date"] == "2024-02-01"  # start + 1 month
    assert "_id" not in debt and "user_id" not in debt
    got = await client.get(f"/api/debts/{debt['id']}", headers=user.headers)
    assert got.json() == debt


async def test_emi_is_computed_when_omitted(client, user):
    debt = await create_debt(client, user)  # 10,00,000 at 12 % over 12 months
    assert debt["monthly_emi"] == 88848.79
    zero_rate = await create_debt(client, user, principal=1200, interest_rate=0, tenure_months=7)
    assert zero_rate["monthly_emi"] == 171.43  # P / n, rounded half-up


async def test_outstanding_amount_starts_a_running_loan(client, user):
    debt = await create_debt(client, user, principal=500000, outstanding_amount=320000.5)
    assert debt["remaining_amount"] == 320000.5
    assert debt["principal_repaid"] == 179999.5
    assert debt["progress_percentage"] == 36.0


async def test_next_payment_date_can_be_given(client, user):
    debt = await create_debt(client, user, next_payment_date="2024-03-05")
    assert debt["next_payment_date"] == "2024-03-05"


@pytest.mark.parametrize(
    "changes",
    [
        {"principal": -5},
        {"principal": 0},
        {"principal": "10.005"},
        {"principal": True},
        {"principal": 1e13},
        {"interest_rate": 100.01},
        {"interest_rate": -1},
        {"interest_rate": 8.125},
        {"tenure_months": 0},
        {"tenure_months": 601},
        {"monthly_emi": 0},
        {"debt_type": "mortgage"},
        {"start_date": "yesterday"},
        {"name": "   "},
        {"outstanding_amount": 2000000},  # more than the principal
        {"remaining_amount": 5},
        {"total_paid": 5},
        {"user_id": "abc"},
        {"status": "completed"},
        {"account_number": "1234"},
    ],
)
async def test_create_rejects_bad_input(client, user, changes):
    r = await client.post("/api/debts", headers=user.headers, json=loan(**changes))
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_error"


async def test_debts_need_authentication(client):
    r = await client.get("/api/debts")
    assert r.status_code == 401


# ---------------------------------------------------------------- lists and summary


async def test_list_filters_paginates_newest_first(client, user, other_user):
    home = await create_debt(client, user, name="A", debt_type="home_loan")
    car = await create_debt(client, user, name="B", debt_type="car_loan")
    card = await create_debt(client, user, name="C", debt_type="credit_card")
    await client.put(f"/api/debts/{car['id']}", headers=user.headers, json={"status": "closed"})
    await create_debt(client, other_user, name="Theirs")

    r = await client.get("/api/debts", headers=user.headers)
    assert [d["name"] for d in r.json()["items"]] == ["C", "B", "A"]
    assert r.json()["total"] == 3
    r = await client.get("/api/debts?status=active", headers=user.headers)
    assert [d["id"] for d in r.json()["items"]] == [card["id"], home["id"]]
    r = await client.get("/api/debts?debt_type=home_loan", headers=user.headers)
    assert [d["id"] for d in r.json()["items"]] == [home["id"]]
    r = await client.get("/api/debts?status=closed&debt_type=car_loan", headers=user.headers)
    assert [d["id"] for d in r.json()["items"]] == [car["id"]]
    r = await client.get("/api/debts?skip=1&limit=1", headers=user.headers)
    assert r.json() | {"items": None} == {"items": None, "total": 3, "skip": 1, "limit": 1}
    assert [d["name"] for d in r.json()["items"]] == ["B"]
    for bad in ("limit=101", "limit=0", "skip=-1", "status=paid", "debt_type=x"):
        assert (await client.get(f"/api/debts?{bad}", headers=user.headers)).status_code == 422


async def test_summary_counts_totals_and_next_due(client, user, other_user):
    a = await create_debt(client, user, principal=1000, interest_rate=0, tenure_months=10,
                     next_payment_date="2024-05-10")  # fmt: skip
    b = await create_debt(client, user, debt_type="home_loan", principal=2000, interest_rate=0,
                     tenure_months=4, next_payment_date="2024-04-01")  # fmt: skip
    c = await create_debt(client, user, principal=300, interest_rate=0, tenure_months=3,
                     next_payment_date="2024-06-01")  # fmt: skip
    d = await create_debt(client, user, principal=400, interest_rate=0, tenure_months=4,
                     next_payment_date="2024-07-01")  # fmt: skip
    closed = await create_debt(client, user, debt_type="credit_card", principal=50, interest_rate=0,
                          tenure_months=1)  # fmt: skip
    await client.put(f"/api/debts/{closed['id']}", headers=user.headers, json={"status": "closed"})
    await pay(client, user, a["id"], 100)
    await pay(client, user, c["id"], 300)  # completes c
    await create_debt(client, other_user, principal=999999)

    r = await client.get("/api/debts/stats/summary", headers=user.headers)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["total_debts"] == 5
    assert s["by_status"] == {"active": 3, "completed": 1, "closed": 1}
    assert s["by_type"]["car_loan"] == 3 and s["by_type"]["home_loan"] == 1
    assert s["by_type"]["credit_card"] == 1 and s["by_type"]["gold_loan"] == 0
    assert s["total_principal"] == 3750
    assert s["total_remaining"] == 900 + 2000 + 400  # active debts only
    assert s["total_paid"] == 400
    assert s["total_interest_paid"] == 0
    assert s["total_monthly_emi"] == 100 + 500 + 100
    # a's next due moved on by its EMI payment (10 May -> 10 Jun); c is no longer due.
    assert [n["debt_id"] for n in s["next_due"]] == [b["id"], a["id"], d["id"]]
    assert s["next_due"][1]["next_payment_date"] == "2024-06-10"


async def test_summary_of_a_new_user_is_zero(client, user):
    s = (await client.get("/api/debts/stats/summary", headers=user.headers)).json()
    assert s["total_debts"] == 0 and s["total_principal"] == 0 and s["next_due"] == []
    assert set(s["by_status"].values()) == {0}


# ---------------------------------------------------------------- update and delete


async def test_update_descriptive_fields_and_rate_recomputes_a_computed_emi(client, user):
    debt = await create_debt(client, user)
    r = await client.put(
        f"/api/debts/{debt['id']}",
        headers=user.headers,
        json={"name": "  Swift  ", "bank_name": None, "notes": "fixed rate", "interest_rate": 0},
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["name"] == "Swift" and updated["bank_name"] is None
    assert updated["monthly_emi"] == 83333.33  # no payments yet: follows the new rate
    assert updated["created_at"] == debt["created_at"]
    assert updated["updated_at"] >= debt["updated_at"]


async def test_given_emi_is_kept_and_terms_lock_after_a_payment(client, user):
    debt = await create_debt(client, user, principal=100000, interest_rate=0, tenure_months=10)
    r = await client.put(
        f"/api/debts/{debt['id']}", headers=user.headers, json={"principal": 120000}
    )
    assert r.json()["remaining_amount"] == 120000 and r.json()["monthly_emi"] == 12000
    await pay(client, user, debt["id"], 12000)
    r = await client.put(
        f"/api/debts/{debt['id']}", headers=user.headers, json={"principal": 150000}
    )
    assert r.status_code == 409 and r.json()["code"] == "debt_has_payments"
    # Re-sending the unchanged values (a full-form PUT) is fine.
    r = await client.put(
        f"/api/debts/{debt['id']}",
        headers=user.headers,
        json={"principal": 120000, "tenure_months": 10, "monthly_emi": 12000, "name": "Car"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["monthly_emi"] == 12000 and r.json()["remaining_amount"] == 108000
    # The rate and the EMI are terms too: once paid against, they change through a rate reset
    # or a reduce-EMI prepayment, which the book records, not through an edit of history.
    for change in ({"monthly_emi": 15000}, {"interest_rate": 9}):
        r = await client.put(f"/api/debts/{debt['id']}", headers=user.headers, json=change)
        assert r.status_code == 409 and r.json()["code"] == "debt_has_payments"
        assert "rate-changes" in r.json()["detail"]


async def test_next_payment_date_update_moves_the_due_anchor(client, user):
    debt = await create_debt(client, user, principal=300, interest_rate=0, tenure_months=3)
    r = await client.put(
        f"/api/debts/{debt['id']}", headers=user.headers, json={"next_payment_date": "2024-01-31"}
    )
    assert r.json()["next_payment_date"] == "2024-01-31"
    await pay(client, user, debt["id"], 100)
    await pay(client, user, debt["id"], 100)
    got = (await client.get(f"/api/debts/{debt['id']}", headers=user.headers)).json()
    # 31 Jan -> 29 Feb -> 31 Mar: anchored, not drifting to the 29th.
    assert got["next_payment_date"] == "2024-03-31"


@pytest.mark.parametrize(
    "body",
    [
        {"remaining_amount": 0},
        {"total_paid": 10},
        {"total_interest_paid": 1},
        {"status": "completed"},
        {"name": None},
        {"principal": None},
        {"interest_rate": "abc"},
        {"monthly_emi": -1},
        {"outstanding_amount": 5000000},  # above the principal
        {"created_at": "2024-01-01"},
    ],
)
async def test_update_rejects_bad_or_computed_fields(client, user, body):
    debt = await create_debt(client, user)
    r = await client.put(f"/api/debts/{debt['id']}", headers=user.headers, json=body)
    assert r.status_code == 422, r.text
    after = (await client.get(f"/api/debts/{debt['id']}", headers=user.headers)).json()
    assert after == debt


async def test_status_active_closed_and_completed_is_final(client, user):
    debt = await create_debt(client, user, principal=100, interest_rate=0, tenure_months=1)
    url = f"/api/debts/{debt['id']}"
    assert (await client.put(url, headers=user.headers, json={"status": "closed"})).json()[
        "status"
    ] == "closed"
    assert (await client.put(url, headers=user.headers, json={"status": "active"})).json()[
        "status"
    ] == "active"
    await pay(client, user, debt["id"], 100)
    for status in ("active", "closed"):
        r = await client.put(url, headers=user.headers, json={"status": status})
        assert r.status_code == 409 and r.json()["code"] == "debt_completed"
    r = await client.put(url, headers=user.headers, json={"name": "Done"})
    assert r.status_code == 200 and r.json()["status"] == "completed"


async def test_delete_removes_the_debt_and_its_payments(client, user, db):
    debt = await create_debt(client, user, principal=1000, interest_rate=0, tenure_months=10)
    keep = await create_debt(client, user, principal=1000, interest_rate=0, tenure_months=10)
    await pay(client, user, debt["id"], 100)
    await pay(client, user, debt["id"], 100)
    await pay(client, user, keep["id"], 100)
    r = await client.delete(f"/api/debts/{debt['id']}", headers=user.headers)
    assert r.status_code == 204
    assert (await client.get(f"/api/debts/{debt['id']}", headers=user.headers)).status_code == 404
    assert await db.payments.count_documents({"debt_id": ObjectId(debt["id"])}) == 0
    assert await db.payments.count_documents({"debt_id": ObjectId(keep["id"])}) == 1
    assert (
        await client.delete(f"/api/debts/{debt['id']}", headers=user.headers)
    ).status_code == 404


async def test_another_users_debt_is_404_everywhere_and_untouched(client, user, other_user):
    theirs = await create_debt(client, other_user)
    await pay(client, other_user, theirs["id"], 88848.79)
    before = (await client.get(f"/api/debts/{theirs['id']}", headers=other_user.headers)).json()
    url = f"/api/debts/{theirs['id']}"
    for method, path, body in [
        ("GET", url, None),
        ("PUT", url, {"name": "mine now", "status": "closed"}),
        ("DELETE", url, None),
        ("GET", f"{url}/schedule", None),
        ("GET", f"{url}/schedule?extra_monthly=100", None),
    ]:
        r = await client.request(method, path, headers=user.headers, json=body)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json() == {"detail": "Debt not found", "code": "debt_not_found"}
    after = (await client.get(url, headers=other_user.headers)).json()
    assert after == before


@pytest.mark.parametrize(
    "bad_id", ["123", "zzzzzzzzzzzzzzzzzzzzzzzz", "0123456789abcdef01234567", "%20"]
)
async def test_malformed_or_unknown_ids_are_404(client, user, bad_id):
    for method in ("GET", "PUT", "DELETE"):
        body = {"name": "x"} if method == "PUT" else None
        r = await client.request(method, f"/api/debts/{bad_id}", headers=user.headers, json=body)
        assert r.status_code == 404, (method, r.text)
    r = await client.get(f"/api/debts/{bad_id}/schedule", headers=user.headers)
    assert r.status_code == 404


# ---------------------------------------------------------------- schedule


async def test_schedule_of_the_reference_loan_is_exact(client, user):
    debt = await create_debt(client, user)  # 10,00,000 at 12 % over 12 months, first due 15 Feb
    r = await client.get(f"/api/debts/{debt['id']}/schedule", headers=user.headers)
    assert r.status_code == 200, r.text
    s = r.json()
    items = s["items"]
    assert len(items) == 12 and s["what_if"] is None
    assert items[0] == {
        "month": 1,
        "due_date": "2024-02-15",
        "emi": 88848.79,
        "interest": 10000.0,
        "principal": 78848.79,
        "balance": 921151.21,
    }
    assert items[-1]["due_date"] == "2025-01-15" and items[-1]["balance"] == 0
    principal_sum = sum(Decimal(str(i["principal"])) for i in items)
    assert principal_sum == Decimal("1000000.00")
    interest_sum = sum(Decimal(str(i["interest"])) for i in items)
    projected = s["totals"]["projected"]
    assert Decimal(str(projected["total_interest"])) == interest_sum
    assert projected["months"] == 12 and projected["payoff_date"] == "2025-01-15"
    assert s["history"] == [] and s["totals"]["paid"]["months"] == 0


async def test_schedule_starts_from_the_current_balance(client, user):
    debt = await create_debt(client, user)
    await pay(client, user, debt["id"], 88848.79)
    s = (await client.get(f"/api/debts/{debt['id']}/schedule", headers=user.headers)).json()
    assert len(s["items"]) == 11
    assert s["remaining_amount"] == 921151.21
    assert (s["items"][0]["month"], s["items"][0]["due_date"]) == (2, "2024-03-15")
    # What was paid comes first: the EMI as it was split.
    (paid,) = s["history"]
    assert (paid["kind"], paid["interest"], paid["principal"]) == ("emi", 10000, 78848.79)
    assert s["totals"]["paid"] == {
        "months": 1,
        "total_paid": 88848.79,
        "total_interest": 10000,
        "total_principal": 78848.79,
    }
    assert sum(Decimal(str(i["principal"])) for i in s["items"]) == Decimal("921151.21")


async def test_schedule_what_if_saves_months_and_interest(client, user):
    debt = await create_debt(client, user, principal=500000, interest_rate=10, tenure_months=60)
    url = f"/api/debts/{debt['id']}/schedule"
    s = (await client.get(f"{url}?extra_monthly=5000", headers=user.headers)).json()
    w = s["what_if"]
    assert w["extra_monthly"] == 5000
    assert w["months_saved"] > 0 and w["interest_saved"] > 0
    assert w["totals"]["months"] == s["totals"]["projected"]["months"] - w["months_saved"]
    assert w["items"][-1]["balance"] == 0
    lump = (await client.get(f"{url}?lump_sum=100000", headers=user.headers)).json()["what_if"]
    assert lump["lump_sum"] == 100000 and lump["months_saved"] > 0
    capped = (await client.get(f"{url}?lump_sum=9000000", headers=user.headers)).json()
    assert capped["what_if"]["lump_sum"] == 500000 and capped["what_if"]["items"] == []
    for bad in ("extra_monthly=-1", "extra_monthly=1.001", "lump_sum=abc", "lump_sum=1e13"):
        assert (await client.get(f"{url}?{bad}", headers=user.headers)).status_code == 422


async def test_schedule_of_an_emi_below_the_interest_is_422(client, user):
    debt = await create_debt(client, user, principal=100000, interest_rate=24, monthly_emi=1000)
    r = await client.get(f"/api/debts/{debt['id']}/schedule", headers=user.headers)
    assert r.status_code == 422 and r.json()["code"] == "never_pays_off"


async def test_schedule_of_a_completed_debt_is_empty(client, user):
    debt = await create_debt(client, user, principal=100, interest_rate=0, tenure_months=1)
    await pay(client, user, debt["id"], 100)
    s = (await client.get(f"/api/debts/{debt['id']}/schedule", headers=user.headers)).json()
    projected = s["totals"]["projected"]
    assert s["items"] == [] and projected["months"] == 0 and projected["payoff_date"] is None


# ---------------------------------------------------------------- payoff plan


async def test_payoff_plan_avalanche_vs_snowball(client, user, other_user):
    card = await create_debt(client, user, name="Card", debt_type="credit_card", principal=50000,
                        interest_rate=36, tenure_months=24)  # fmt: skip
    personal = await create_debt(client, user, name="Personal", principal=20000, interest_rate=14,
                            tenure_months=24)  # fmt: skip
    closed = await create_debt(client, user, name="Closed", principal=100, interest_rate=40)
    await client.put(f"/api/debts/{closed['id']}", headers=user.headers, json={"status": "closed"})
    await create_debt(client, other_user, principal=7, interest_rate=50)

    r = await client.get(
        "/api/debts/payoff-plan?strategy=avalanche&extra_monthly=3000", headers=user.headers
    )
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["plan"]["strategy"] == "avalanche" and p["comparison"]["strategy"] == "snowball"
    assert p["plan"]["order"] == [card["id"], personal["id"]]  # highest rate first
    assert p["comparison"]["order"] == [personal["id"], card["id"]]  # smallest balance first
    assert p["monthly_budget"] == card["monthly_emi"] + personal["monthly_emi"] + 3000
    assert p["plan"]["total_interest"] <= p["comparison"]["total_interest"]
    assert p["interest_saved_vs_comparison"] == pytest.approx(
        p["comparison"]["total_interest"] - p["plan"]["total_interest"]
    )
    assert {d["name"] for d in p["plan"]["debts"]} == {"Card", "Personal"}

    plain = (await client.get("/api/debts/payoff-plan", headers=user.headers)).json()
    assert plain["strategy"] == "avalanche" and plain["extra_monthly"] == 0
    assert plain["plan"]["months"] > p["plan"]["months"]  # extra money pays off sooner
    snow = await client.get("/api/debts/payoff-plan?strategy=snowball", headers=user.headers)
    assert snow.json()["plan"]["order"] == [personal["id"], card["id"]]


async def test_payoff_plan_edge_cases(client, user):
    r = await client.get("/api/debts/payoff-plan", headers=user.headers)
    assert (
        r.status_code == 200 and r.json()["plan"]["order"] == [] and r.json()["plan"]["months"] == 0
    )
    for bad in ("strategy=random", "extra_monthly=-5", "extra_monthly=0.001"):
        r = await client.get(f"/api/debts/payoff-plan?{bad}", headers=user.headers)
        assert r.status_code == 422
    await create_debt(client, user, principal=100000, interest_rate=24, monthly_emi=1000)
    r = await client.get("/api/debts/payoff-plan", headers=user.headers)
    assert r.status_code == 422 and r.json()["code"] == "never_pays_off"
    r = await client.get("/api/debts/payoff-plan?extra_monthly=5000", headers=user.headers)
    assert r.status_code == 200  # enough extra money makes it pay off


async def test_concurrent_creates_and_summary_stay_consistent(client):
    owner = await signup(client)
    await asyncio.gather(
        *[
            client.post("/api/debts", headers=owner.headers, json=loan(principal=100 + i))
            for i in range(10)
        ]
    )
    s = (await client.get("/api/debts/stats/summary", headers=owner.headers)).json()
    assert s["total_debts"] == 10 and s["total_principal"] == sum(100 + i for i in range(10))
