"""The bills still expected in a budget's category this month, and the dashboard's look
ahead (the unpaid bills of the next 30 days, the lowest projected balance in them), on the
18-month ledger of tests/recurring/ledger.py with today 10 June 2026."""

from decimal import Decimal

from tests.factories import budget, get
from tests.recurring.test_detection import clock, detect, items_by_title, money, seeded

__all__ = ["clock"]  # the fixture, used by name


async def test_budget_status_shows_the_bills_still_expected_this_month(client, db, user, clock):
    await seeded(client, db, user)
    await detect(client, user)
    await budget(client, user, "bills", 100000)
    await budget(client, user, "travel", 5000)
    power = (await items_by_title(client, user))["BESCOM Electricity"]
    status = await get(client, user, "/api/budgets/status")
    lines = {line["category"]: line for line in status["items"]}
    # Every ledger expense is in "bills". From 10 to 30 June only electricity (about the
    # 20th) is still to come: broadband's June bill (the 12th) was paid on the 10th, and
    # rent, the SIP and Netflix come again in July.
    assert lines["bills"]["bills_expected"] == power["expected_amount"]["typical"]
    assert lines["travel"]["bills_expected"] == 0


async def test_dashboard_lists_upcoming_bills_and_the_lowest_balance(client, db, user, clock):
    _, book = await seeded(client, db, user)
    await detect(client, user)
    await budget(client, user, "bills", 100000)
    power = (await items_by_title(client, user))["BESCOM Electricity"]
    elec = Decimal(str(power["expected_amount"]["typical"]))
    board = await get(client, user, "/api/dashboard")
    # Unpaid within 30 days (to 10 July), soonest first; broadband's June bill is paid.
    assert [(b["title"], b["date"], b["amount"]) for b in board["upcoming_bills"]] == [
        ("BESCOM Electricity", power["next_date"], money(elec)),
        ("Rent", "2026-07-01", 25000),
        ("Zerodha SIP", "2026-07-05", 5000),
        ("NETFLIX.COM", "2026-07-07", 799),
    ]
    # Today's balance: the opening 5,00,000 plus every salary less every expense so far.
    # The lowest point is after electricity: the salary of 30 June (1,50,000) comes before
    # July's rent, SIP and Netflix (30,799 together).
    opening = (
        Decimal(500000) + sum(a for _, _, a in book.income) - sum(a for _, _, a in book.expenses)
    )
    assert board["lowest_balance"] == {
        "date": power["next_date"],
        "balance": money(opening - elec),
    }
    assert board["budgets"]["items"][0]["bills_expected"] == money(elec)


async def test_dashboard_without_accounts_or_bills(client, user):
    board = await get(client, user, "/api/dashboard")
    assert board["upcoming_bills"] == []
    assert board["lowest_balance"]["balance"] == 0
