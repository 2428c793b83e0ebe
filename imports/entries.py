"""What a statement row becomes in the books when it becomes an entry: the expense or income
a commit creates, and the one a transfer gives back when it is undone or deleted."""

from datetime import datetime

from bson import ObjectId

from core.dates import as_day
from database import Doc
from ledger.store import entry_document
from schemas import ExpenseCreate, IncomeCreate


def entry_kind(row: Doc) -> str:
    """ "expense" or "income": the row's own kind, else (a transfer's row) its direction."""
    if row["kind"] in ("expense", "income"):
        return row["kind"]
    return "expense" if row["direction"] == "debit" else "income"


def entry_of(row: Doc, user_id: ObjectId, at: datetime) -> tuple[str, Doc]:
    """The expense or income a row becomes, as POST /api/expenses or /api/income stores it,
    with the row's id as its own, tagged with its import and in its account; the narration
    is its description."""
    common = {
        "amount": row["amount"],
        "date": row["date"],
        "description": row["narration"][:1000] or None,
        "tags": row.get("tags") or [],
    }
    kind = entry_kind(row)
    body: ExpenseCreate | IncomeCreate
    if kind == "expense":
        category = row.get("category") or "other"
        refund = bool(row.get("refund"))  # a card's credit that is not a payment
        body = ExpenseCreate(title=row["title"], category=category, refund=refund, **common)
    else:
        body = IncomeCreate(
            source=row["title"], income_type=row.get("income_type") or "other", **common
        )
    doc = entry_document(body, user_id, as_day(row["date"]), at, row.get("vpa"))
    doc |= {"_id": row["_id"], "import_id": row["import_id"]}
    if row.get("account_id") is not None:
        doc["account_id"] = row["account_id"]
    return kind, doc
