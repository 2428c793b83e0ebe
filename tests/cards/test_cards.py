"""Credit cards through HTTP: the card's terms on its account, its cycles and statements
(closed from its entries, or as an imported statement prints them), interest and charges as
the RBI's Master Direction sets them, the statement day changed once, someone else's card.

Every figure is worked out beside its assertion from the entries the test makes: a card with
statement day 15 and 20 due days; a daily rate of 3.75 % x 12 / 365."""

import asyncio
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from bson import ObjectId

from tests.factories import account, commit, expense, get, transfer, upload
from tests.statement_pdfs import CardFigures, Txn, card_pdf

SLABS = [{"up_to": 10000, "fee": 750}, {"up_to": None, "fee": 1300}]
TERMS = {"credit_limit": 100000, "statement_day": 15, "due_days": 20}
TERMS |= {"monthly_interest_rate": 3.75, "late_fee_slabs": SLABS}


def paise(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def expected_interest(first: date, last: date, moves: dict[date, int]) -> Decimal:
    """The test's own ledger: each day's closing balance (purchases less refunds and
    payments, from `moves`) from `first` to `last`, both counted, x 3.75 x 12 / 365 %,
    summed and rounded once."""
    balance, owed, day = Decimal(0), Decimal(0), first
    while day <= last:
        balance += moves.get(day, 0)
        owed += max(balance, Decimal(0)) * Decimal("3.75") * 12 / 365 / 100
        day += timedelta(days=1)
    return paise(owed)


async def refund(client, user, card_id, amount, day):
    r = await client.post(
        "/api/income",
        headers=user.headers,
        json={"source": "Shop", "amount": amount, "income_type": "other", "date": day}
        | {"account_id": card_id},
    )
    assert r.status_code == 201, r.text


async def statements(client, user, card_id):
    found = await get(client, user, f"/api/accounts/{card_id}/statements", limit=100)
    return list(reversed(found["items"]))  # oldest first


async def a_card(client, user):
    card = await account(client, user, "HDFC Regalia", kind="credit_card", **TERMS)
    savings = await account(client, user, "HDFC Savings")
    await expense(client, user, 10000, "2025-01-20", account_id=card["id"])
    await expense(client, user, 5000, "2025-02-01", account_id=card["id"])
    await refund(client, user, card["id"], 1000, "2025-02-05")
    return card, savings


# ---------------------------------------------------------------- terms


async def test_a_card_keeps_its_terms_and_defaults(client, user):
    card = await account(client, user, "Amex", kind="credit_card", statement_day=31)
    # Left out: 20 due days, 3.75 % a month, interest-free, a typical issuer's slabs.
    assert (card["statement_day"], card["due_days"]) == (31, 20)
    assert (card["monthly_interest_rate"], card["interest_free"]) == (3.75, True)
    assert card["late_fee_slabs"][-1] == {"up_to": None, "fee": 1300}
    # Terms are a card's only.
    r = await client.post(
        "/api/accounts", headers=user.headers, json={"name": "SB", "statement_day": 5}
    )
    assert (r.status_code, r.json()["detail"][0]["loc"]) == (422, ["body", "statement_day"])
    # Slabs rise, the last one open.
    bad = [{"up_to": None, "fee": 100}, {"up_to": 500, "fee": 200}]
    r = await client.put(
        f"/api/accounts/{card['id']}", headers=user.headers, json={"late_fee_slabs": bad}
    )
    assert r.status_code == 422, r.text
    # A savings account has no card view; a card without a statement day has no cycles.
    savings = await account(client, user, "SB")
    r = await client.get(f"/api/accounts/{savings['id']}/card", headers=user.headers)
    assert (r.status_code, r.json()["code"]) == (422, "not_a_card")
    bare = await account(client, user, "Bare card", kind="credit_card")
    r = await client.get(f"/api/accounts/{bare['id']}/card", headers=user.headers)
    assert (r.status_code, r.json()["code"]) == (422, "card_terms_missing")


async def test_someone_elses_card_is_a_404_everywhere(client, user, other_user):
    card, _ = await a_card(client, user)
    for path in ("card", "statements"):
        r = await client.get(f"/api/accounts/{card['id']}/{path}", headers=other_user.headers)
        assert (r.status_code, r.json()["code"]) == (404, "account_not_found"), r.text
        r = await client.get(f"/api/accounts/{ObjectId()}/{path}", headers=user.headers)
        assert r.status_code == 404


# ---------------------------------------------------------------- statements


async def test_paid_in_full_no_interest(client, user):
    card, savings = await a_card(client, user)
    await transfer(client, user, savings["id"], card["id"], 14000, "2025-03-05")
    await expense(client, user, 2000, "2025-03-10", account_id=card["id"])
    first, second, *_ = await statements(client, user, card["id"])
    # Cycle 1 (from the first entry to 15 Feb): 10,000 + 5,000 bought, 1,000 refunded.
    assert (first["period_from"], first["statement_date"]) == ("2025-01-20", "2025-02-15")
    assert (first["purchases"], first["refunds"], first["total_due"]) == (15000, 1000, 14000)
    # Due 20 days later: 15 Feb + 20 = 7 Mar 2025. Minimum (estimated): 5 % of 14,000 = 700.
    assert (first["due_date"], first["minimum_due"], first["estimated"]) == (
        "2025-03-07",
        700,
        True,
    )
    assert (first["paid"], first["remaining_due"], first["status"]) == (14000, 0, "paid")
    # Paid in full by the due date: no interest; the new ₹2,000 is the next total due.
    assert (second["interest"], second["late_fee"], second["gst"]) == (0, 0, 0)
    assert (second["previous_due"], second["payments"], second["total_due"]) == (
        14000,
        14000,
        2000,
    )
    assert second["minimum_due"] == 100  # 5 % of 2,000 is 100 (also the floor)


async def test_paid_in_part_interest_from_each_purchase_and_gst(client, user):
    card, savings = await a_card(client, user)
    await transfer(client, user, savings["id"], card["id"], 5000, "2025-03-01")
    await expense(client, user, 2000, "2025-03-10", account_id=card["id"])
    _, second, *_ = await statements(client, user, card["id"])
    # 14,000 due by 7 Mar, 5,000 paid: interest on each purchase from its own date to 15 Mar,
    # and the ₹2,000 of 10 Mar gets no interest-free period. Balances x days:
    # 10,000 x 12 (20-31 Jan) + 15,000 x 4 (1-4 Feb) + 14,000 x 24 (5-28 Feb)
    # + 9,000 x 9 (1-9 Mar) + 11,000 x 6 (10-15 Mar) = 663,000; x 0.45 / 365 = 817.397 -> 817.40
    moves = {date(2025, 1, 20): 10000, date(2025, 2, 1): 5000, date(2025, 2, 5): -1000}
    moves |= {date(2025, 3, 1): -5000, date(2025, 3, 10): 2000}
    interest = expected_interest(date(2025, 1, 20), date(2025, 3, 15), moves)
    assert interest == Decimal("817.40")
    gst = paise(interest * Decimal("0.18"))  # 147.13
    assert (second["interest"], second["gst"], second["late_fee"]) == (817.40, float(gst), 0)
    # 14,000 - 5,000 + 2,000 + 817.40 + 147.13
    total = Decimal(14000 - 5000 + 2000) + interest + gst
    assert second["total_due"] == float(total) == 11964.53
    # Minimum: every charge and 5 % of the rest: 964.53 + 5 % of 11,000.
    assert second["minimum_due"] == float(interest + gst + 550)
    # The first statement: 5,000 of 14,000 paid.
    first = (await statements(client, user, card["id"]))[0]
    assert (first["paid"], first["remaining_due"], first["status"]) == (5000, 9000, "partly_paid")


async def late_payment(client, user, day: str):
    card, savings = await a_card(client, user)
    await transfer(client, user, savings["id"], card["id"], 14000, day)
    return (await statements(client, user, card["id"]))[1]


async def test_a_late_fee_only_after_three_days_past_due(client, user):
    # Due 7 Mar; paid in full on 9 Mar (day 2): interest (not paid by the due date), no fee.
    second = await late_payment(client, user, "2025-03-09")
    moves = {date(2025, 1, 20): 10000, date(2025, 2, 1): 5000, date(2025, 2, 5): -1000}
    interest = expected_interest(
        date(2025, 1, 20), date(2025, 3, 15), moves | {date(2025, 3, 9): -14000}
    )
    assert (second["interest"], second["late_fee"]) == (float(interest), 0)
    assert second["gst"] == float(paise(interest * Decimal("0.18")))


async def test_a_late_fee_on_day_four(client, user):
    # Paid on 11 Mar (day 4): the minimum due was unpaid more than 3 days; 14,000 was
    # outstanding after the due date: the slab above 10,000, ₹1,300; GST on interest and fee.
    second = await late_payment(client, user, "2025-03-11")
    moves = {date(2025, 1, 20): 10000, date(2025, 2, 1): 5000, date(2025, 2, 5): -1000}
    interest = expected_interest(
        date(2025, 1, 20), date(2025, 3, 15), moves | {date(2025, 3, 11): -14000}
    )
    assert (second["interest"], second["late_fee"]) == (float(interest), 1300)
    gst = paise((interest + 1300) * Decimal("0.18"))
    assert second["gst"] == float(gst)
    assert second["total_due"] == float(interest + 1300 + gst)  # 14,000 paid, charges left


# ---------------------------------------------------------------- the card today


def on(monkeypatch, day: date) -> None:
    """Today is `day` for the card's figures and for a change of its terms."""
    monkeypatch.setattr("cards.service.today", lambda tz: day)
    monkeypatch.setattr("accounts.service.today", lambda tz: day)


async def carried_card(client, user):
    """The card of `a_card`, 5,000 of its 14,000 paid on 1 Mar, ₹3,000 bought on 18 Mar; and
    the 15 Mar statement's (interest, GST, total due): 14,000 - 5,000 paid; interest from
    each purchase's date (not paid in full by 7 Mar):
    10,000 x 12 + 15,000 x 4 + 14,000 x 24 + 9,000 x 15 days."""
    card, savings = await a_card(client, user)
    await transfer(client, user, savings["id"], card["id"], 5000, "2025-03-01")
    await expense(client, user, 3000, "2025-03-18", account_id=card["id"])
    moves = {date(2025, 1, 20): 10000, date(2025, 2, 1): 5000, date(2025, 2, 5): -1000}
    moves |= {date(2025, 3, 1): -5000}
    march = expected_interest(date(2025, 1, 20), date(2025, 3, 15), moves)
    march_gst = paise(march * Decimal("0.18"))
    return card, (march, march_gst, 9000 + march + march_gst)


async def test_the_card_billed_and_unbilled_against_its_limit(client, user, monkeypatch):
    card, (march, march_gst, march_due) = await carried_card(client, user)
    on(monkeypatch, date(2025, 3, 20))
    view = await get(client, user, f"/api/accounts/{card['id']}/card")
    last = view["last_statement"]
    assert (last["statement_date"], last["due_date"]) == ("2025-03-15", "2025-04-04")
    assert (last["interest"], last["gst"], last["total_due"]) == (
        float(march),
        float(march_gst),
        float(march_due),
    )
    assert (last["status"], last["days_past_due"], last["remaining_due"]) == (
        "unpaid",
        0,
        float(march_due),
    )
    assert view["current_cycle"] == {
        "from": "2025-03-16",
        "to": "2025-04-15",
        "spent": 3000,
        "refunds": 0,
        "unbilled": 3000,
    }
    billed = march_due
    assert view["outstanding"] == {
        "billed": float(billed),
        "unbilled": 3000,
        "emi_principal_blocked": 0,
    }
    assert view["available_limit"] == float(100000 - billed - 3000)
    assert view["utilisation_percent"] == float(paise((billed + 3000) * 100 / 100000))


async def test_past_due_and_the_next_statements_estimate(client, user, monkeypatch):
    card, (_, _, march_due) = await carried_card(client, user)
    # 10 Apr: 6 days past the 4 Apr due date with the minimum unpaid.
    on(monkeypatch, date(2025, 4, 10))
    view = await get(client, user, f"/api/accounts/{card['id']}/card")
    assert (view["last_statement"]["status"], view["last_statement"]["days_past_due"]) == (
        "overdue",
        6,
    )
    # The next statement, estimated: interest on the carried purchases (9,000: never on the
    # interest and GST billed) and the new 3,000 from 18 Mar, to 15 Apr; the minimum unpaid
    # 3 days after 4 Apr: a late fee by the slab of the march_due (under 10,000): 750.
    april = expected_interest(
        date(2025, 3, 16), date(2025, 4, 15), {date(2025, 3, 16): 9000, date(2025, 3, 18): 3000}
    )
    april_gst = paise((april + 750) * Decimal("0.18"))
    estimate = view["next_statement"]
    assert (estimate["interest"], estimate["late_fee"], estimate["gst"]) == (
        float(april),
        750,
        float(april_gst),
    )
    assert estimate["total_due"] == float(march_due + 3000 + april + 750 + april_gst)
    assert (estimate["estimated"], estimate["statement_date"]) == (True, "2025-04-15")


async def test_the_statement_day_changes_once_the_cycle_in_progress_ends_on_the_old_day(
    client, user, monkeypatch
):
    card, _ = await a_card(client, user)
    on(monkeypatch, date(2025, 2, 10))
    r = await client.put(
        f"/api/accounts/{card['id']}", headers=user.headers, json=card | {"statement_day": 25}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["statement_day"], r.json()["previous_statement_day"]) == (25, 15)
    assert r.json()["statement_day_changed_on"] == "2025-02-10"
    # Once only (RBI, 2024): a second change is refused; sending the same day back is fine.
    r = await client.put(
        f"/api/accounts/{card['id']}", headers=user.headers, json={"statement_day": 5}
    )
    assert (r.status_code, r.json()["code"]) == (422, "statement_day_changed")
    r = await client.put(
        f"/api/accounts/{card['id']}", headers=user.headers, json={"statement_day": 25}
    )
    assert r.status_code == 200, r.text
    on(monkeypatch, date(2025, 4, 1))
    found = await statements(client, user, card["id"])
    # The cycle in progress on 10 Feb ends on the old day (15 Feb); then the 25th.
    assert [(s["period_from"], s["statement_date"]) for s in found] == [
        ("2025-01-20", "2025-02-15"),
        ("2025-02-16", "2025-02-25"),
        ("2025-02-26", "2025-03-25"),
    ]
    # Due dates follow each statement date: 25 Feb + 20 days = 17 Mar.
    assert found[1]["due_date"] == "2025-03-17"
    view = await get(client, user, f"/api/accounts/{card['id']}/card")
    assert (view["current_cycle"]["from"], view["current_cycle"]["to"]) == (
        "2025-03-26",
        "2025-04-25",
    )


async def test_a_short_month_closes_on_its_last_day(client, user, monkeypatch):
    card = await account(client, user, "Card 31", kind="credit_card", statement_day=31)
    await expense(client, user, 100, "2025-01-10", account_id=card["id"])
    on(monkeypatch, date(2025, 5, 2))
    found = await statements(client, user, card["id"])
    assert [s["statement_date"] for s in found] == [
        "2025-01-31",
        "2025-02-28",
        "2025-03-31",
        "2025-04-30",
    ]


async def test_an_imported_statement_is_the_truth_for_its_cycle(client, user, monkeypatch):
    card = await account(client, user, "Card", kind="credit_card", **TERMS)
    savings = await account(client, user, "Savings")
    # The issuer's PDF of the 15 Feb statement: one ₹5,000 purchase on 1 Feb, yet a total due
    # of ₹5,250 (a ₹250 charge our entries do not know about), its own minimum and due date.
    figures = CardFigures(
        statement_date=date(2025, 2, 15),
        due_date=date(2025, 3, 6),
        total_due=Decimal("5250.00"),
        minimum_due=Decimal("500.00"),
        credit_limit=Decimal("100000.00"),
        available_limit=Decimal("94750.00"),
        previous_balance=Decimal("0.00"),
    )
    purchase = Txn(date(2025, 2, 1), "POS AMAZON", debit=Decimal("5000.00"))
    data = card_pdf("hdfc", "4375 XXXX XXXX 5678", [purchase], figures)
    imported = await upload(client, user, data, "card.pdf", account_id=card["id"])
    assert imported["card_summary"]["total_due"] == 5250
    await commit(client, user, imported["id"])
    await transfer(client, user, savings["id"], card["id"], 5250, "2025-03-06")
    await expense(client, user, 700, "2025-03-10", account_id=card["id"])
    on(monkeypatch, date(2025, 3, 20))
    first, second = await statements(client, user, card["id"])
    assert (first["purchases"], first["total_due"], first["minimum_due"]) == (5000, 5250, 500)
    assert (first["due_date"], first["estimated"], first["status"]) == ("2025-03-06", False, "paid")
    # Its total due, paid by its own due date: no interest; the next cycle starts from it.
    assert (second["previous_due"], second["interest"], second["total_due"]) == (5250, 0, 700)
    assert second["estimated"] is True


async def test_two_changes_of_the_statement_day_at_once_one_is_taken(client, user):
    card = await account(client, user, "Card", kind="credit_card", statement_day=15)
    url = f"/api/accounts/{card['id']}"
    answers = await asyncio.gather(
        client.put(url, headers=user.headers, json={"statement_day": 20}),
        client.put(url, headers=user.headers, json={"statement_day": 25}),
    )
    codes = sorted(r.status_code for r in answers)
    assert codes[0] == 200 and codes[1] in (412, 422), [r.text for r in answers]
    taken = next(r.json()["statement_day"] for r in answers if r.status_code == 200)
    stored = await get(client, user, url)
    assert (stored["statement_day"], stored["previous_statement_day"]) == (taken, 15)


async def test_without_an_interest_free_period_interest_runs_from_each_purchase(
    client, user, monkeypatch
):
    terms = TERMS | {"interest_free": False}
    card = await account(client, user, "No grace", kind="credit_card", **terms)
    savings = await account(client, user, "SB")
    await expense(client, user, 6000, "2025-02-01", account_id=card["id"])
    await transfer(client, user, savings["id"], card["id"], 6000, "2025-02-20")
    on(monkeypatch, date(2025, 3, 20))
    first, second = await statements(client, user, card["id"])
    # 6,000 x 15 days (1-15 Feb), billed on 15 Feb; then 6,000 x 4 days (16-19 Feb) on 15 Mar
    # though the total due was paid in full by the due date.
    assert first["interest"] == float(
        expected_interest(date(2025, 2, 1), date(2025, 2, 15), {date(2025, 2, 1): 6000})
    )
    feb = {date(2025, 2, 16): 6000, date(2025, 2, 20): -6000}
    assert second["interest"] == float(expected_interest(date(2025, 2, 16), date(2025, 3, 15), feb))


async def test_an_opening_balance_owed_is_billed_and_statements_paginate(client, user, monkeypatch):
    body = TERMS | {"opening_balance": -5000, "opening_date": "2025-01-01"}
    card = await account(client, user, "Old card", kind="credit_card", **body)
    await expense(client, user, 1000, "2025-01-10", account_id=card["id"])
    on(monkeypatch, date(2025, 3, 1))
    page = await get(client, user, f"/api/accounts/{card['id']}/statements", limit=1)
    # Cycles 1 Jan-15 Jan (5,000 owed + 1,000) and 16 Jan-15 Feb: two closed, newest first.
    assert (page["total"], page["items"][0]["statement_date"]) == (2, "2025-02-15")
    page = await get(client, user, f"/api/accounts/{card['id']}/statements", skip=1, limit=1)
    assert (page["items"][0]["purchases"], page["items"][0]["total_due"]) == (6000, 6000)
    # A card with terms stays a card: made a savings account, its terms are refused.
    r = await client.put(
        f"/api/accounts/{card['id']}", headers=user.headers, json={"kind": "savings"}
    )
    assert (r.status_code, r.json()["code"]) == (422, "not_a_card")
