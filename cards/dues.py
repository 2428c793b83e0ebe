"""A card's dues as expected items of the bills and the forecast (`recurring.service`), read
off its figures (`cards.service.views`): the last statement's remaining due on its due date,
and the next statement's estimated total due on its own (as it closes when the last one is
paid in time). Each is paid by a transfer from the account that paid the card last, into the
card.
"""

from datetime import date

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from cards import store
from cards.service import Card
from core.dates import today
from database import Doc
from security import User


def due_items(card: Card, payer: ObjectId | None, day: date) -> list[Doc]:
    """The card's dues as items on `day`: the last statement's while it is owed, or paid
    with its due date still ahead (a bill shown paid); one past due and unpaid is owed today.
    Then the next statement's estimate (`Card.next_due`)."""
    account, name = card.account, card.account["name"]
    base = {
        "_id": account["_id"],
        "kind": "expense",
        "interval": None,  # one date: a statement's due
        "day_of_month": None,
        "last_date": None,
        "account_id": payer,  # None: paid from an account not known (the total only)
        "card_account_id": account["_id"],  # the transfer's other side
        "category": None,  # the purchases counted in their categories already
        "source": "card",
        "status": "confirmed",
    }
    out = []
    last = card.view.last_statement
    if last is not None and last.total_due > 0:
        paid = last.remaining_due == 0
        if not paid or last.due_date >= day:
            out.append(
                base
                | {
                    "title": f"{name} card bill",
                    "next_date": max(last.due_date, day),
                    "amount_typical": last.total_due if paid else last.remaining_due,
                    "paid": paid,
                }
            )
    if card.next_due > 0:
        out.append(
            base
            | {
                "title": f"{name} card bill (estimate)",
                "next_date": card.view.next_statement.due_date,
                "amount_typical": card.next_due,
                "paid": False,
            }
        )
    return out


async def items(db: AsyncDatabase, user: User, cards: list[Card]) -> list[Doc]:
    """The dues of `cards` (`cards.service.views`), each paid from the account that paid the
    card last: one more query, none without a card."""
    if not cards:
        return []
    payers = await store.payers(db, user.id, [card.account["_id"] for card in cards])
    day = today(user.timezone)
    return [
        item for card in cards for item in due_items(card, payers.get(card.account["_id"]), day)
    ]
