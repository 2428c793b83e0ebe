"""What reports read: aggregations bounded by the period on a `(user_id, date, _id)` index
and grouped in the database (Python folds only the grouped rows, never documents), the few
small reads that name what the groups are (goal titles, the loans' tax fields), and the
export's cursor. Income and expenses per month are `ledger.store.monthly_totals`."""

from datetime import date
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase

from database import Doc
from reports.csv_export import EXPORT_BATCH, ExportKind

# What the tax summary needs of a loan beyond its payments.
TAX_FIELDS = {"name": 1, "debt_type": 1, "bank_name": 1, "property_use": 1, "sanctioned_on": 1}


def month_of(field: str) -> dict[str, Any]:
    """A `$group` key: the month (YYYY-MM) of a day field."""
    return {"$dateToString": {"format": "%Y-%m", "date": field}}


async def contribution_totals(
    db: AsyncDatabase, user_id: ObjectId, start: date, end: date, key: Any
) -> list[Doc]:
    """Goal contributions in [start, end) summed per `key` (the goal, or the month)."""
    pipeline = [
        {"$match": {"user_id": user_id, "date": {"$gte": start, "$lt": end}}},
        {"$group": {"_id": key, "amount": {"$sum": "$amount"}, "count": {"$sum": 1}}},
    ]
    return await (await db.goal_contributions.aggregate(pipeline)).to_list(None)


async def goal_titles(db: AsyncDatabase, user_id: ObjectId) -> dict[ObjectId, str]:
    # A person has a handful of goals: read them all rather than `$in` (a collection scan).
    docs = await db.goals.find({"user_id": user_id}, projection={"title": 1}).to_list(None)
    return {d["_id"]: d["title"] for d in docs}


async def tax_debts(db: AsyncDatabase, user_id: ObjectId) -> dict[ObjectId, Doc]:
    """Every loan of the user (closed ones too: they were repaid in the year) by id, with
    the fields the tax summary reads."""
    docs = await db.debts.find({"user_id": user_id}, projection=TAX_FIELDS).to_list(None)
    return {d["_id"]: d for d in docs}


def export_cursor(
    db: AsyncDatabase, user_id: ObjectId, spec: ExportKind, bounds: Doc
) -> AsyncCursor:
    """The user's documents of one export kind within `bounds` on its day field, in day
    order, read a batch at a time."""
    return (
        db[spec.collection]
        .find({"user_id": user_id, spec.day_field: bounds})
        .sort([(spec.day_field, 1), ("_id", 1)])
        .batch_size(EXPORT_BATCH)
    )
