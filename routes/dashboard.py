"""The home screen in one call: a fixed set of bounded queries, run concurrently.

Eleven database round trips (besides the two of authentication), whatever the data size, and
more per account: income and expenses each one `$facet` over this month giving its totals and
the latest entries; the latest payments; the debts summary; the active budgets; the active
goals; the unread count; the cards (`cards.service.views`: the cards, and each card with a
statement day its ledger (four sums by day), its imported statements and its EMIs: six a
card), read once for the cards block and the look ahead (`recurring.service.outlook`): the
recurring items, the debts' EMIs, the cards' dues (with a card, one more: the account that
paid each card last), the accounts, and each account's balance (its last statement, its
month counters and four sums: six an account; four more when its latest entry is of an earlier
month, for the balance's date).
The latest entries are looked for in this month so far, or the last 7 days when the month is
younger than that: a range the month's totals read anyway, so the feed costs next to nothing.
Only a user with fewer than ten transactions in that window costs more: three round trips per
widening step (the last year, then all time).
"""

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bson import ObjectId
from fastapi import APIRouter
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from cards.dashboard import summary as cards_summary
from cards.service import views as card_views
from core.dates import month_bounds, month_end, month_key, today
from core.money import from_sum, percent, total
from database import Doc
from ledger.store import SPEND, active_budgets, status_of
from loans.service import summarise_debts
from notifications.store import unread_count
from recurring import service as recurring
from reports.rules import net_savings, savings_rate
from routes.deps import CurrentUser, Db, responses
from schemas import (
    DashboardDebt,
    DashboardOut,
    DebtStatus,
    DebtSummary,
    GoalOut,
    GoalStatus,
    Transaction,
    TransactionKind,
)
from security import User

router = APIRouter(prefix="/dashboard", tags=["dashboard"])
E401 = responses(401)
RECENT = 10  # transactions in the feed
UPCOMING = 5  # due payments listed
LOOK_AHEAD_DAYS = 30  # the bills coming up and the lowest projected balance, this far ahead
UPCOMING_BILLS = 10  # unpaid bills listed
GOALS_SHOWN = 20
# The feed looks in this month so far, or at least this far back; then it widens to a year
# and then all time (see `_older_transactions`), only while it has fewer than RECENT.
RECENT_AT_LEAST = timedelta(days=7)
WIDER_WINDOW = timedelta(days=365)


@dataclass(frozen=True)
class Feed:
    """Where one kind of transaction lives and which fields make its feed entry."""

    kind: TransactionKind
    collection: str
    date: str
    title: str
    category: str
    amount: Any = "$amount"  # what an entry adds to the month's totals

    def projection(self) -> dict[str, int]:
        return {self.date: 1, self.title: 1, self.category: 1, "amount": 1, "refund": 1}

    def entry(self, doc: Doc) -> Transaction:
        return Transaction(
            id=doc["_id"],
            kind=self.kind,
            title=doc[self.title],
            category=doc[self.category],
            amount=-doc["amount"] if doc.get("refund") else doc["amount"],  # money back
            date=doc[self.date],
        )


INCOME = Feed(TransactionKind.income, "income", "date", "source", "income_type")
EXPENSES = Feed(TransactionKind.expense, "expenses", "date", "title", "category", SPEND)
PAYMENTS = Feed(TransactionKind.payment, "payments", "payment_date", "debt_name", "payment_type")
FEEDS = (INCOME, EXPENSES, PAYMENTS)
Window = tuple[date | None, date]  # [from, to) in days; no lower bound for "all time"


async def month_and_recent(
    coll: AsyncCollection,
    feed: Feed,
    user_id: ObjectId,
    month: tuple[date, date],
    recent: tuple[date, date],
    group: str | None,
) -> tuple[dict[Any, Decimal], list[Transaction]]:
    """One aggregation over the month and the recent window (which starts no later than the
    month and ends no later): this month's totals per `group` field, and the latest RECENT
    entries of the window."""
    pipeline = month_and_recent_pipeline(user_id, month, recent, group, feed)
    (facets,) = await (await coll.aggregate(pipeline)).to_list(None)
    totals = {row["_id"]: from_sum(row["total"]) for row in facets["month"]}
    return totals, [feed.entry(doc) for doc in facets["recent"]]


def month_and_recent_pipeline(
    user_id: ObjectId,
    month: tuple[date, date],
    recent: tuple[date, date],
    group: str | None,
    feed: Feed,
) -> list[dict[str, Any]]:
    """`month_and_recent`'s aggregation (the bench's bare app issues the same one)."""
    (start, end), (since, until) = month, recent
    # Past the month's first week the window starts with the month: nothing to filter.
    in_month = [{"$match": {"date": {"$gte": start}}}] if since < start else []
    return [
        {"$match": {"user_id": user_id, "date": {"$gte": since, "$lt": end}}},
        {
            "$facet": {
                "month": [
                    *in_month,
                    {
                        "$group": {
                            "_id": f"${group}" if group else None,
                            "total": {"$sum": feed.amount},
                        }
                    },
                ],
                "recent": [
                    {"$match": {"date": {"$gte": since, "$lt": until}}},
                    {"$sort": {"date": -1, "_id": -1}},
                    {"$limit": RECENT},
                    {"$project": feed.projection()},
                ],
            }
        },
    ]


