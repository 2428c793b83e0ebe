"""Account and transfer workflows: an account created, changed, deleted (refused while
anything names it); the account a statement is imported into (chosen, found by the number it
prints, or created); a transfer typed in by hand, and one deleted (its statement rows become
the entries they were).

Balances are `accounts.store.balance` (summed in the database); the statement side of
transfers (pairing at commit, an undo) is `imports.transfers`."""

from datetime import timedelta

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from accounts import months, store
from accounts.rules import (
    INSTITUTIONS,
    balance_gap,
    check_currency,
    check_identity,
    name_key,
    proposed_name,
)
from cards import rules as card_rules
from core import sync
from core.dates import now_ms, today
from core.errors import Conflict, ErrorCode, Unprocessable
from core.idempotency import create_once
from core.money import quantize
from core.sync import Expected, check_version
from database import Doc, get_owned, in_transaction, object_id, update_owned
from imports import transfers as statement_transfers
from imports.statements import Statement
from ledger.service import in_ledger_transaction
from schemas import (
    AccountCreate,
    AccountOut,
    AccountRecord,
    AccountUpdate,
    TransferCreate,
    TransferOut,
)
from security import User

# ---------------------------------------------------------------- accounts


async def account_out(db: AsyncDatabase, doc: Doc) -> AccountOut:
    return AccountOut.model_validate(await store.with_balance(db, doc))


async def create_account(
    db: AsyncDatabase, user: User, body: AccountCreate, key: str | None
) -> tuple[AccountOut, bool]:
    """(the account, whether it replays an earlier request with this key); a name you
    already use is a 409 on `name`."""
    values = body.values(user.timezone) | {"currency": body.currency or user.currency}
    card_rules.check_terms(values["kind"], values)
    if values["kind"] == "credit_card":
        values = card_rules.with_defaults(values)
    doc = store.account_document(values, user.id, now_ms())

    async def write(session: AsyncClientSession) -> None:
        await store.insert_account(db, doc, session)

    answer, replayed = await create_once(db, key, body, "accounts", doc, AccountRecord, write)
    # The balance is read, not remembered: a replay answers today's.
    return await account_out(db, await store.owned(db, user.id, answer.id)), replayed


async def update_account(
    db: AsyncDatabase, user: User, account_id: str, body: AccountUpdate, expected: Expected
) -> AccountOut:
    """Change an account; fields left out keep their value, the currency never changes.
    Another version than an If-Match's `expected` is a 412."""
    changes = body.values(user.timezone, partial=True)
    if changes.get("name"):
        changes["name_key"] = name_key(changes["name"])
    stored = await store.owned(db, user.id, account_id)
    merged = stored | changes
    card_rules.check_terms(merged["kind"], merged)
    if changes.get("statement_day") is not None:
        moved = card_rules.statement_day_change(
            stored, changes["statement_day"], today(user.timezone)
        )
        changes |= moved
        if moved and expected is None:  # changed once: a second change at once finds 412
            expected = frozenset({stored.get("sync_seq", 0)})
    if merged["kind"] == "credit_card" and stored["kind"] != "credit_card":
        changes = card_rules.with_defaults(changes)
    try:
        doc = await update_owned(db.accounts, account_id, user.id, changes, "account", expected)
    except DuplicateKeyError as exc:
        raise store.account_exists() from exc
    return await account_out(db, doc)


async def delete_account(
    db: AsyncDatabase, user_id: ObjectId, account_id: str, expected: Expected
) -> None:
    """Delete an account nothing names; one with entries, transfers or imports is a 409 that
    counts them (move or delete those first: its history is not thrown away). The count and
    the delete are one transaction, and every write naming an account takes the user's
    change counter too, so an entry written meanwhile makes one of them retry."""

    async def work(session: AsyncClientSession) -> None:
        account = await store.owned(db, user_id, account_id, session=session)
        check_version(account, expected, "account")
        usage = await store.usage(db, user_id, account["_id"], session)
        if used := {name: n for name, n in usage.items() if n}:
            listed = ", ".join(f"{n} {name}" for name, n in used.items())
            raise Conflict(
                f"This account still has {listed}: delete or move them first",
                code=ErrorCode.account_in_use,
            )
        await db.accounts.delete_one(sync.owned(account["_id"], user_id), session=session)
        await sync.tombstone(db, user_id, "accounts", [account["_id"]], session)
        # Nothing names it, so its month counters are all zero: they go with it.
        mine = {"user_id": user_id, "account_id": account["_id"]}
        await db[months.COLLECTION].delete_many(mine, session=session)

    await in_transaction(db, work)


# ---------------------------------------------------------------- the account of a statement


def account_required(message: str) -> Unprocessable:
    return Unprocessable(message, code=ErrorCode.account_required, loc=("body", "account_id"))


