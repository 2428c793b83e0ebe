"""Transfers as statements make and unmake them.

At a commit, a row of kind `transfer` joins the open side of a transfer of its account (one
typed in by hand, or one a statement of the other account started); else it makes a
transfer with the entry it pairs with in another account (that expense or income is removed:
it is the transfer's other side now, and the transfer keeps it, to give it back); else it
starts a transfer whose other side a statement of the other account will join.

A transfer remembers the statement rows it holds (`from_row`, `to_row`), the entries it
replaced (`replaced`) and the import fingerprints it took over (`repointed`). An undo of the
import that made it, or its deletion by hand, dissolves it: each row it held from another
import becomes the entry it was (or the one it replaced comes back). An undo of an import
whose row only joined it leaves it, with that side open again."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from accounts import months as account_months
from accounts import store as accounts_store
from accounts.rules import TRANSFER_WINDOW_DAYS, Counterpart, OpenSide, Pairing, TransferMatcher
from core import sync
from core.dates import as_day, now_ms
from core.money import quantize
from database import Doc, in_transaction, insert_stamped, update_stamped
from imports.entries import entry_of
from ledger.service import entries_removed, entries_written
from security import User

COLLECTIONS = {"expense": "expenses", "income": "income"}


def open_side(doc: Doc, account_id: ObjectId) -> OpenSide:
    """A transfer's open side in `account_id`, as the matcher takes it."""
    outgoing = doc["from_account_id"] == account_id and doc.get("from_row") is None
    other = doc["to_account_id"] if outgoing else doc["from_account_id"]
    direction = "debit" if outgoing else "credit"
    amount = quantize(doc["amount"])
    return OpenSide(str(doc["_id"]), direction, str(other), as_day(doc["date"]), amount)


def counterpart(kind: str, doc: Doc) -> Counterpart:
    """A committed expense or income of another account, as the matcher takes it."""
    direction = "debit" if kind == "expense" else "credit"
    account = str(doc["account_id"])
    return Counterpart(
        str(doc["_id"]), kind, account, direction, as_day(doc["date"]), quantize(doc["amount"])
    )


def _row_ref(row: Doc) -> Doc:
    return {"import_id": row["import_id"], "row_id": row["_id"]}


