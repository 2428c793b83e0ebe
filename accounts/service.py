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

from accounts import store
from accounts.rules import (
    INSTITUTIONS,
    balance_gap,
    check_currency,
    check_identity,
    name_key,
    proposed_name,
)
from core.dates import now_ms, today
from core.errors import Conflict, ErrorCode, Unprocessable
from core.idempotency import write_once
from core.money import quantize
from database import Doc, get_owned, in_transaction, object_id
from imports import transfers as statement_transfers
from imports.statements import Statement
from ledger.service import request_digest, stored_answer
from schemas import AccountCreate, AccountOut, AccountUpdate, TransferCreate, TransferOut
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
    doc = store.account_document(values, user.id, now_ms())

    async def work(session: AsyncClientSession) -> Doc:
        await store.insert_account(db, doc, session)
        return AccountOut.model_validate(doc | {"balance": doc["opening_balance"]}).model_dump()

    answer, replayed = await write_once(
        db,
        user.id,
        key,
        request_digest("accounts", body),
        work,
        already_written=lambda: _stored_id(db, doc),
    )
    # The balance is read, not remembered: a replay answers today's.
    stored = await get_owned(db.accounts, answer["id"], user.id, "account")
    return await account_out(db, stored), replayed


async def _stored_id(db: AsyncDatabase, doc: Doc) -> Doc | None:
    stored = await db.accounts.find_one({"_id": doc["_id"], "user_id": doc["user_id"]})
    return None if stored is None else {"id": str(stored["_id"])}


async def update_account(
    db: AsyncDatabase, user: User, account_id: str, body: AccountUpdate
) -> AccountOut:
    """Change an account; fields left out keep their value, the currency never changes."""
    current = await store.owned(db, user.id, account_id)
    body.check_echo(await account_out(db, current))
    changes = body.values(user.timezone, partial=True)
    if changes.get("name"):
        changes["name_key"] = name_key(changes["name"])
    try:
        doc = await db.accounts.find_one_and_update(
            {"_id": current["_id"], "user_id": user.id},
            {"$set": changes | {"updated_at": now_ms()}},
            return_document=True,
        )
    except DuplicateKeyError as exc:
        raise store.account_exists() from exc
    if doc is None:
        raise store.AccountNotFound()
    return await account_out(db, doc)


async def delete_account(db: AsyncDatabase, user_id: ObjectId, account_id: str) -> None:
    """Delete an account nothing names; one with entries, transfers or imports is a 409 that
    counts them (move or delete those first: its history is not thrown away)."""
    account = await store.owned(db, user_id, account_id)
    used = {name: n for name, n in (await store.usage(db, user_id, account["_id"])).items() if n}
    if used:
        listed = ", ".join(f"{n} {name}" for name, n in used.items())
        raise Conflict(
            f"This account still has {listed}: delete or move them first",
            code=ErrorCode.account_in_use,
        )
    await db.accounts.delete_one({"_id": account["_id"], "user_id": user_id})


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
        "kind": "savings",
        "number_last4": last4,
        "currency": statement.currency or user.currency,
        "opening_balance": statement.opening_balance,
        "opening_date": statement.period[0] if statement.period else None,
    }
    doc = store.account_document(values, user.id, now_ms())
    try:
        return await store.insert_account(db, doc, None), True
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

    async def work(session: AsyncClientSession) -> Doc:
        await db.transfers.insert_one(doc, session=session)
        return TransferOut.model_validate(doc).model_dump()

    answer, replayed = await write_once(
        db,
        user.id,
        key,
        request_digest("transfers", body),
        work,
        already_written=stored_answer(db.transfers, doc, TransferOut),
    )
    return TransferOut.model_validate(answer), replayed


async def delete_transfer(db: AsyncDatabase, user: User, transfer_id: str) -> None:
    """Delete a transfer: the statement rows it held become the entries they were (an expense
    or income each, or the entries it replaced), in one transaction."""
    oid = object_id(transfer_id)

    async def work(session: AsyncClientSession) -> None:
        transfer = await get_owned(db.transfers, oid or "", user.id, "transfer", session=session)
        await statement_transfers.dissolve(db, user, transfer, session)

    await in_transaction(db, work)
