"""Card EMI workflows: converting a purchase (or an amount) into instalments, a card's EMIs
and one with its schedule, and a foreclosure. An EMI is a debt of type `credit_card` linked
to its card (`card_account_id`), stored through the loans' one way in
(`loans.service.insert_debt`); its figures are `cards.emis`."""

from datetime import date, timedelta

import anyio
from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from cards import emi_store
from cards.emis import CardEmi, blocked, cost, first_statement, foreclose, plan
from cards.rules import Terms, next_statement_date
from cards.service import owned_card
from core.dates import as_day, now_ms, today
from core.errors import Conflict, ErrorCode, NotFound, Unprocessable
from core.idempotency import request_digest, write_once
from core.money import quantize
from database import Doc, get_owned, in_transaction, update_stamped
from loans.debt import new_debt
from loans.service import insert_debt
from schemas import (
    CardEmiCreate,
    CardEmiDetail,
    CardEmiOut,
    ForecloseCreate,
    ForeclosureOut,
    InstalmentOut,
    Page,
    PageParams,
)
from security import User

FUTURE_SLACK = timedelta(days=1)  # a device in a zone ahead of the profile's


def _booking_day(sent: date | None, now: date) -> date:
    if sent is None:
        return now
    if sent > now + FUTURE_SLACK:
        raise Unprocessable(
            "date cannot be in the future", code=ErrorCode.invalid_range, loc=("body", "date")
        )
    return sent


async def _purchase(
    db: AsyncDatabase, user_id: ObjectId, card: Doc, expense_id: str, day: date
) -> Doc:
    """The user's expense on this card, made on or before the booking day."""
    expense = await get_owned(db.expenses, expense_id, user_id, "expense")
    if expense.get("account_id") != card["_id"]:
        raise Unprocessable(
            "This expense was not made with this card",
            code=ErrorCode.expense_not_on_card,
            loc=("body", "expense_id"),
        )
    if as_day(expense["date"]) > day:
        raise Unprocessable(
            "date is before the purchase", code=ErrorCode.invalid_range, loc=("body", "date")
        )
    return expense


def _emi_doc(user: User, card: Doc, values: Doc, day: date, expense: Doc | None) -> Doc:
    """The EMI's debt document: the loans' own (`new_debt`: its reducing-balance EMI, due on
    the card's statement dates from the first one), with the card's link and its terms."""
    amount = quantize(expense["amount"]) if expense else values["amount"]
    first_due = first_statement(Terms.of(card), day)
    debt = new_debt(
        ObjectId(),
        user.id,
        {
            "name": f"EMI: {expense['title']}" if expense else f"{card['name']} EMI",
            "debt_type": "credit_card",
            "principal": amount,
            "interest_rate": values["annual_rate"],
            "tenure_months": values["tenure_months"],
            "start_date": day,
            "next_payment_date": first_due,
        },
    )
    booked = {
        "amount": amount,
        "annual_rate": values["annual_rate"],
        "tenure_months": values["tenure_months"],
        "processing_fee": values["processing_fee"],
        "no_cost": values["no_cost"],
        "booked_on": day,
        "first_due": first_due,
    }
    if expense is not None:
        booked |= {"expense_id": expense["_id"], "converted": True}
    return debt | {"card_account_id": card["_id"], "card_emi": booked}


async def create(
    db: AsyncDatabase, user: User, card_id: str, body: CardEmiCreate, key: str | None = None
) -> tuple[CardEmiDetail, bool]:
    """(the EMI the purchase (or amount) on the user's card became, whether it replays an
    earlier request with this Idempotency-Key); a purchase converts once. A replay answers
    the EMI as it stands now."""
    card = await owned_card(db, user.id, card_id)
    values = body.values(user.timezone)
    day = _booking_day(values["date"], today(user.timezone))
    expense = None
    if body.expense_id is not None:
        expense = await _purchase(db, user.id, card, body.expense_id, day)
    doc = _emi_doc(user, card, values, day, expense)

    async def work(session: AsyncClientSession) -> Doc:
        # A concurrent conversion of the same purchase is a duplicate key, tried again here.
        if expense is not None and await emi_store.converting(db, user.id, expense["_id"], session):
            raise _converted()
        return {"id": str((await insert_debt(db, doc, session))["_id"])}

    digest = request_digest("card_emis", body)
    answer, replayed = await write_once(db, user.id, key, digest, work)
    return await one(db, user, card_id, answer["id"]), replayed


def _converted() -> Conflict:
    return Conflict("This purchase is already an EMI", code=ErrorCode.expense_converted)


