"""Savings goals and their contributions as stored: the goal's money moved atomically, the
milestones recorded once, and the summary in one aggregation."""

from datetime import date, datetime

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.sync import stamp
from database import Doc
from goals.rules import AT_RISK_GRACE_DAYS, OPEN_STATUSES

NEWEST_FIRST = [("created_at", -1), ("_id", -1)]
LATEST_CONTRIBUTIONS = [("date", -1), ("_id", -1)]


async def add_money(
    db: AsyncDatabase,
    user_id: ObjectId,
    goal_id: ObjectId,
    amount: object,
    at: datetime,
    session: AsyncClientSession,
) -> Doc | None:
    """The open goal with `amount` added, as it is after; None when the goal is missing,
    not the user's, completed or cancelled."""
    seq = await stamp(db, user_id, session)
    return await db.goals.find_one_and_update(
        {"_id": goal_id, "user_id": user_id, "status": {"$in": list(OPEN_STATUSES)}},
        {"$inc": {"current_amount": amount}, "$set": {"updated_at": at, "sync_seq": seq}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )


async def set_fields(db: AsyncDatabase, goal: Doc, fields: Doc, session: AsyncClientSession) -> Doc:
    """The goal with `fields` set (and stamped), as it is after."""
    seq = await stamp(db, goal["user_id"], session)
    return await db.goals.find_one_and_update(
        {"_id": goal["_id"], "user_id": goal["user_id"]},
        {"$set": fields | {"sync_seq": seq}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )


async def record_milestone(
    db: AsyncDatabase, goal: Doc, milestone: int, session: AsyncClientSession
) -> bool:
    """True for the one write that records the milestone: the update matches only while it
    is unrecorded, so of any number of concurrent contributions exactly one does."""
    seq = await stamp(db, goal["user_id"], session)
    result = await db.goals.update_one(
        {"_id": goal["_id"], "user_id": goal["user_id"], "milestones_reached": {"$ne": milestone}},
        {"$addToSet": {"milestones_reached": milestone}, "$set": {"sync_seq": seq}},
        session=session,
    )
    return result.modified_count == 1


# ---------------------------------------------------------------- the summary


async def summary(db: AsyncDatabase, user_id: ObjectId, at: datetime, day: date) -> Doc:
    """The summary's facets: `totals` (target and saved of every goal not cancelled),
    `by_status` (counts), `at_risk` (the goals, by target date)."""
    cursor = await db.goals.aggregate(_summary_pipeline(user_id, at, day))
    (facets,) = await cursor.to_list(None)
    return facets


def _behind_pace(day: date) -> Doc:
    """The `$match` of the goals at risk (on the fields `_at_risk_fields` adds): a target
    date that has passed, or more than AT_RISK_GRACE_DAYS of saving behind the straight line
    from (created_at, start_amount) to (target_date, target_amount)."""
    behind_days = {
        "$max": [0, {"$subtract": [{"$min": ["$_elapsed", "$_total"]}, AT_RISK_GRACE_DAYS]}]
    }
    to_save = {"$subtract": ["$target_amount", "$start_amount"]}
    expected = {
        "$add": [
            "$start_amount",
            {"$divide": [{"$multiply": [to_save, behind_days]}, "$_total"]},
        ]
    }
    overdue = {"$lt": ["$target_date", day]}
    return {"$match": {"$expr": {"$or": [overdue, {"$lt": ["$current_amount", expected]}]}}}


def _at_risk_fields(at: datetime) -> Doc:
    """Each goal's planned and elapsed days (at least one planned)."""
    days = {"unit": "day"}
    planned = {"$dateDiff": {"startDate": "$created_at", "endDate": "$target_date", **days}}
    elapsed = {"$dateDiff": {"startDate": "$created_at", "endDate": at, **days}}
    return {"$addFields": {"_total": {"$max": [1, planned]}, "_elapsed": elapsed}}


def _summary_pipeline(user_id: ObjectId, at: datetime, day: date) -> list[Doc]:
    totals = {
        "_id": None,
        "target": {"$sum": "$target_amount"},
        "saved": {"$sum": "$current_amount"},
    }
    return [
        {"$match": {"user_id": user_id}},
        {
            "$facet": {
                "totals": [{"$match": {"status": {"$ne": "cancelled"}}}, {"$group": totals}],
                "by_status": [{"$group": {"_id": "$status", "count": {"$sum": 1}}}],
                "at_risk": [
                    {"$match": {"status": "active"}},
                    _at_risk_fields(at),
                    _behind_pace(day),
                    {"$sort": {"target_date": 1, "_id": 1}},
                ],
            }
        },
    ]
