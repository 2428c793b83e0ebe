"""Credit card workflows: a card's statements (every cycle closed from its entries, or as an
imported statement prints it), the cycle in progress and the statement it will close with,
and what is outstanding against the limit (its EMIs' principal not billed yet blocked)."""

import asyncio
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

import anyio
from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from accounts import store as accounts_store
from cards import emi_store, store
from cards.emis import CardEmi, with_emis
from cards.rules import Ledger, Terms
from cards.statements import Statement, next_due_when_paid, statements, status
from core.dates import as_day, today
from core.errors import ErrorCode, Unprocessable
from core.money import ZERO, percent, quantize
from database import Doc
from schemas import Page, PageParams
from schemas.cards import CardOut, CurrentCycle, NextStatement, Outstanding, StatementOut
from security import User

CARDS_READ = 20  # the dashboard and the card dues read at most this many cards


async def owned_card(db: AsyncDatabase, user_id: ObjectId, account_id: str) -> Doc:
    """The user's credit card account (404 when not theirs, 422 for another kind)."""
    account = await accounts_store.owned(db, user_id, account_id)
    if account["kind"] != "credit_card":
        raise Unprocessable(
            "This account is not a credit card (kind: credit_card)", code=ErrorCode.not_a_card
        )
    return account


def _with_opening(account: Doc, ledger: Ledger) -> Ledger:
    """The opening balance as the card's first entry: owed (negative) a purchase on the
    opening date, in credit a refund."""
    opening = quantize(account.get("opening_balance") or ZERO)
    day = account.get("opening_date")
    if opening == 0 or day is None:
        return ledger
    kind = ledger.purchases if opening < 0 else ledger.refunds
    kind[as_day(day)] = kind.get(as_day(day), ZERO) + abs(opening)
    return ledger


async def _worked_out(
    db: AsyncDatabase, user: User, account: Doc, now: date | None = None
) -> tuple[Terms, Ledger, list[Statement], date]:
    """(terms, ledger, every statement up to the cycle in progress (the last), the day it
    is: `now`, default the user's today)."""
    terms = Terms.of(account)
    ledger = _with_opening(account, await store.ledger(db, user.id, account["_id"]))
    emis = [CardEmi.of(doc) for doc in await emi_store.of_card(db, user.id, account["_id"])]
    ledger = await anyio.to_thread.run_sync(with_emis, terms, ledger, emis)  # their schedules
    printed = await store.printed(db, user.id, account["_id"])
    now = now or today(user.timezone)
    firsts = [ledger.first_day(), *(p.statement_date for p in printed[:1])]
    first = min([day for day in firsts if day is not None], default=now)
    # A pass over every day of the card's history: off the event loop.
    found = await anyio.to_thread.run_sync(statements, terms, ledger, min(first, now), now, printed)
    return terms, ledger, found, now


def _figures(statement: Statement, model: type) -> dict:
    """The statement's figures a response `model` shows, its dates named."""
    named = asdict(statement) | {
        "period_from": statement.cycle[0],
        "statement_date": statement.cycle[1],
    }
    return {name: value for name, value in named.items() if name in model.model_fields}


def _statement_out(ledger: Ledger, statement: Statement, now: date) -> StatementOut:
    return StatementOut(**_figures(statement, StatementOut), **status(ledger, statement, now))


async def statements_of(
    db: AsyncDatabase, user: User, account_id: str, page: PageParams
) -> Page[StatementOut]:
    """The card's closed statements, newest first."""
    account = await owned_card(db, user.id, account_id)
    _, ledger, found, now = await _worked_out(db, user, account)
    closed = found[-2::-1]
    shown = closed[page.skip : page.skip + page.limit]
    items = [_statement_out(ledger, s, now) for s in shown]
    return Page[StatementOut](items=items, total=len(closed), skip=page.skip, limit=page.limit)


def _unbilled(ledger: Ledger, current: Statement, now: date) -> Decimal:
    """The cycle in progress so far: purchases less refunds and purchases converted into
    EMIs, with what its EMIs posted up to today (fees, a foreclosure; an instalment on its
    statement day)."""
    posted = ledger.sum("emi", (current.cycle[0], now))
    return current.purchases - current.refunds - current.converted + posted


def _outstanding(ledger: Ledger, last: Statement | None, current: Statement, now: date):
    """(billed, unbilled): the last statement's total due not yet paid, and the cycle in
    progress less what was paid beyond the billed; a purchase billed and then converted
    into an EMI is a credit of the cycle in progress beyond its purchases, which lowers
    what is billed."""
    unbilled = _unbilled(ledger, current, now)
    if last is None:
        return ZERO, max(unbilled - current.payments, ZERO)
    paid = status(ledger, last, now)["paid"]
    billed = max(last.total_due - paid, ZERO)
    credit = min(max(-unbilled, ZERO), current.converted)
    return max(billed - credit, ZERO), max(unbilled - max(paid - last.total_due, ZERO), ZERO)


async def card(db: AsyncDatabase, user: User, account_id: str) -> CardOut:
    return await view(db, user, await owned_card(db, user.id, account_id))


async def view(db: AsyncDatabase, user: User, account: Doc, now: date | None = None) -> CardOut:
    """The card view of a credit card account with its terms set, on the day `now` (default
    the user's today: the reminders pass its own)."""
    terms, ledger, found, now = await _worked_out(db, user, account, now)
    return _card_out(terms, ledger, found, now)


def _card_out(terms: Terms, ledger: Ledger, found: list[Statement], now: date) -> CardOut:
    current, last = found[-1], (found[-2] if len(found) > 1 else None)
    billed, unbilled = _outstanding(ledger, last, current, now)
    blocked = ledger.blocked_after(now)
    used = billed + unbilled + blocked
    limit = quantize(terms.credit_limit) if terms.credit_limit is not None else None
    return CardOut(
        current_cycle=CurrentCycle(
            from_=current.cycle[0],
            to=current.cycle[1],
            spent=current.purchases,
            refunds=current.refunds,
            unbilled=_unbilled(ledger, current, now),
        ),
        last_statement=_statement_out(ledger, last, now) if last else None,
        next_statement=NextStatement(**_figures(current, NextStatement)),
        outstanding=Outstanding(billed=billed, unbilled=unbilled, emi_principal_blocked=blocked),
        credit_limit=limit,
        available_limit=limit - used if limit is not None else None,
        utilisation_percent=percent(used, limit) if limit else None,
    )


@dataclass(frozen=True)
class Card:
    account: Doc
    view: CardOut
    next_due: Decimal  # the next statement's total due, the last one paid on its due date


async def _card(db: AsyncDatabase, user: User, account: Doc) -> Card:
    terms, ledger, found, now = await _worked_out(db, user, account)
    next_due = await anyio.to_thread.run_sync(next_due_when_paid, terms, ledger, found, now)
    return Card(account, _card_out(terms, ledger, found, now), next_due)


async def views(db: AsyncDatabase, user: User) -> list[Card]:
    """Each of the user's cards with a statement day, oldest first, with its view and the
    next statement's due when the last one is paid in time: one query for the cards, then
    each card's figures concurrently."""
    accounts = await store.with_terms(db, user.id, CARDS_READ)
    return list(await asyncio.gather(*(_card(db, user, account) for account in accounts)))
