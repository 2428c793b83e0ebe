"""Recurring items' workflows: detection (every payee on request, or the payees that entry
writes queued, run by the worker in `recurring.jobs`), the items a user adds and edits, the
bills coming up, and the notifications an item calls for (a new subscription, a price change,
a bill missed, income late), each once."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import anyio
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from accounts import store as accounts
from cards.dues import items as card_dues
from cards.service import Card
from cards.service import views as card_views
from core.dates import month_end, now_ms, today
from core.idempotency import create_once
from core.sync import Expected, owned, stamp
from database import Doc, delete_owned, get_owned, in_transaction, update_owned
from recurring import forecast as projection
from recurring import rules, store, watch
from recurring.store import COLLECTION, Group
from schemas import (
    DetectOut,
    Forecast,
    ForecastDay,
    ForecastMove,
    LowPoint,
    RecurringCreate,
    RecurringOut,
    RecurringUpdate,
    UpcomingBill,
    UpcomingBills,
)
from security import User

ENTITY = "recurring_item"
# Figures detection keeps current on a detected item the user has not edited.
DETECTED = ("interval", "day_of_month", "amount_min", "amount_max", "amount_typical")


def item_out(doc: Doc, day: date) -> RecurringOut:
    return RecurringOut.of(doc, day)


# ---------------------------------------------------------------- detection


def _decide(groups: list[Group], day: date) -> list[tuple[Group, rules.Detected | None]]:
    return [(group, rules.detect(group.occurrences, day)) for group in groups]


async def detect(db: AsyncDatabase, user: User, payees: set[str] | None = None) -> DetectOut:
    """Detect the user's recurring items, or (with `payees`) only those of the payees named,
    from the entries of the last HISTORY_MONTHS: grouped in the database, decided in a
    worker thread, written only where a figure changed. Dismissed items keep their status;
    items the user added or edited keep their figures and only learn their latest entry.
    Then the balance watch (`recurring.watch`)."""
    day = today(user.timezone)
    groups = []
    for kind in store.ENTRIES:
        groups += await store.grouped(db, user.id, kind, rules.history_start(day), payees)
    decided = await anyio.to_thread.run_sync(_decide, groups, day)
    known = {
        store.item_key(doc): doc
        for doc in await store.items(db, user.id)
        if payees is None or doc["payee"] in payees
    }
    found = new = 0
    for group, result in decided:
        doc = known.pop(group.key, None)
        if result is None and doc is None:
            continue
        if doc is None:
            doc, changed = await _insert(db, user, group, result), True
            new += 1
        else:
            before = doc
            doc = await _refresh(db, user, doc, group, result)
            changed = doc is not before
        found += 1
        await _notify(db, user, doc, result, day, changed=changed)
    for doc in known.values():
        await _notify(db, user, doc, None, day, changed=False)
    items = await expected_items(db, user)
    if watch.watching(user, items):  # the balances are read only when there is a use for them
        _, ahead = await _projected(db, user, items, watch.WATCH_DAYS, None)
        await watch.warn(db, user, ahead)
    else:
        await store.close_episode(db, user.id, watch.LOW_BALANCE)
    return DetectOut(found=found, new=new)


async def _insert(db: AsyncDatabase, user: User, group: Group, found: rules.Detected) -> Doc:
    values = {
        "title": group.title,
        "payee": group.payee,
        "account_id": group.account_id,
        "category": group.category,
        "kind": group.kind,
        "status": "suggested",
        "source": "detected",
        **{k: v for k, v in found.fields().items() if k != "previous_amount"},
    }
    doc = store.item_document(user.id, values, now_ms())

    async def work(session: AsyncClientSession) -> Doc:
        doc["sync_seq"] = await stamp(db, user.id, session)
        await db[COLLECTION].insert_one(doc, session=session)
        return doc

    return await in_transaction(db, work)


async def _refresh(
    db: AsyncDatabase, user: User, doc: Doc, group: Group, found: rules.Detected | None
) -> Doc:
    """The item with what its entries now say; written (a new version) only if that moved."""
    item = store.as_days([doc])[0]
    last = max(day for day, _ in group.occurrences)
    changes: Doc = {"last_date": last, "occurrences": len(group.occurrences)}
    if found is not None and doc["source"] == "detected" and not doc.get("pinned"):
        changes |= {name: getattr(found, name) for name in (*DETECTED, "next_date")}
    elif rules.is_paid(item["next_date"], item["interval"], last):
        anchor = item["day_of_month"]
        period = rules.period_date(last, item["interval"], anchor)
        changes["next_date"] = rules.advance(period, item["interval"], anchor)
    if all(item.get(name) == value for name, value in changes.items()):
        return doc

    async def work(session: AsyncClientSession) -> Doc:
        seq = await stamp(db, user.id, session)
        update = {"$set": changes | {"updated_at": now_ms(), "sync_seq": seq}}
        query = owned(doc["_id"], user.id)
        return await db[COLLECTION].find_one_and_update(
            query, update, return_document=True, session=session
        )

    return await in_transaction(db, work)


async def _notify(
    db: AsyncDatabase,
    user: User,
    doc: Doc,
    found: rules.Detected | None,
    day: date,
    *,
    changed: bool,
) -> None:
    """The notifications an item calls for now, each once (a unique record decides)."""
    item = store.as_days([doc])[0]
    events = rules.alerts(item, found if changed else None, day, user.currency)
    for key, title, message in events:
        url = f"/recurring/{doc['_id']}"
        await watch.alert(db, user, (doc["_id"], key), title, message, url)


# ---------------------------------------------------------------- items by hand


async def create_item(
    db: AsyncDatabase, user: User, body: RecurringCreate, key: str | None
) -> tuple[RecurringOut, bool]:
    """(the item added by hand, whether it replays an earlier request with this key)."""
    values = body.values(user.timezone)
    amount = values.pop("amount")
    values |= await accounts.entry_account(db, user.id, body.account_id)
    values |= {
        "payee": rules.payee_key(body.title),
        "day_of_month": values["next_date"].day,
        "amount_min": amount,
        "amount_max": amount,
        "amount_typical": amount,
        "last_date": None,
        "occurrences": 0,
        "status": "confirmed",
        "source": "manual",
    }
    doc = store.item_document(user.id, values, now_ms())

    async def write(session: AsyncClientSession) -> None:
        await db[COLLECTION].insert_one(doc, session=session)

    answer, replayed = await create_once(db, key, body, COLLECTION, doc, RecurringOut, write)
    return await get_item(db, user, answer.id), replayed


async def get_item(db: AsyncDatabase, user: User, item_id: str) -> RecurringOut:
    doc = await get_owned(db[COLLECTION], item_id, user.id, ENTITY)
    return item_out(doc, today(user.timezone))


def _changes(body: RecurringUpdate, user: User, stored: Doc) -> Doc:
    """What a PUT changes: the values sent that differ from the stored ones. A figure
    changed by hand pins the item: detection no longer changes its figures."""
    sent = body.values(user.timezone, partial=True)
    if (amount := sent.pop("amount", None)) is not None:
        sent |= {"amount_min": amount, "amount_max": amount, "amount_typical": amount}
    if "next_date" in sent and "day_of_month" not in sent:
        sent["day_of_month"] = sent["next_date"].day
    item = store.as_days([stored])[0]
    changes = {name: value for name, value in sent.items() if item.get(name) != value}
    if set(changes) & {*DETECTED, "next_date"}:
        changes["pinned"] = True
    return changes


async def update_item(
    db: AsyncDatabase, user: User, item_id: str, body: RecurringUpdate, expected: Expected
) -> RecurringOut:
    """Confirm, dismiss or edit an item; a status sent back as `ended` changes nothing."""
    stored = await get_owned(db[COLLECTION], item_id, user.id, ENTITY)
    changes = _changes(body, user, stored)
    doc = await update_owned(db[COLLECTION], item_id, user.id, changes, ENTITY, expected)
    return item_out(doc, today(user.timezone))


async def delete_item(db: AsyncDatabase, user: User, item_id: str, expected: Expected) -> None:
    await delete_owned(db, COLLECTION, item_id, user.id, ENTITY, expected=expected)


# ---------------------------------------------------------------- bills


async def expected_items(
    db: AsyncDatabase, user: User, cards: list[Card] | None = None
) -> list[Doc]:
    """What is expected to come and go: items neither dismissed nor ended, the EMIs of
    active debts and the credit cards' dues (of `cards`, the cards and their views when the
    caller has them, else read here)."""
    if cards is None:
        cards = await card_views(db, user)
    dues = await card_dues(db, user, cards)
    day = today(user.timezone)
    items = [
        doc
        for doc in store.as_days(await store.items(db, user.id))
        if doc["status"] != "dismissed"
        and not rules.is_ended(doc["next_date"], doc["interval"], doc["day_of_month"], day)
    ]
    emis = [store.emi_item(debt) for debt in await store.active_emis(db, user.id)]
    return items + emis + dues


def _bills(items: list[Doc], start: date, end: date) -> UpcomingBills:
    """The expected outflows of `items` in [start, end], each marked paid when an entry
    already matched its period."""
    bills = [
        UpcomingBill(
            item_id=str(item["_id"]),
            title=item["title"],
            source=item["source"],
            account_id=item.get("account_id"),
            category=item.get("category"),
            date=day,
            amount=item["amount_typical"],
            paid=paid,
        )
        for item in items
        if item["kind"] == "expense"
        for day, paid in rules.upcoming(item, start, end)
    ]
    bills.sort(key=lambda bill: (bill.date, bill.title))
    total = sum((bill.amount for bill in bills if not bill.paid), Decimal("0.00"))
    return UpcomingBills(start=start, end=end, total=total, items=bills)


async def upcoming_bills(db: AsyncDatabase, user: User, days: int) -> UpcomingBills:
    start = today(user.timezone)
    return _bills(await expected_items(db, user), start, start + timedelta(days=days))


def still_expected(bills: UpcomingBills, until: date) -> dict[str, Decimal]:
    """The unpaid bills up to `until`, summed by category: what a budget is still to meet."""
    expected: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for bill in bills.items:
        if not bill.paid and bill.category is not None and bill.date <= until:
            expected[bill.category] += bill.amount
    return dict(expected)


async def bills_this_month(db: AsyncDatabase, user: User) -> dict[str, Decimal]:
    """The bills still expected from today to the month's end, by category."""
    day = today(user.timezone)
    last = month_end(day.year, day.month)
    # A card's dues count in no category (its purchases did): no card is worked out for them.
    items = await expected_items(db, user, cards=[])
    return still_expected(_bills(items, day, last), last)