def _foreclosure_out(terms: Terms, found: CardEmi) -> ForeclosureOut | None:
    closed = found.foreclosure
    if closed is None:
        return None
    return ForeclosureOut(
        date=closed.on,
        statement_date=next_statement_date(terms, closed.on - timedelta(days=1)),
        fee_percent=closed.fee_percent,
        principal=closed.principal,
        fee=closed.fee,
        gst=closed.gst,
        total=closed.total,
    )


def summary(terms: Terms, doc: Doc, day: date) -> CardEmiOut:
    """The EMI as the card shows it on `day`."""
    return CardEmiOut(**_summary_fields(terms, CardEmi.of(doc), doc, day))


def _summary_fields(terms: Terms, found: CardEmi, doc: Doc, day: date) -> dict:
    rows = plan(terms, found)
    spent = cost(found, rows)
    billed = sum(1 for r in rows if r.statement_date <= day)
    state = "foreclosed" if found.foreclosure else "active" if billed < len(rows) else "billed"
    return {
        "id": found.id,
        "card_account_id": doc["card_account_id"],
        "expense_id": found.expense_id,
        "name": doc["name"],
        "amount": found.amount,
        "date": found.booked_on,
        "annual_rate": found.annual_rate,
        "tenure_months": found.tenure_months,
        "monthly_emi": found.monthly_emi,
        "processing_fee": found.processing_fee,
        "processing_fee_gst": found.fee_gst,
        "no_cost": found.no_cost,
        "status": state,
        "first_statement_date": found.first_due,
        "instalments_billed": billed,
        "principal_blocked": blocked(terms, found, day),
        "interest": spent.interest,
        "discount": spent.discount,
        "gst": spent.gst,
        "payable": spent.payable,
        "true_cost": spent.true_cost,
        "foreclosure": _foreclosure_out(terms, found),
        "created_at": doc["created_at"],
    }


def detail(terms: Terms, doc: Doc, day: date) -> CardEmiDetail:
    """The EMI with its schedule, each instalment billed or not on `day`."""
    found = CardEmi.of(doc)
    schedule = [
        InstalmentOut(
            number=r.number,
            due_date=r.due_date,
            statement_date=r.statement_date,
            principal=r.principal,
            interest=r.interest,
            discount=r.discount,
            gst=r.gst,
            amount=r.amount,
            balance=r.balance,
            billed=r.statement_date <= day,
        )
        for r in plan(terms, found)
    ]
    return CardEmiDetail(**_summary_fields(terms, found, doc, day), schedule=schedule)


async def emis_of(
    db: AsyncDatabase, user: User, card_id: str, params: PageParams
) -> Page[CardEmiOut]:
    """The card's EMIs, newest first."""
    card = await owned_card(db, user.id, card_id)
    terms, day = Terms.of(card), today(user.timezone)
    found, total = await emi_store.page(db, user.id, card["_id"], params)
    # Each EMI's schedule worked out (up to 120 instalments each): off the event loop.
    items = await anyio.to_thread.run_sync(lambda: [summary(terms, doc, day) for doc in found])
    return Page[CardEmiOut](items=items, total=total, skip=params.skip, limit=params.limit)


async def one(db: AsyncDatabase, user: User, card_id: str, emi_id: str) -> CardEmiDetail:
    card = await owned_card(db, user.id, card_id)
    doc = await emi_store.one(db, user.id, card["_id"], emi_id)
    if doc is None:
        raise NotFound("emi")
    return detail(Terms.of(card), doc, today(user.timezone))


async def foreclose_emi(
    db: AsyncDatabase, user: User, card_id: str, emi_id: str, body: ForecloseCreate
) -> CardEmiDetail:
    """Foreclose the EMI: what is left of its principal, the fee and its GST billed on the
    next statement, nothing blocked any more, its debt closed."""
    card = await owned_card(db, user.id, card_id)
    terms, now = Terms.of(card), today(user.timezone)
    day = _booking_day(body.values(user.timezone)["date"], now)

    async def work(session: AsyncClientSession) -> Doc:
        doc = await emi_store.one(db, user.id, card["_id"], emi_id, session)
        if doc is None:
            raise NotFound("emi")
        closed = foreclose(terms, CardEmi.of(doc), day, body.fee_percent)
        fields = {
            "foreclosure": {
                "on": closed.on,
                "fee_percent": closed.fee_percent,
                "principal": closed.principal,
                "fee": closed.fee,
                "gst": closed.gst,
            },
            "status": "closed",
            "next_payment_date": None,
            "updated_at": now_ms(),
        }
        query = {"_id": doc["_id"], "user_id": user.id, "foreclosure": None}
        written = await update_stamped(db.debts, user.id, query, {"$set": fields}, session)
        if written is None:  # foreclosed by a concurrent request in between
            raise Conflict("This EMI is already foreclosed", code=ErrorCode.emi_closed)
        return written

    return detail(terms, await in_transaction(db, work), now)
