"""A card's EMIs as the debts collection keeps them: each a debt of type `credit_card` with
the card's id (`card_account_id`), its terms as booked (`card_emi`) and its foreclosure."""

from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from database import Doc, object_id
from schemas import PageParams

NEWEST_FIRST = [("created_at", -1), ("_id", -1)]
# The debts paid as loans: a card EMI's instalments are billed on its card's statements, so
# they are reminded of and forecast in the card's dues, not as an EMI of their own.
PAID_AS_LOANS = {"card_account_id": None}


def _of_card(user_id: ObjectId, card_id: ObjectId) -> Doc:
    return {"user_id": user_id, "card_account_id": card_id}


async def of_card(db: AsyncDatabase, user_id: ObjectId, card_id: ObjectId) -> list[Doc]:
    """Every EMI of the card, whatever its status: a closed one's billed lines stay on the
    card's statements."""
    return await db.debts.find(_of_card(user_id, card_id)).to_list(None)


async def page(
    db: AsyncDatabase, user_id: ObjectId, card_id: ObjectId, params: PageParams
) -> tuple[list[Doc], int]:
    """One page of the card's EMIs, newest first, and how many there are."""
    query = _of_card(user_id, card_id)
    total = await db.debts.count_documents(query)
    found = db.debts.find(query).sort(NEWEST_FIRST).skip(params.skip).limit(params.limit)
    return await found.to_list(None), total


async def one(
    db: AsyncDatabase,
    user_id: ObjectId,
    card_id: ObjectId,
    emi_id: str,
    session: AsyncClientSession | None = None,
) -> Doc | None:
    """The card's EMI with that id (None: not one of the user's EMIs on this card)."""
    oid = object_id(emi_id)
    if oid is None:
        return None
    query: dict[str, Any] = {"_id": oid, **_of_card(user_id, card_id)}
    return await db.debts.find_one(query, session=session)


async def converting(
    db: AsyncDatabase, user_id: ObjectId, expense_id: ObjectId, session: AsyncClientSession
) -> Doc | None:
    """The EMI a purchase was converted into, if any (a purchase converts once)."""
    query = {"user_id": user_id, "card_emi.expense_id": expense_id}
    return await db.debts.find_one(query, {"_id": 1}, session=session)
