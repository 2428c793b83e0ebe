"""Credit card dues in the bills and the forecast, through HTTP: the last statement's
remaining due on its due date and the next statement's estimate on its own, each a transfer
from the account that paid the card last into the card; paid in full it leaves the forecast;
a card's EMI is billed on its statements, never a second time as a debt's EMI; another
user's card never shows.

Today is 20 Mar 2026 (Asia/Kolkata). The card: statement day 15, 20 due days, interest-free
when paid in full. Its first cycle runs from its first entry (20 Feb) to 15 Mar, due 4 Apr;
the cycle in progress closes on 15 Apr, due 5 May."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

import core.dates
from tests.cards.test_emis import expected_schedule
from tests.factories import account, expense, get, transfer

TODAY = date(2026, 3, 20)
CARD = {"credit_limit": 100000, "statement_day": 15, "due_days": 20}
LAST_DUE, NEXT_DUE = "2026-04-04", "2026-05-05"  # 15 Mar + 20 days, 15 Apr + 20 days


@pytest.fixture
def clock(monkeypatch):
    """Noon of TODAY in Asia/Kolkata (06:30 UTC) for every `today`."""
    monkeypatch.setattr(core.dates, "now_ms", lambda: datetime(2026, 3, 20, 6, 30, tzinfo=UTC))


def f(value) -> float:
    return float(value)


async def a_card_with_a_statement(client, user):
    """Savings (₹1,00,000) and Other bank (₹50,000) from 1 Jan; on the card ₹10,000 bought on
    20 Feb and ₹2,000 on 1 Mar, ₹500 paid from Other bank on 25 Feb and ₹500 from Savings on
    5 Mar (so Savings paid it last), ₹3,000 bought on 18 Mar (the cycle in progress)."""
    opening = {"opening_date": "2026-01-01"}
    savings = await account(client, user, "Savings", opening_balance=100000, **opening)
    other = await account(client, user, "Other bank", opening_balance=50000, **opening)
    card = await account(client, user, "Regalia", kind="credit_card", **CARD)
    await expense(client, user, 10000, "2026-02-20", account_id=card["id"], title="Laptop")
    await expense(client, user, 2000, "2026-03-01", account_id=card["id"], title="Shoes")
    await transfer(client, user, other["id"], card["id"], 500, "2026-02-25")
    await transfer(client, user, savings["id"], card["id"], 500, "2026-03-05")
    await expense(client, user, 3000, "2026-03-18", account_id=card["id"], title="Dinner")
    return savings, other, card


def card_moves(day: dict) -> list[tuple]:
    return [(m["source"], m["account_id"], m["amount"]) for m in day["moves"]]


async def forecast(client, user, days=60):
    found = await get(client, user, "/api/forecast", days=days)
    return {row["date"]: row for row in found["days"]}


async def test_the_card_due_on_its_date_paid_from_the_account_that_paid_it_last(
    client, user, other_user, clock
):
    savings, other, card = await a_card_with_a_statement(client, user)
    # The 15 Mar statement: 10,000 + 2,000 bought less 500 + 500 paid = 11,000, due 4 Apr.
    # The next one, the 11,000 paid in full by 4 Apr: only the 3,000 of 18 Mar (no interest,
    # no late fee, nothing carried), due 5 May.
    last_due, next_due = Decimal(11000), Decimal(3000)
    bills = await get(client, user, "/api/bills/upcoming", days=60)
    dues = [(b["title"], b["source"], b["date"], b["amount"], b["paid"]) for b in bills["items"]]
    assert dues == [
        ("Regalia card bill", "card", LAST_DUE, f(last_due), False),
        ("Regalia card bill (estimate)", "card", NEXT_DUE, f(next_due), False),
    ]
    assert {b["account_id"] for b in bills["items"]} == {savings["id"]}  # paid from Savings
    assert {b["category"] for b in bills["items"]} == {None}  # no budget counts it again
    assert bills["total"] == f(last_due + next_due)

    days = await forecast(client, user)
    # Balances today: Savings 1,00,000 - 500; Other bank 50,000 - 500; the card owes
    # 12,000 + 3,000 - 1,000 = 14,000. Each due moves Savings down and the card up by as much.
    opening = {savings["id"]: Decimal(99500), other["id"]: Decimal(49500), card["id"]: -14000}
    total = sum(opening.values())
    assert card_moves(days[LAST_DUE]) == [
        ("card", savings["id"], -f(last_due)),
        ("card", card["id"], f(last_due)),
    ]
    assert days[LAST_DUE]["accounts"] == {
        savings["id"]: f(opening[savings["id"]] - last_due),
        other["id"]: f(opening[other["id"]]),
        card["id"]: f(opening[card["id"]] + last_due),
    }
    assert days[NEXT_DUE]["accounts"][savings["id"]] == f(99500 - last_due - next_due)
    assert days[NEXT_DUE]["accounts"][card["id"]] == f(-14000 + last_due + next_due)
    # A transfer between the user's accounts: the total does not move.
    assert {row["balance"] for row in days.values()} == {f(total)}
    # Savings alone: its lowest point is after the second due.
    alone = await get(client, user, "/api/forecast", days=60, account_id=savings["id"])
    assert alone["lowest"] == {"date": NEXT_DUE, "balance": f(99500 - last_due - next_due)}

    # The dashboard's next 30 days (to 19 Apr): the 4 Apr due, Savings' low point after it.
    board = await get(client, user, "/api/dashboard")
    assert [(b["title"], b["date"], b["amount"]) for b in board["upcoming_bills"]] == [
        ("Regalia card bill", LAST_DUE, f(last_due))
    ]
    assert board["lowest_balance"] == {"date": str(TODAY), "balance": f(total)}

    # Another user sees none of it.
    theirs = await get(client, other_user, "/api/bills/upcoming", days=60)
    assert theirs["items"] == []
    their_days = await get(client, other_user, "/api/forecast", days=60)
    assert all(row["moves"] == [] for row in their_days["days"])


async def test_paid_in_full_the_due_leaves_the_forecast_and_the_bill_shows_paid(
    client, user, clock
):
    savings, other, card = await a_card_with_a_statement(client, user)
    # 11,000 paid from Other bank on 19 Mar: the 15 Mar statement's remaining due is 0.
    other_id = other["id"]
    await transfer(client, user, other_id, card["id"], 11000, "2026-03-19")
    bills = await get(client, user, "/api/bills/upcoming", days=60)
    dues = [(b["date"], b["amount"], b["paid"], b["account_id"]) for b in bills["items"]]
    # The paid bill (its total due, 11,000) is shown paid; the next estimate is still the
    # 3,000 of 18 Mar; both now paid from Other bank, the card's latest payer.
    assert dues == [(LAST_DUE, 11000, True, other_id), (NEXT_DUE, 3000, False, other_id)]
    assert bills["total"] == 3000
    days = await forecast(client, user)
    assert days[LAST_DUE]["moves"] == []
    assert card_moves(days[NEXT_DUE]) == [("card", other_id, -3000), ("card", card["id"], 3000)]
    assert savings["id"] in days[LAST_DUE]["accounts"]


async def test_past_due_and_unpaid_the_due_is_owed_today(client, user, monkeypatch):
    """On 10 Apr the 4 Apr due is unpaid: it is owed today, in bills and the forecast."""
    monkeypatch.setattr(core.dates, "now_ms", lambda: datetime(2026, 3, 20, 6, 30, tzinfo=UTC))
    savings, _, card = await a_card_with_a_statement(client, user)
    monkeypatch.setattr(core.dates, "now_ms", lambda: datetime(2026, 4, 10, 6, 30, tzinfo=UTC))
    # The window (to 20 Apr) ends before the next due (5 May): the 11,000 only, today.
    bills = await get(client, user, "/api/bills/upcoming", days=10)
    assert [(b["date"], b["amount"], b["paid"]) for b in bills["items"]] == [
        ("2026-04-10", 11000, False)
    ]
    days = await forecast(client, user, days=10)
    assert card_moves(days["2026-04-10"]) == [
        ("card", savings["id"], -11000),
        ("card", card["id"], 11000),
    ]


async def test_a_card_emi_is_billed_on_the_card_only(client, user, clock):
    """₹12,000 booked on EMI on 20 Feb at 15 % over 6 months, no fee: its first instalment is
    on the 15 Mar statement, its second on 15 Apr's; no debt EMI beside them."""
    card = await account(client, user, "Regalia", kind="credit_card", **CARD)
    body = {"amount": 12000, "date": "2026-02-20", "annual_rate": 15, "tenure_months": 6}
    r = await client.post(f"/api/accounts/{card['id']}/emis", headers=user.headers, json=body)
    assert r.status_code == 201, r.text
    _, rows = expected_schedule(12000, 15, 6)  # (principal, interest, gst, billed, balance)
    bills = await get(client, user, "/api/bills/upcoming", days=60)
    assert [(b["source"], b["date"], b["amount"]) for b in bills["items"]] == [
        ("card", LAST_DUE, f(rows[0][3])),
        ("card", NEXT_DUE, f(rows[1][3])),
    ]
    # Never paid into: no account to pay from, so the outflow counts in the total only.
    days = await forecast(client, user)
    assert card_moves(days[LAST_DUE]) == [
        ("card", None, -f(rows[0][3])),
        ("card", card["id"], f(rows[0][3])),
    ]
    assert all(m["source"] != "debt" for row in days.values() for m in row["moves"])


async def test_a_card_due_the_paying_account_cannot_cover_is_warned_of_once(client, user, clock):
    """Savings holds ₹5,000 (opening) and pays the card; the 15 Mar statement's ₹10,000 is
    due on 4 Apr (inside the watch's 30 days)."""
    opening = {"opening_date": "2026-01-01"}
    savings = await account(client, user, "Savings", opening_balance=5000, **opening)
    card = await account(client, user, "Regalia", kind="credit_card", **CARD)
    await expense(client, user, 10100, "2026-02-20", account_id=card["id"], title="Laptop")
    await transfer(client, user, savings["id"], card["id"], 100, "2026-03-01")
    for _ in range(2):  # the watch runs with detection; the second run warns no more
        r = await client.post("/api/recurring/detect", headers=user.headers)
        assert r.status_code == 200, r.text
    page = await get(client, user, "/api/notifications", limit=100)
    found = [n["message"] for n in page["items"] if n["title"] == "Card bill at risk"]
    # Savings: 5,000 - 100 paid on 1 Mar = 4,900; less the 10,000 due = -5,100.
    assert found == [
        "Your balance may not cover Regalia card bill of ₹10,000.00 on 2026-04-04: "
        "-₹5,100.00 projected"
    ]