# ---------------------------------------------------------------- the forecast


async def _balances(
    db: AsyncDatabase, user: User, account_id: str | None, day: date
) -> dict[str, Decimal]:
    """Today's balance of the account asked for, else of every account of the user."""
    if account_id is not None:
        found = [await accounts.owned(db, user.id, account_id)]
    else:
        found = await db.accounts.find({"user_id": user.id}).to_list(None)
    return {
        str(account["_id"]): (await accounts.balance(db, account, until=day))["balance"]
        for account in found
    }


async def _projected(
    db: AsyncDatabase, user: User, items: list[Doc], days: int, account_id: str | None
) -> tuple[Decimal, projection.Projection]:
    """(today's balance, the projection) of the account asked for, else of every account,
    through `items` (each on its dates at its typical amount)."""
    start = today(user.timezone)
    end = start + timedelta(days=days)
    balances = await _balances(db, user, account_id, start)
    moves = [
        move
        for item in items
        for move in projection.expected_moves(item, start, end)
        if account_id is None or move.account_id in balances
    ]
    opening = sum(balances.values(), Decimal("0.00"))
    return opening, projection.project(balances, moves, start, days)


async def outlook(
    db: AsyncDatabase, user: User, days: int, cards: list[Card]
) -> tuple[UpcomingBills, LowPoint]:
    """The dashboard's look ahead, from one read of the items (the cards' views given: the
    dashboard's cards block reads them too): the bills of the next `days` days, and the
    lowest projected balance of all accounts in them."""
    items = await expected_items(db, user, cards)
    _, result = await _projected(db, user, items, days, None)
    low_day, low = result.lowest[projection.TOTAL]
    start = result.days[0]["date"]
    bills = _bills(items, start, start + timedelta(days=days))
    return bills, LowPoint(date=low_day, balance=low)


async def forecast(db: AsyncDatabase, user: User, days: int, account_id: str | None) -> Forecast:
    """Each day's projected balance from today's through the items expected (recurring items,
    EMIs and card dues, each on its date at its typical amount), per account and in total; with
    `account_id`, that account's only."""
    items = await expected_items(db, user)
    opening, result = await _projected(db, user, items, days, account_id)
    low_day, low = result.lowest[projection.TOTAL]
    return Forecast(
        start=result.days[0]["date"],
        end=result.days[-1]["date"],
        opening=opening,
        lowest=LowPoint(date=low_day, balance=low),
        lowest_by_account={
            key: LowPoint(date=day, balance=value)
            for key, (day, value) in result.lowest.items()
            if key != projection.TOTAL
        },
        days=[
            ForecastDay(
                date=row["date"],
                balance=row["total"],
                accounts=row["accounts"],
                moves=[
                    ForecastMove(
                        item_id=m.item_id,
                        title=m.title,
                        source=m.source,
                        account_id=m.account_id,
                        amount=m.amount,
                    )
                    for m in row["moves"]
                ],
            )
            for row in result.days
        ],
    )