async def statement_account(
    db: AsyncDatabase,
    user: User,
    account_id: str | None,
    label: str | None,
    statement: Statement,
) -> tuple[Doc, bool]:
    """(the account a statement is imported into, whether it was created for it):
    `account_id` when given; else the account named `label`; else the one account whose
    number ends as the statement's, created when you have none. The statement's number and
    currency must agree with the account's (422 `account_mismatch`, `currency_mismatch`)."""
    if account_id is not None:
        account, created, field = await store.owned(db, user.id, account_id), False, "account_id"
    else:
        field = "account" if label else "account_id"
        found = await store.by_name(db, user.id, label) if label else None
        if found is not None:
            account, created = found, False
        else:
            account, created = await _by_number(db, user, statement, label)
    check_identity(account.get("number_last4"), statement.number_last4, field)
    check_currency(account["currency"], statement.currency)
    return account, created


async def _by_number(
    db: AsyncDatabase, user: User, statement: Statement, name: str | None
) -> tuple[Doc, bool]:
    last4 = statement.number_last4
    if last4 is None and name is None:
        raise account_required(
            "This statement does not say which account it is of: choose the account "
            "(account_id), or create one (POST /api/accounts)"
        )
    if last4 is not None:
        found = await store.by_last4(db, user.id, last4)
        if len(found) == 1:
            return found[0], False
        if found:
            raise account_required(
                f"{len(found)} of your accounts end in {last4}: choose one (account_id)"
            )
    values = {
        "name": name or proposed_name(statement.format, last4 or ""),
        "institution": INSTITUTIONS.get(statement.format),
        "kind": "credit_card" if statement.card is not None else "savings",
        "number_last4": last4,
        "currency": statement.currency or user.currency,
        "opening_balance": statement.opening_balance,
        "opening_date": statement.period[0] if statement.period else None,
    }
    doc = store.account_document(values, user.id, now_ms())

    async def work(session: AsyncClientSession) -> Doc:
        doc["sync_seq"] = await sync.stamp(db, user.id, session)
        return await store.insert_account(db, doc, session)

    try:
        return await in_transaction(db, work), True
    except Conflict:  # an upload at the same moment created it first
        if (again := await store.by_name(db, user.id, values["name"])) is None:
            raise
        return again, False


async def opening_gap(db: AsyncDatabase, account: Doc, statement: Statement) -> Doc | None:
    """The gap between the account's balance the day before the statement starts (from its
    last committed statement ending before then, and what was entered since) and the
    statement's opening balance; None when they agree, or there is nothing to compare."""
    days = [row.date for row in statement.rows]
    start = statement.period[0] if statement.period else min(days, default=None)
    if statement.opening_balance is None or start is None:
        return None
    before = await store.balance(db, account, until=start - timedelta(days=1))
    if not before["from_statement"]:
        return None
    return balance_gap(before["balance"], quantize(statement.opening_balance))


# ---------------------------------------------------------------- transfers


async def create_transfer(
    db: AsyncDatabase, user: User, body: TransferCreate, key: str | None
) -> tuple[TransferOut, bool]:
    """(the transfer, whether it replays): between two different accounts of yours, in one
    currency."""
    source = await store.owned(db, user.id, body.from_account_id, "from_account_id")
    target = await store.owned(db, user.id, body.to_account_id, "to_account_id")
    if source["_id"] == target["_id"]:
        raise Unprocessable(
            "A transfer moves money between two different accounts",
            code=ErrorCode.same_account,
            loc=("body", "to_account_id"),
        )
    if source["currency"] != target["currency"]:
        raise Unprocessable(
            f"The accounts are in {source['currency']} and {target['currency']}: a transfer "
            "moves money between accounts of one currency",
            code=ErrorCode.currency_mismatch,
            loc=("body", "to_account_id"),
        )
    day = body.values(user.timezone)["date"] or today(user.timezone)
    sides = (source["_id"], target["_id"])
    doc = store.transfer_document(user.id, sides, body.amount, day, now_ms(), note=body.note)

    async def write(session: AsyncClientSession) -> None:
        await db.transfers.insert_one(doc, session=session)
        await months.move(db, user.id, "transfers", session, added=[doc])

    return await create_once(db, key, body, "transfers", doc, TransferOut, write)


async def delete_transfer(
    db: AsyncDatabase, user: User, transfer_id: str, expected: Expected = None
) -> None:
    """Delete a transfer: the statement rows it held become the entries they were (an expense
    or income each, or the entries it replaced), in one transaction. Another version than
    an If-Match's `expected` is a 412."""
    oid = object_id(transfer_id)

    async def work(session: AsyncClientSession) -> None:
        transfer = await get_owned(db.transfers, oid or "", user.id, "transfer", session=session)
        check_version(transfer, expected, "transfer")
        await statement_transfers.dissolve(db, user, transfer, session)

    # The entries it gives back move counters and queue payees: a race to a first one is
    # a duplicate key, tried again.
    await in_ledger_transaction(db, work)
