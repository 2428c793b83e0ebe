"""The dashboard's cards block through HTTP: every card with a statement day added up (billed,
unbilled, the soonest due date and what is owed on it, utilisation against the limits); a card
without a statement day and someone else's card left out."""

from datetime import date
from decimal import Decimal

from tests.cards.test_cards import carried_card, on, paise
from tests.factories import account, expense, get


async def test_the_dashboard_adds_up_the_cards(client, user, other_user, monkeypatch):
    card, (_, _, march_due) = await carried_card(client, user)
    # A second card: ₹2,000 bought on 10 Mar, its first statement on 15 Mar (no earlier
    # statement: no interest), due 4 Apr like the first.
    amex = await account(
        client, user, "Amex", kind="credit_card", credit_limit=50000, statement_day=15
    )
    await expense(client, user, 2000, "2025-03-10", account_id=amex["id"])
    # Left out: a card with no statement day (no cycles), and another user's card.
    await account(client, user, "No terms", kind="credit_card")
    theirs = await account(
        client, other_user, "Theirs", kind="credit_card", credit_limit=1000, statement_day=15
    )
    await expense(client, other_user, 900, "2025-03-10", account_id=theirs["id"])
    on(monkeypatch, date(2025, 3, 20))
    cards = (await get(client, user, "/api/dashboard"))["cards"]
    # Billed: the first card's 15 Mar total due (interest and GST included) + Amex's 2,000;
    # unbilled: the first card's ₹3,000 bought on 18 Mar.
    billed = march_due + 2000
    assert (cards["cards"], cards["billed"], cards["unbilled"]) == (2, float(billed), 3000)
    # Both statements are due on 4 Apr (15 Mar + 20 days): what both still owe.
    assert (cards["next_due_date"], cards["next_due_amount"]) == ("2025-04-04", float(billed))
    # Used: billed + unbilled, of the limits 1,00,000 + 50,000.
    assert cards["credit_limit"] == 150000
    assert cards["utilisation_percent"] == float(paise((billed + 3000) * 100 / Decimal(150000)))
    # Theirs shows only on theirs: its 900 of 10 Mar billed on 15 Mar, 900 / 1,000 used.
    their_cards = (await get(client, other_user, "/api/dashboard"))["cards"]
    assert (their_cards["cards"], their_cards["billed"], their_cards["unbilled"]) == (1, 900, 0)
    assert their_cards["utilisation_percent"] == 90
    assert card["id"] != theirs["id"]


async def test_no_cards_an_empty_block(client, user):
    cards = (await get(client, user, "/api/dashboard"))["cards"]
    assert cards == {
        "cards": 0,
        "billed": 0,
        "unbilled": 0,
        "next_due_date": None,
        "next_due_amount": None,
        "credit_limit": None,
        "utilisation_percent": None,
    }
