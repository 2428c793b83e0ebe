"""Card EMIs through HTTP: a purchase converted into instalments (the loans' reducing-balance
schedule, GST on each month's interest, the processing fee and its GST on the first
statement), the limit blocked and released, a no-cost EMI's true cost, a foreclosure, the
instalments of a later statement import matched to the EMI's debt, someone else's card.

Every figure is worked out beside its assertion: a card with statement day 15, 20 due days
and a ₹1,00,000 limit; an EMI of ₹60,000 at 15 % a year over 6 months with a ₹199 fee."""

import asyncio
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from loans.reminders import run_reminders
from tests.factories import account, all_rows, commit, expense, get, transfer, upload
from tests.statement_workbooks import hdfc_rows

TERMS = {"credit_limit": 100000, "statement_day": 15, "due_days": 20}
GST = Decimal("0.18")
STATEMENT_DATES = [date(2025, m, 15) for m in (2, 3, 4, 5, 6, 7)]


def paise(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def expected_schedule(amount: int, annual_rate: int, months: int) -> tuple[Decimal, list]:
    """The test's own reducing-balance schedule: EMI = P*r*(1+r)^n / ((1+r)^n - 1) with
    r = rate / 12 / 100, rounded half up; each month interest = balance * r (to the paisa),
    principal = EMI - interest, the last month the balance left; GST 18 % of the interest.
    Rows: (principal, interest, gst, billed = principal + interest + gst, balance)."""
    r = Decimal(annual_rate) / 12 / 100
    growth = (1 + r) ** months
    emi = paise(amount * r * growth / (growth - 1))
    balance, rows = Decimal(amount), []
    for month in range(1, months + 1):
        interest = paise(balance * r)
        principal = balance if month == months else emi - interest
        balance -= principal
        tax = paise(interest * GST)
        rows.append((principal, interest, tax, principal + interest + tax, balance))
    return emi, rows


EMI, ROWS = expected_schedule(60000, 15, 6)
FEE_GST = paise(Decimal(199) * GST)  # 35.82


def on(monkeypatch, day: date) -> None:
    """Today is `day` for the card's figures and its EMIs."""
    for module in ("cards.service", "cards.emi_service", "accounts.service"):
        monkeypatch.setattr(f"{module}.today", lambda tz: day)


def f(value: Decimal) -> float:
    return float(value)


async def emi_on(client, user, card_id, status=201, **body):
    r = await client.post(f"/api/accounts/{card_id}/emis", headers=user.headers, json=body)
    assert r.status_code == status, r.text
    return r.json()


async def a_converted_purchase(client, user, monkeypatch):
    """₹60,000 bought on the card on 20 Jan 2025, converted on 25 Jan: 15 %, 6 months, ₹199."""
    card = await account(client, user, "HDFC Regalia", kind="credit_card", **TERMS)
    savings = await account(client, user, "HDFC Savings")
    bought = await expense(client, user, 60000, "2025-01-20", account_id=card["id"], title="TV")
    on(monkeypatch, date(2025, 1, 25))
    body = {"expense_id": bought["id"], "date": "2025-01-25", "annual_rate": 15}
    emi = await emi_on(client, user, card["id"], **body, tenure_months=6, processing_fee=199)
    return card, savings, bought, emi


async def test_an_emi_schedule_to_the_paisa_with_gst_and_the_fee(client, user, monkeypatch):
    card, _, bought, emi = await a_converted_purchase(client, user, monkeypatch)
    assert (emi["amount"], emi["monthly_emi"], emi["expense_id"]) == (60000, f(EMI), bought["id"])
    assert (emi["processing_fee"], emi["processing_fee_gst"]) == (199, f(FEE_GST))
    assert emi["first_statement_date"] == "2025-02-15"  # closes the cycle of 25 Jan
    schedule = [
        (r["statement_date"], r["principal"], r["interest"], r["gst"], r["amount"], r["balance"])
        for r in emi["schedule"]
    ]
    expected = [
        (day.isoformat(), f(p), f(i), f(t), f(billed), f(left))
        for day, (p, i, t, billed, left) in zip(STATEMENT_DATES, ROWS, strict=True)
    ]
    assert schedule == expected
    interest = sum(row[1] for row in ROWS)
    taxes = sum(row[2] for row in ROWS)
    assert (emi["interest"], emi["gst"], emi["discount"]) == (f(interest), f(taxes), 0)
    # Everything billed: 60,000 + interest + its GST + the fee + its GST.
    assert emi["payable"] == f(60000 + interest + taxes + 199 + FEE_GST)
    assert emi["true_cost"] == f(interest + taxes + 199 + FEE_GST)
    # It is a debt of type credit_card, linked to the card.
    debt = await get(client, user, f"/api/debts/{emi['id']}")
    assert (debt["debt_type"], debt["card_account_id"]) == ("credit_card", card["id"])
    assert (debt["principal"], debt["monthly_emi"]) == (60000, f(EMI))
    assert debt["next_payment_date"] == "2025-02-15"
    listed = await get(client, user, f"/api/accounts/{card['id']}/emis")
    assert [e["id"] for e in listed["items"]] == [emi["id"]] and listed["total"] == 1


async def test_the_limit_is_blocked_and_released_as_instalments_are_billed(
    client, user, monkeypatch
):
    card, savings, _, emi = await a_converted_purchase(client, user, monkeypatch)
    url = f"/api/accounts/{card['id']}/card"
    # 25 Jan: the purchase is converted (a credit of 60,000); the fee and its GST are posted.
    view = await get(client, user, url)
    assert view["current_cycle"]["spent"] == 60000
    assert view["current_cycle"]["unbilled"] == f(199 + FEE_GST)
    assert view["outstanding"] == {
        "billed": 0,
        "unbilled": f(199 + FEE_GST),
        "emi_principal_blocked": 60000,
    }
    assert view["available_limit"] == f(100000 - (199 + FEE_GST) - 60000)
    first_due = ROWS[0][3] + 199 + FEE_GST  # instalment 1 with the fee and its GST
    assert view["next_statement"]["emi"] == f(first_due)
    # 20 Feb: the 15 Feb statement bills instalment 1, the fee and their GST.
    on(monkeypatch, date(2025, 2, 20))
    view = await get(client, user, url)
    last = view["last_statement"]
    assert (last["purchases"], last["converted"], last["emi"]) == (60000, 60000, f(first_due))
    assert (last["total_due"], last["minimum_due"]) == (f(first_due), f(first_due))
    blocked = 60000 - ROWS[0][0]
    assert view["outstanding"] == {
        "billed": f(first_due),
        "unbilled": 0,
        "emi_principal_blocked": f(blocked),
    }
    assert view["available_limit"] == f(100000 - first_due - blocked)
    # Paid in full on 1 Mar: the 15 Mar statement bills instalment 2 only, no interest.
    await transfer(client, user, savings["id"], card["id"], f(first_due), "2025-03-01")
    on(monkeypatch, date(2025, 3, 20))
    view = await get(client, user, url)
    last = view["last_statement"]
    assert (last["previous_due"], last["payments"], last["interest"]) == (
        f(first_due),
        f(first_due),
        0,
    )
    assert (last["emi"], last["total_due"]) == (f(ROWS[1][3]), f(ROWS[1][3]))
    assert view["outstanding"]["emi_principal_blocked"] == f(blocked - ROWS[1][0])
    # After the last statement (15 Jul) nothing is blocked; the EMI is billed.
    on(monkeypatch, date(2025, 7, 20))
    view = await get(client, user, url)
    assert view["outstanding"]["emi_principal_blocked"] == 0
    found = await get(client, user, f"/api/accounts/{card['id']}/emis/{emi['id']}")
    assert (found["status"], found["instalments_billed"]) == ("billed", 6)
    assert all(row["billed"] for row in found["schedule"])


async def test_a_no_cost_emi_shows_its_true_cost(client, user, monkeypatch):
    card = await account(client, user, "Card", kind="credit_card", **TERMS)
    on(monkeypatch, date(2025, 1, 25))
    body = {"amount": 60000, "date": "2025-01-25", "annual_rate": 15, "tenure_months": 6}
    emi = await emi_on(client, user, card["id"], **body, processing_fee=199, no_cost=True)
    interest = sum(row[1] for row in ROWS)
    taxes = sum(row[2] for row in ROWS)
    # The merchant's discount is the interest: each month bills the principal and the GST
    # on the interest; the true cost is that GST, the fee and the fee's GST.
    assert (emi["discount"], emi["interest"]) == (f(interest), f(interest))
    assert emi["true_cost"] == f(taxes + 199 + FEE_GST)
    assert emi["payable"] == f(60000 + taxes + 199 + FEE_GST)
    assert [r["amount"] for r in emi["schedule"]] == [f(p + t) for p, _, t, _, _ in ROWS]
    # A bare amount converts no purchase of the card: no credit, the fee posted.
    view = await get(client, user, f"/api/accounts/{card['id']}/card")
    assert view["current_cycle"]["unbilled"] == f(199 + FEE_GST)
    assert view["outstanding"]["emi_principal_blocked"] == 60000


async def test_a_foreclosure_bills_the_principal_left_a_fee_and_its_gst(client, user, monkeypatch):
    card, _, _, emi = await a_converted_purchase(client, user, monkeypatch)
    url = f"/api/accounts/{card['id']}/emis/{emi['id']}/foreclose"
    # Closed on 25 Mar, after the statements of 15 Feb and 15 Mar, at 3 % + GST.
    on(monkeypatch, date(2025, 3, 25))
    r = await client.post(url, headers=user.headers, json={"fee_percent": 3})
    assert r.status_code == 200, r.text
    closed = r.json()
    left = ROWS[1][4]  # the balance after instalment 2
    fee = paise(left * 3 / 100)
    fee_gst = paise(fee * GST)
    assert closed["foreclosure"] == {
        "date": "2025-03-25",
        "statement_date": "2025-04-15",
        "fee_percent": 3,
        "principal": f(left),
        "fee": f(fee),
        "gst": f(fee_gst),
        "total": f(left + fee + fee_gst),
    }
    assert (closed["status"], closed["principal_blocked"]) == ("foreclosed", 0)
    assert len(closed["schedule"]) == 2  # instalments 3-6 are never billed
    view = await get(client, user, f"/api/accounts/{card['id']}/card")
    assert view["outstanding"]["emi_principal_blocked"] == 0
    assert view["current_cycle"]["unbilled"] == f(left + fee + fee_gst)
    # The 15 Apr statement bills it; the debt is closed.
    on(monkeypatch, date(2025, 4, 20))
    statements = await get(client, user, f"/api/accounts/{card['id']}/statements")
    assert statements["items"][0]["statement_date"] == "2025-04-15"
    assert statements["items"][0]["emi"] == f(left + fee + fee_gst)
    debt = await get(client, user, f"/api/debts/{emi['id']}")
    assert debt["status"] == "closed"
    r = await client.post(url, headers=user.headers, json={"fee_percent": 3})
    assert (r.status_code, r.json()["code"]) == (409, "emi_closed")


async def test_a_later_statements_instalment_pays_the_emis_debt(client, user, monkeypatch):
    card, _, _, emi = await a_converted_purchase(client, user, monkeypatch)
    bank = await account(client, user, "Savings")
    # The card's statement: instalment 1 on 15 Feb (the EMI, within 1 % and 7 days of its
    # due date) and a purchase; a bank debit of the same amount is not the card's EMI.
    rows = [
        (date(2025, 2, 15), "EMI 1/6 TV", f"{EMI:.2f}", "0.00", "", "0.00"),
        (date(2025, 2, 10), "POS CROMA", "700.00", "0.00", "", "0.00"),
    ]
    on(monkeypatch, date(2025, 3, 1))
    imported = await upload(client, user, hdfc_rows(*rows), account_id=card["id"])
    found = await all_rows(client, user, imported["id"])
    assert [(r["kind"], r["debt_id"]) for r in found] == [("payment", emi["id"]), ("expense", None)]
    other = await upload(client, user, hdfc_rows(rows[0]), account_id=bank["id"])
    assert [r["debt_id"] for r in await all_rows(client, user, other["id"])] == [None]
    await commit(client, user, imported["id"])
    # The debt took the instalment: 60,000 less its principal; not a purchase on the card.
    debt = await get(client, user, f"/api/debts/{emi['id']}")
    assert (debt["payments_count"], debt["remaining_amount"]) == (1, f(60000 - ROWS[0][0]))
    statements = await get(client, user, f"/api/accounts/{card['id']}/statements")
    first = statements["items"][0]
    assert (first["purchases"], first["emi"]) == (60700, f(ROWS[0][3] + 199 + FEE_GST))


async def test_someone_elses_card_or_emi_is_a_404_and_bad_input_a_422(
    client, user, other_user, monkeypatch
):
    card, _, bought, emi = await a_converted_purchase(client, user, monkeypatch)
    theirs = await account(client, other_user, "Theirs", kind="credit_card", **TERMS)
    body = {"amount": 1000, "annual_rate": 12, "tenure_months": 3}
    mine = f"/api/accounts/{card['id']}/emis"
    for path in (f"/api/accounts/{card['id']}/emis", f"{mine}/{emi['id']}"):
        r = await client.get(path, headers=other_user.headers)
        assert (r.status_code, r.json()["code"]) == (404, "account_not_found")
    r = await client.post(mine, headers=other_user.headers, json=body)
    assert r.status_code == 404
    r = await client.post(
        f"{mine}/{emi['id']}/foreclose", headers=other_user.headers, json={"fee_percent": 1}
    )
    assert r.status_code == 404
    # My EMI under their card, or no EMI at all: 404.
    r = await client.get(
        f"/api/accounts/{theirs['id']}/emis/{emi['id']}", headers=other_user.headers
    )
    assert (r.status_code, r.json()["code"]) == (404, "emi_not_found")
    r = await client.get(f"{mine}/not-an-id", headers=user.headers)
    assert (r.status_code, r.json()["code"]) == (404, "emi_not_found")
    # Someone else's purchase is not found; mine on another account is not this card's.
    their_buy = await expense(client, other_user, 500, "2025-01-20", account_id=theirs["id"])
    r = await client.post(
        mine, headers=user.headers, json=body | {"amount": None, "expense_id": their_buy["id"]}
    )
    assert (r.status_code, r.json()["code"]) == (404, "expense_not_found")
    cash = await expense(client, user, 500, "2025-01-20")
    bad = [
        ({"amount": None, "expense_id": cash["id"]}, ["body", "expense_id"], "expense_not_on_card"),
        ({"tenure_months": 0}, ["body", "tenure_months"], None),
        ({"annual_rate": -1}, ["body", "annual_rate"], None),
        ({"amount": 0}, ["body", "amount"], None),
        ({"expense_id": bought["id"]}, ["body"], None),  # both a purchase and an amount
    ]
    for change, loc, code in bad:
        r = await client.post(mine, headers=user.headers, json=body | change)
        assert r.status_code == 422, (change, r.text)
        assert r.json()["detail"][0]["loc"] == loc, (change, r.text)
        assert code is None or r.json()["code"] == code
    # A purchase converts once; an EMI's terms are its card's.
    again = {"expense_id": bought["id"], "annual_rate": 15, "tenure_months": 3}
    r = await client.post(mine, headers=user.headers, json=again)
    assert (r.status_code, r.json()["code"]) == (409, "expense_converted")
    r = await client.put(f"/api/debts/{emi['id']}", headers=user.headers, json={"tenure_months": 9})
    assert (r.status_code, r.json()["code"]) == (409, "card_emi_terms")
    # A card without a statement day has no statements to bill on; a savings account is no card.
    plain = await account(client, user, "New card", kind="credit_card")
    r = await client.post(f"/api/accounts/{plain['id']}/emis", headers=user.headers, json=body)
    assert (r.status_code, r.json()["code"]) == (422, "card_terms_missing")
    savings = await account(client, user, "SB")
    r = await client.post(f"/api/accounts/{savings['id']}/emis", headers=user.headers, json=body)
    assert (r.status_code, r.json()["code"]) == (422, "not_a_card")


async def test_a_purchase_converted_twice_at_once_is_one_emi(client, user, monkeypatch):
    card = await account(client, user, "Card", kind="credit_card", **TERMS)
    bought = await expense(client, user, 9000, "2025-01-20", account_id=card["id"])
    on(monkeypatch, date(2025, 1, 25))
    body = {"expense_id": bought["id"], "annual_rate": 15, "tenure_months": 3}
    url = f"/api/accounts/{card['id']}/emis"
    answers = await asyncio.gather(
        *(client.post(url, headers=user.headers, json=body) for _ in range(2))
    )
    assert sorted(r.status_code for r in answers) == [201, 409]
    listed = await get(client, user, url)
    assert listed["total"] == 1
    # Its 9,000 is credited once: nothing of the purchase is left unbilled, 9,000 blocked.
    view = await get(client, user, f"/api/accounts/{card['id']}/card")
    assert (view["current_cycle"]["unbilled"], view["outstanding"]["emi_principal_blocked"]) == (
        0,
        9000,
    )


async def test_an_emi_sent_twice_with_one_idempotency_key_is_booked_once(client, user, monkeypatch):
    """A bare amount (no purchase to convert once) sent again after a dropped answer: the
    same EMI, not two; the key with another body is a 422."""
    card = await account(client, user, "Card", kind="credit_card", **TERMS)
    on(monkeypatch, date(2025, 1, 25))
    body = {"amount": 12000, "annual_rate": 14, "tenure_months": 6}
    url = f"/api/accounts/{card['id']}/emis"
    headers = user.headers | {"Idempotency-Key": "emi-tv-1"}
    first = await client.post(url, headers=headers, json=body)
    again = await client.post(url, headers=headers, json=body)
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    assert (await get(client, user, url))["total"] == 1
    # Without a key the same body books a second EMI, as a second purchase would.
    assert (await client.post(url, headers=user.headers, json=body)).status_code == 201
    assert (await get(client, user, url))["total"] == 2
    other = body | {"amount": 13000}
    assert (await client.post(url, headers=headers, json=other)).status_code == 422


async def test_a_foreclosure_is_dated_between_the_booking_and_today(client, user, monkeypatch):
    card, _, _, emi = await a_converted_purchase(client, user, monkeypatch)
    url = f"/api/accounts/{card['id']}/emis/{emi['id']}/foreclose"
    on(monkeypatch, date(2025, 2, 1))
    for day in ("2025-01-24", "2025-02-05"):
        r = await client.post(url, headers=user.headers, json={"fee_percent": 2, "date": day})
        assert (r.status_code, r.json()["detail"][0]["loc"]) == (422, ["body", "date"])
    # Before any statement: all 60,000 is left; 2 % of it and GST on that.
    r = await client.post(url, headers=user.headers, json={"fee_percent": 2})
    fee = paise(Decimal(60000) * 2 / 100)
    assert r.json()["foreclosure"]["total"] == f(60000 + fee + paise(fee * GST))


async def test_a_card_emi_is_reminded_with_its_card_not_as_a_loan(
    client, user, db, settings, monkeypatch
):
    """Its instalment is on the card's statement, whose due the card's reminders announce;
    an EMI reminder of its own would be a second one for the same money."""
    _, _, _, emi = await a_converted_purchase(client, user, monkeypatch)
    debt = await get(client, user, f"/api/debts/{emi['id']}")
    due = date.fromisoformat(debt["next_payment_date"])
    # The day before its due date, 10:00 in Kolkata: inside the EMI reminders' window.
    moment = datetime(due.year, due.month, due.day, 10, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert await run_reminders(db, settings, at=moment - timedelta(days=1)) == 0