async def latest(
    db: AsyncDatabase, feed: Feed, user_id: ObjectId, window: Window
) -> list[Transaction]:
    """The feed's latest RECENT entries within the window, on (user_id, date, _id)."""
    since, until = window
    bounds: dict[str, date] = {"$lt": until}
    if since is not None:
        bounds["$gte"] = since
    cursor = (
        db[feed.collection]
        .find({"user_id": user_id, feed.date: bounds}, projection=feed.projection())
        .sort([(feed.date, -1), ("_id", -1)])
        .limit(RECENT)
    )
    return [feed.entry(doc) for doc in await cursor.to_list(None)]


def newest(entries: list[Transaction]) -> list[Transaction]:
    return sorted(entries, key=lambda t: (t.date, t.id), reverse=True)[:RECENT]


async def _older_transactions(
    db: AsyncDatabase, user_id: ObjectId, found: list[Transaction], since: date, day: date
) -> list[Transaction]:
    """Fewer than RECENT in the recent window: everything older is older than all of those,
    so look further back, a window at a time, only until the feed is full."""
    for window in ((day - WIDER_WINDOW, since), (None, day - WIDER_WINDOW)):
        if len(found) >= RECENT:
            break
        batches = await asyncio.gather(*(latest(db, f, user_id, window) for f in FEEDS))
        found = newest(found + [t for batch in batches for t in batch])
    return found


async def _active_goals(db: AsyncDatabase, user_id: ObjectId) -> list[Doc]:
    query = {"user_id": user_id, "status": str(GoalStatus.active)}
    cursor = db.goals.find(query).sort([("target_date", 1), ("_id", 1)]).limit(GOALS_SHOWN)
    return await cursor.to_list(None)


def _debt(debts: DebtSummary, income: Decimal) -> DashboardDebt:
    return DashboardDebt(
        active_debts=debts.by_status[DebtStatus.active],
        total_remaining=debts.total_remaining,
        total_monthly_emi=debts.total_monthly_emi,
        debt_to_income=percent(debts.total_monthly_emi, income),
    )


async def _cards_and_outlook(db: AsyncDatabase, user: User):
    """The cards block and the look ahead, from one read of the cards' views (their dues are
    bills and moves of the forecast)."""
    cards = await card_views(db, user)
    return cards_summary(cards), await recurring.outlook(db, user, LOOK_AHEAD_DAYS, cards)


@router.get("", responses=E401)
async def get_dashboard(user: CurrentUser, db: Db) -> DashboardOut:
    """This month's money, debts, upcoming EMIs, budgets (with the bills still expected in
    their categories), goals, unread count, latest entries, the credit cards (outstanding, next
    due, utilisation); the bills of the next 30 days and the lowest balance the forecast sees
    in them."""
    uid, day = user.id, today(user.timezone)
    year, month = day.year, day.month
    this_month = month_bounds(year, month)
    # Entries dated today count as recent; later this month only in the month's totals.
    recent = (min(this_month[0], day - RECENT_AT_LEAST), day + timedelta(days=1))
    (
        (earned, income_feed),
        (spent, expense_feed),
        payments,
        debts,
        budgets,
        goals,
        unread,
        (cards, (bills, lowest)),
    ) = await asyncio.gather(
        month_and_recent(db.income, INCOME, uid, this_month, recent, None),
        month_and_recent(db.expenses, EXPENSES, uid, this_month, recent, "category"),
        latest(db, PAYMENTS, uid, recent),
        summarise_debts(db, user, next_due=UPCOMING),
        active_budgets(db, uid),
        _active_goals(db, uid),
        unread_count(db, uid),
        _cards_and_outlook(db, user),
    )
    feed = newest(income_feed + expense_feed + payments)
    if len(feed) < RECENT:
        feed = await _older_transactions(db, uid, feed, recent[0], day)
    income, expenses = total(earned.values()), total(spent.values())
    return DashboardOut(
        month=month_key(year, month),
        currency=user.currency,
        income=income,
        expenses=expenses,
        savings=net_savings(income, expenses),
        savings_rate=savings_rate(income, expenses),
        debt=_debt(debts, income),
        upcoming_payments=debts.next_due,
        budgets=status_of(
            budgets,
            spent,
            (year, month),
            user.currency,
            recurring.still_expected(bills, month_end(year, month)),
        ),
        upcoming_bills=[bill for bill in bills.items if not bill.paid][:UPCOMING_BILLS],
        lowest_balance=lowest,
        goals=[GoalOut.of(g, day) for g in goals],
        unread_notifications=unread,
        recent_transactions=feed,
        cards=cards,
    )
