"""Delta sync (GET /api/sync): one page of the changes to the user's data since a cursor, in
write order, each resource once, as its GET shows it (docs/sync.md)."""

import asyncio
from datetime import date

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from accounts.store import with_balance
from core.dates import today
from core.errors import ErrorCode, Gone
from core.sync import TOMBSTONE_DAYS
from database import Doc
from schemas import (
    AccountOut,
    BudgetOut,
    ContributionOut,
    DebtOut,
    ExpenseOut,
    GoalOut,
    ImportOut,
    IncomeOut,
    NotificationOut,
    OutModel,
    PaymentOut,
    RecurringOut,
    RuleOut,
    SyncOp,
    SyncPage,
    TransferOut,
    UserOut,
)
from schemas.sync import CHANGES
from security import User
from sync import rules, store

# Changes that move an account's balance.
MOVES_MONEY = {"income", "expense", "payment", "transfer"}
# Each resource as its GET shows it, on the user's today.
SHOWN = {
    "debt": DebtOut.of,
    "payment": lambda doc, _: PaymentOut.model_validate(doc),
    "income": lambda doc, _: IncomeOut.model_validate(doc),
    "expense": lambda doc, _: ExpenseOut.model_validate(doc),
    "budget": lambda doc, _: BudgetOut.model_validate(doc),
    "goal": GoalOut.of,
    "goal_contribution": lambda doc, _: ContributionOut.model_validate(doc),
    "notification": lambda doc, _: NotificationOut.model_validate(doc),
    "import": lambda doc, _: ImportOut.model_validate(doc),
    "rule": lambda doc, _: RuleOut.model_validate(doc),
    "account": lambda doc, _: AccountOut.model_validate(doc),
    "transfer": lambda doc, _: TransferOut.model_validate(doc),
    "recurring_item": RecurringOut.of,
    "profile": lambda doc, _: UserOut.model_validate(doc),
}


def cursor_expired() -> Gone:
    return Gone(
        f"Deletions are kept {TOMBSTONE_DAYS} days and this cursor is older than the oldest "
        "one kept: reload everything (since=0)",
        code=ErrorCode.sync_cursor_expired,
    )


async def changes(db: AsyncDatabase, user: User, since: str | None, limit: int) -> SyncPage:
    """The changes after `since` (none: everything), at most `limit`. The counter is read
    first: every change numbered up to it has committed, and a document changed after that
    read holds a higher number, which a later page delivers."""
    state = await store.counter(db, user.id)
    head = state.get("seq", 0)
    cursor = rules.Cursor.parse(since, head)
    last_deleted = state.get("last_tombstone_seq", 0)
    first_kept = None
    if cursor.position and last_deleted > cursor.deletions_from:
        first_kept = await store.first_kept_after(db, user.id, cursor.deletions_from, last_deleted)
    if rules.expired(cursor, head, last_deleted, first_kept):
        raise cursor_expired()
    profile = await store.profile(db, user.id)
    found: list[store.Found] = []
    low = cursor.position
    # Room is kept for the user's accounts, which a page where money moved carries too.
    accounts = await store.account_count(db, user.id)
    room = limit - accounts if accounts < limit else limit
    for _ in range(rules.MAX_ROUNDS):
        window = rules.next_window(low, head, room - len(found))
        if window is None:
            break
        low, high = window
        found += await store.window(db, user.id, low, high, cursor.deletions_from)
        if profile is not None and low < profile.get("sync_seq", 0) <= high:
            found.append((profile["sync_seq"], "profile", profile["_id"], profile))
        low = high
    day = today(user.timezone)
    latest = await _with_balances(db, user.id, rules.latest(found), limit)
    return SyncPage(
        changes=[_change(resource, oid, doc, day) for _, resource, oid, doc in latest],
        cursor=str(cursor.moved_to(low)),
        has_more=low < head,
    )


async def _with_balances(
    db: AsyncDatabase, user_id: ObjectId, latest: list[store.Found], limit: int
) -> list[store.Found]:
    """The changes, each account with its balance as of now; when money moved (an entry,
    payment or transfer changed), every account of the user comes along after them (room
    was kept for them unless `limit` is below their number): its balance may be another
    now, and its own version does not say so."""
    if MOVES_MONEY & {resource for _, resource, _, _ in latest}:
        present = [oid for _, resource, oid, _ in latest if resource == "account"]
        others = await store.accounts_besides(db, user_id, present)
        if len(latest) + len(others) <= limit:
            latest = latest + others

    async def shown(doc: Doc | None, resource: str) -> Doc | None:
        return await with_balance(db, doc) if resource == "account" and doc else doc

    docs = await asyncio.gather(*(shown(doc, resource) for _, resource, _, doc in latest))
    return [(seq, r, oid, doc) for (seq, r, oid, _), doc in zip(latest, docs, strict=True)]


def _change(resource: str, oid: object, doc: Doc | None, day: date) -> object:
    if doc is None:
        return CHANGES[resource](id=oid, op=SyncOp.delete)
    shown: OutModel = SHOWN[resource](doc, day)
    return CHANGES[resource](id=oid, op=SyncOp.upsert, etag=shown.etag, data=shown)