@dataclass
class BatchTransfers:
    """A commit batch's transfer rows, paired against the books as read in its transaction."""

    db: AsyncDatabase
    user: User
    account_id: ObjectId | None  # the statement's (None: the batch has no transfer rows)
    matcher: TransferMatcher
    accounts: set[ObjectId]
    removed: dict[str, list[Doc]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    async def load(
        cls, db: AsyncDatabase, user: User, rows: list[Doc], session: AsyncClientSession
    ) -> "BatchTransfers":
        todo = [row for row in rows if row["kind"] == "transfer"]
        if not todo:
            return cls(db, user, None, TransferMatcher([], []), set())
        account_id = todo[0]["account_id"]
        window = timedelta(days=TRANSFER_WINDOW_DAYS)
        days = [as_day(row["date"]) for row in todo]
        span = (min(days) - window, max(days) + window)
        sides = await accounts_store.open_sides(db, user.id, account_id, span, session)
        others = await accounts_store.other_entries(db, user.id, account_id, span, session=session)
        matcher = TransferMatcher(
            [open_side(doc, account_id) for doc in sides],
            [counterpart(kind, doc) for kind, doc in others],
        )
        mine = await db.accounts.find({"user_id": user.id}, {"_id": 1}, session=session).to_list(
            None
        )
        return cls(db, user, account_id, matcher, {doc["_id"] for doc in mine})

    async def commit(self, row: Doc, session: AsyncClientSession) -> tuple[ObjectId, bool] | None:
        """(the transfer a `transfer` row is now part of, whether it joined one that was
        there); None for any other row, and for one whose other account is gone (it is
        committed as the entry its direction makes)."""
        if row["kind"] != "transfer":
            return None
        try:
            return await self.commit_row(row, session)
        except LookupError:
            return None

    async def commit_row(self, row: Doc, session: AsyncClientSession) -> tuple[ObjectId, bool]:
        """`commit` for a `transfer` row; LookupError when it cannot be one."""
        day, amount = as_day(row["date"]), quantize(row["amount"])
        pairing = self.matcher.pair(row["direction"], day, amount)
        if pairing is not None and pairing.kind == "open":
            if await self._join(row, ObjectId(pairing.id), session):
                return ObjectId(pairing.id), True
        elif pairing is not None:
            made = await self._replace(row, pairing, session)
            if made is not None:
                return made, False
        other = row.get("transfer_account_id")
        if other is None and pairing is not None:
            other = ObjectId(pairing.other_account_id)
        if other not in self.accounts or other == self.account_id:
            raise LookupError("no other account to transfer with")
        return await self._start(row, other, session), False

    def _sides(self, row: Doc, other: ObjectId) -> tuple[tuple[ObjectId, ObjectId], str, str]:
        """(from and to accounts, this row's side, the other side)."""
        if row["direction"] == "debit":
            return (self.account_id, other), "from_row", "to_row"
        return (other, self.account_id), "to_row", "from_row"

    async def _join(self, row: Doc, transfer_id: ObjectId, session: AsyncClientSession) -> bool:
        """The row takes its side of the transfer; a debit dates it (a transfer is dated the
        day the money left, as that account's statement says)."""
        side = "from_row" if row["direction"] == "debit" else "to_row"
        account = "from_account_id" if side == "from_row" else "to_account_id"
        changes = {side: _row_ref(row), "updated_at": now_ms()}
        if side == "from_row":
            changes["date"] = row["date"]
        query = {"_id": transfer_id, "user_id": self.user.id, account: self.account_id, side: None}
        before = await self.db.transfers.find_one(query, session=session)
        joined = await update_stamped(
            self.db.transfers,
            self.user.id,
            query,
            {"$set": changes, "$addToSet": {"import_ids": row["import_id"]}},
            session,
        )
        if joined is not None:  # a debit's day may have moved it to another month
            moved = {"removed": [before], "added": [joined]}
            await account_months.move(self.db, self.user.id, "transfers", session, **moved)
        return joined is not None

    async def _insert(self, doc: Doc, session: AsyncClientSession) -> None:
        await insert_stamped(self.db, "transfers", [doc], session)
        await account_months.move(self.db, self.user.id, "transfers", session, added=[doc])

    async def _start(self, row: Doc, other: ObjectId, session: AsyncClientSession) -> ObjectId:
        accounts, mine, _ = self._sides(row, other)
        doc = accounts_store.transfer_document(
            self.user.id,
            accounts,
            row["amount"],
            as_day(row["date"]),
            now_ms(),
            note=row.get("title"),
            import_id=row["import_id"],
            **{mine: _row_ref(row)},
        )
        await self._insert(doc, session)
        return doc["_id"]

    async def _replace(
        self, row: Doc, pairing: Pairing, session: AsyncClientSession
    ) -> ObjectId | None:
        """A transfer of the row and the entry it pairs with, which it replaces (the entry's
        fingerprints now name the transfer)."""
        collection = COLLECTIONS[pairing.kind]
        owned = {"_id": ObjectId(pairing.id), "user_id": self.user.id}
        entry = await self.db[collection].find_one_and_delete(owned, session=session)
        if entry is None:
            return None
        self.removed[collection].append(entry)
        accounts, mine, theirs = self._sides(row, entry["account_id"])
        prints = await self.db.import_fingerprints.find(
            {"user_id": self.user.id, "entry_id": entry["_id"]}, session=session
        ).to_list(None)
        prints.sort(key=lambda doc: doc.get("linked", False))  # the row that made it first
        debit_day = as_day(row["date"] if mine == "from_row" else entry["date"])
        transfer_id = ObjectId()
        doc = accounts_store.transfer_document(
            self.user.id,
            accounts,
            row["amount"],
            debit_day,
            now_ms(),
            _id=transfer_id,
            note=row.get("title"),
            import_id=row["import_id"],
            replaced=[{"collection": collection, "doc": entry}],
            repointed=[_previous(doc) for doc in prints],
            **{mine: _row_ref(row), theirs: _row_ref(_as_row(prints[0])) if prints else None},
        )
        await self._insert(doc, session)
        if prints:
            await self.db.import_fingerprints.update_many(
                {"user_id": self.user.id, "entry_id": entry["_id"]},
                {"$set": {"entry_id": transfer_id, "entry_kind": "transfer"}},
                session=session,
            )
        return transfer_id

    async def finish(self, session: AsyncClientSession) -> None:
        """The entries the batch's transfers replaced leave their budgets' spend and the
        notifications that linked to them (their receipts stay: the transfer may give them
        back)."""
        for collection, docs in self.removed.items():
            await entries_removed(self.db, self.user, collection, docs, session, keep_files=True)


def _previous(doc: Doc) -> Doc:
    """What a fingerprint named before a transfer took it over."""
    keys = ("row_id", "import_id", "entry_id", "entry_kind", "linked")
    return {key: doc.get(key) for key in keys}


def _as_row(fingerprint: Doc) -> Doc:
    return {"import_id": fingerprint["import_id"], "_id": fingerprint["row_id"]}


# ---------------------------------------------------------------- undo and delete


async def dissolve(
    db: AsyncDatabase,
    user: User,
    transfer: Doc,
    session: AsyncClientSession,
    undoing: ObjectId | None = None,
) -> None:
    """Delete the transfer, in `session`: the entries it replaced come back, and each row it
    held becomes the entry it was; except what belongs to `undoing`, the import being undone
    (its entries and fingerprints go with it)."""
    restored: dict[str, list[Doc]] = defaultdict(list)
    for item in transfer.get("replaced") or []:
        entry = item["doc"]
        if undoing is None or entry.get("import_id") != undoing:
            restored[item["collection"]].append(entry)
    given_back = set()
    for before in transfer.get("repointed") or []:
        if undoing is None or before["import_id"] != undoing:
            await _point(db, user.id, transfer["_id"], before, session)
            given_back.add(before["row_id"])
    for side in (transfer.get("from_row"), transfer.get("to_row")):
        if side is None or side["import_id"] == undoing or side["row_id"] in given_back:
            continue
        owned = {"_id": side["row_id"], "user_id": user.id}
        row = await db.import_rows.find_one(owned, session=session)
        if row is None:
            continue
        kind, entry = entry_of(row, user.id, now_ms())
        restored[COLLECTIONS[kind]].append(entry)
        again = {"row_id": row["_id"], "entry_id": entry["_id"], "entry_kind": kind}
        await _point(db, user.id, transfer["_id"], again | {"linked": False}, session)
    for collection, entries in restored.items():  # new versions: a sync saw them deleted
        await insert_stamped(db, collection, entries, session)
        await entries_written(db, user, session, collection, added=entries)
    gone = await db.transfers.find_one_and_delete(
        {"_id": transfer["_id"], "user_id": user.id}, session=session
    )
    await sync.tombstone(db, user.id, "transfers", [transfer["_id"]], session)
    await account_months.move(db, user.id, "transfers", session, removed=[gone] if gone else [])


async def _point(
    db: AsyncDatabase,
    user_id: ObjectId,
    transfer_id: ObjectId,
    fingerprint: Doc,
    session: AsyncClientSession,
) -> None:
    """A row's fingerprint that named the transfer names `fingerprint`'s entry again."""
    changes = {k: fingerprint[k] for k in ("entry_id", "entry_kind", "linked")}
    await db.import_fingerprints.update_one(
        {"user_id": user_id, "row_id": fingerprint["row_id"], "entry_id": transfer_id},
        {"$set": changes},
        session=session,
    )


def _detached(transfer: Doc, import_id: ObjectId) -> Doc:
    """The transfer without what an undone import gave it: its row's side open again, the
    entries of that import it replaced and the fingerprints it took over forgotten."""
    changes: Doc = {
        side: None
        for side in ("from_row", "to_row")
        if (transfer.get(side) or {}).get("import_id") == import_id
    }
    changes["replaced"] = [
        item for item in transfer.get("replaced") or [] if item["doc"].get("import_id") != import_id
    ]
    changes["repointed"] = [
        before for before in transfer.get("repointed") or [] if before["import_id"] != import_id
    ]
    changes["import_ids"] = [i for i in transfer.get("import_ids") or [] if i != import_id]
    return changes | {"updated_at": now_ms()}


async def undo_import(db: AsyncDatabase, user: User, import_id: ObjectId) -> int:
    """The transfers an undone import took part in: those it made are dissolved (what they
    held from other imports, or replaced, comes back), the others lose its side. One
    transaction each; safe to repeat. Returns how many it made."""
    query = {"user_id": user.id, "import_ids": import_id}
    ids = [doc["_id"] for doc in await db.transfers.find(query, {"_id": 1}).to_list(None)]
    made = 0
    for transfer_id in ids:

        async def work(session: AsyncClientSession, transfer_id: ObjectId = transfer_id) -> int:
            owned = {"_id": transfer_id, "user_id": user.id}
            transfer = await db.transfers.find_one(owned, session=session)
            if transfer is None:
                return 0
            if transfer.get("import_id") == import_id:
                await dissolve(db, user, transfer, session, undoing=import_id)
                return 1
            changes = _detached(transfer, import_id)
            await update_stamped(db.transfers, user.id, owned, {"$set": changes}, session)
            return 0

        made += await in_transaction(db, work)
    return made
