"""Savings goals: progress, the monthly saving they need, contributions and milestones."""

from datetime import date, datetime

from bson import ObjectId
from fastapi import APIRouter, status
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from config import Settings
from core.dates import as_day, now_ms, today
from core.errors import Conflict, ErrorCode, NotFound, Unprocessable
from core.money import ZERO, format_money, from_sum
from database import Doc, delete_owned, get_owned, in_transaction, object_id, paginate
from goals.rules import (
    AT_RISK_GRACE_DAYS,
    OPEN_STATUSES,
    milestones_for,
    monthly_required,
    progress_percentage,
    remaining,
    settled_status,
)
from routes.deps import NO_CONTENT, CurrentUser, Db, Pagination, SettingsDep, responses
from schemas import (
    ContributionCreate,
    ContributionOut,
    ContributionResult,
    GoalCreate,
    GoalOut,
    GoalPriority,
    GoalStatus,
    GoalSummary,
    GoalType,
    GoalUpdate,
    NotificationType,
    Page,
)
from security import User
from services import notify

router = APIRouter(prefix="/goals", tags=["goals"])

E401 = responses(401)
E404 = responses((404, "Goal not found"))
E422 = responses((422, "Invalid input, or a target date in the past"))


# ---------------------------------------------------------------- derived figures


def _check_target_date(target_date: date, user: User) -> None:
    if target_date < today(user.timezone):
        raise Unprocessable(
            "target_date is in the past",
            code=ErrorCode.target_date_in_past,
            loc=("body", "target_date"),
        )


# ---------------------------------------------------------------- milestones


async def reach_milestones(
    db: Db, settings: Settings, user: User, goal: Doc, session: AsyncClientSession
) -> list[int]:
    """Record and notify the milestones the goal has newly reached, each at most once ever.

    The conditional `$addToSet` matches only while the milestone is unrecorded, so of any
    number of concurrent contributions exactly one records (and notifies) each milestone."""
    if goal["status"] == GoalStatus.cancelled:
        return []
    newly = []
    for milestone in milestones_for(goal["current_amount"], goal["target_amount"]):
        if milestone in goal.get("milestones_reached", []):
            continue
        result = await db.goals.update_one(
            {"_id": goal["_id"], "milestones_reached": {"$ne": milestone}},
            {"$addToSet": {"milestones_reached": milestone}},
            session=session,
        )
        if result.modified_count:
            newly.append(milestone)
            await _notify_milestone(db, settings, user, goal, milestone, session)
    return newly


async def _notify_milestone(
    db: Db,
    settings: Settings,
    user: User,
    goal: Doc,
    milestone: int,
    session: AsyncClientSession,
) -> None:
    currency = user.currency
    current, target = goal["current_amount"], goal["target_amount"]
    target_date = as_day(goal["target_date"])
    action_url = f"/goals/{goal['_id']}"
    if milestone >= 100:
        title = f"Goal reached: {goal['title']}"
        message = f"You have saved the full {format_money(target, currency)} for {goal['title']}."
    else:
        title = f"{milestone}% of your goal {goal['title']}"
        message = (
            f"You have saved {format_money(current, currency)} of {format_money(target, currency)} "
            f"for {goal['title']}."
        )
    context = {
        "goal_title": goal["title"],
        "milestone": milestone,
        "saved": current,
        "target": target,
        "remaining": remaining(current, target),
        "target_date": f"{target_date:%d %B %Y}",
        "monthly_required": monthly_required(current, target, target_date, today(user.timezone)),
        "currency": currency,
        "goal_url": settings.app_url + action_url,
    }
    await notify(
        db,
        user,
        NotificationType.goal_milestone,
        title,
        message,
        action_url=action_url,
        email=("goal_milestone", context),
        session=session,
    )


# ---------------------------------------------------------------- routes


@router.post("", status_code=status.HTTP_201_CREATED, responses={**E401, **E422})
async def create_goal(body: GoalCreate, user: CurrentUser, db: Db) -> GoalOut:
    """Create a savings goal (money already saved may be given as `current_amount`)."""
    values = body.values(user.timezone)
    _check_target_date(values["target_date"], user)
    at = now_ms()
    current, target = body.current_amount, body.target_amount
    goal_status = settled_status(body.status, current, target)
    doc: Doc = {
        "user_id": user.id,
        **values,
        "status": str(goal_status),
        "start_amount": current,  # the straight-line pace for "at risk" starts here
        # Savings brought in at creation are not news to the user: recorded, not notified.
        "milestones_reached": milestones_for(current, target),
        "completed_at": at if goal_status == GoalStatus.completed else None,
        "created_at": at,
        "updated_at": at,
    }
    doc["_id"] = (await db.goals.insert_one(doc)).inserted_id
    return GoalOut.of(doc, today(user.timezone))


@router.get("", responses=E401)
async def list_goals(
    user: CurrentUser,
    db: Db,
    page: Pagination,
    status: GoalStatus | None = None,
    goal_type: GoalType | None = None,
    priority: GoalPriority | None = None,
) -> Page[GoalOut]:
    """Your goals, newest first; filter by `status`, `goal_type` or `priority`."""
    query: Doc = {"user_id": user.id}
    for field, value in (("status", status), ("goal_type", goal_type), ("priority", priority)):
        if value is not None:
            query[field] = str(value)
    day = today(user.timezone)
    newest_first = [("created_at", -1), ("_id", -1)]
    return await paginate(db.goals, query, page, lambda d: GoalOut.of(d, day), sort=newest_first)


@router.get("/summary/all", responses=E401)
async def goals_summary(user: CurrentUser, db: Db) -> GoalSummary:
    """Totals, overall progress, counts by status and the active goals at risk."""
    day, at = today(user.timezone), now_ms()
    cursor = await db.goals.aggregate(_summary_pipeline(user.id, at, day))
    (facets,) = await cursor.to_list(None)
    totals = facets["totals"][0] if facets["totals"] else {"target": 0, "saved": 0}
    total_target, total_saved = from_sum(totals["target"]), from_sum(totals["saved"])
    by_status = {s: 0 for s in GoalStatus} | {
        GoalStatus(row["_id"]): row["count"] for row in facets["by_status"]
    }
    return GoalSummary(
        total_goals=sum(by_status.values()),
        by_status=by_status,
        total_target=total_target,
        total_saved=total_saved,
        total_remaining=remaining(total_saved, total_target),
        overall_progress=progress_percentage(total_saved, total_target) if total_target else ZERO,
        at_risk=[GoalOut.of(d, day) for d in facets["at_risk"]],
    )


def _summary_pipeline(user_id: ObjectId, at: datetime, day: date) -> list[Doc]:
    """One aggregation. At risk: an active goal whose target date has passed, or that is more
    than AT_RISK_GRACE_DAYS of saving behind the straight line from (created_at, start_amount)
    to (target_date, target_amount)."""
    days = {"unit": "day"}
    total_days = {
        "$max": [1, {"$dateDiff": {"startDate": "$created_at", "endDate": "$target_date", **days}}]
    }
    elapsed_days = {"$dateDiff": {"startDate": "$created_at", "endDate": at, **days}}
    behind_days = {
        "$max": [0, {"$subtract": [{"$min": ["$_elapsed", "$_total"]}, AT_RISK_GRACE_DAYS]}]
    }
    expected = {
        "$add": [
            "$start_amount",
            {
                "$divide": [
                    {
                        "$multiply": [
                            {"$subtract": ["$target_amount", "$start_amount"]},
                            behind_days,
                        ]
                    },
                    "$_total",
                ]
            },
        ]
    }
    return [
        {"$match": {"user_id": user_id}},
        {
            "$facet": {
                "totals": [
                    {"$match": {"status": {"$ne": "cancelled"}}},
                    {
                        "$group": {
                            "_id": None,
                            "target": {"$sum": "$target_amount"},
                            "saved": {"$sum": "$current_amount"},
                        }
                    },
                ],
                "by_status": [{"$group": {"_id": "$status", "count": {"$sum": 1}}}],
                "at_risk": [
                    {"$match": {"status": "active"}},
                    {"$addFields": {"_total": total_days, "_elapsed": elapsed_days}},
                    {
                        "$match": {
                            "$expr": {
                                "$or": [
                                    {"$lt": ["$target_date", day]},
                                    {"$lt": ["$current_amount", expected]},
                                ]
                            }
                        }
                    },
                    {"$sort": {"target_date": 1, "_id": 1}},
                ],
            }
        },
    ]


@router.get("/{goal_id}", responses={**E401, **E404})
async def get_goal(goal_id: str, user: CurrentUser, db: Db) -> GoalOut:
    """One goal with its progress and the monthly saving it needs."""
    return GoalOut.of(await get_owned(db.goals, goal_id, user.id, "goal"), today(user.timezone))


@router.put("/{goal_id}", responses={**E401, **E404, **E422})
async def update_goal(
    goal_id: str, body: GoalUpdate, user: CurrentUser, db: Db, settings: SettingsDep
) -> GoalOut:
    """Change a goal; its status follows the amounts (a raised target reopens a completed goal)."""
    changes = body.values(user.timezone, partial=True)
    if "target_date" in changes:
        _check_target_date(changes["target_date"], user)
    day = today(user.timezone)

    async def work(session: AsyncClientSession) -> Doc:
        goal = await get_owned(db.goals, goal_id, user.id, "goal", session=session)
        body.check_echo(GoalOut.of(goal, day))
        merged = goal | changes
        new_status = settled_status(
            str(merged["status"]), goal["current_amount"], merged["target_amount"]
        )
        update = {**changes, "status": str(new_status), "updated_at": now_ms()}
        if new_status != goal["status"]:
            update["completed_at"] = now_ms() if new_status == GoalStatus.completed else None
        updated = await db.goals.find_one_and_update(
            {"_id": goal["_id"]},
            {"$set": update},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        # A lowered target may reach milestones (even completion) without a contribution.
        await reach_milestones(db, settings, user, updated, session)
        return await db.goals.find_one({"_id": goal["_id"]}, session=session)

    return GoalOut.of(await in_transaction(db, work), today(user.timezone))


@router.delete("/{goal_id}", **NO_CONTENT, responses={**E401, **E404})
async def delete_goal(goal_id: str, user: CurrentUser, db: Db) -> None:
    """Delete a goal and its contributions."""

    await delete_owned(
        db, "goals", goal_id, user.id, "goal", children=("goal_contributions", "goal_id")
    )


@router.post(
    "/{goal_id}/contribute",
    status_code=status.HTTP_201_CREATED,
    responses={
        **E401,
        **E404,
        **E422,
        **responses((409, "The goal is completed or cancelled")),
    },
)
async def contribute(
    goal_id: str, body: ContributionCreate, user: CurrentUser, db: Db, settings: SettingsDep
) -> ContributionResult:
    """Add money to a goal; each milestone (25/50/75/100 %) is notified once, 100 % completes it."""
    day = today(user.timezone)
    on = body.values(user.timezone)["date"] or day
    if on > day:
        raise Unprocessable(
            "A contribution cannot be dated in the future",
            code=ErrorCode.future_date,
            loc=("body", "date"),
        )
    oid = object_id(goal_id)
    if oid is None:
        raise NotFound("goal")

    async def work(session: AsyncClientSession) -> tuple[Doc, Doc, list[int]]:
        at = now_ms()
        goal = await db.goals.find_one_and_update(
            {"_id": oid, "user_id": user.id, "status": {"$in": list(OPEN_STATUSES)}},
            {"$inc": {"current_amount": body.amount}, "$set": {"updated_at": at}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if goal is None:
            closed = await get_owned(db.goals, oid, user.id, "goal", session=session)
            raise Conflict(
                f"This goal is {closed['status']} and takes no more contributions",
                code=ErrorCode.goal_closed,
            )
        contribution: Doc = {
            "user_id": user.id,
            "goal_id": goal["_id"],
            "amount": body.amount,
            "date": on,
            "note": body.note,
            "created_at": at,
        }
        contribution["_id"] = (
            await db.goal_contributions.insert_one(contribution, session=session)
        ).inserted_id
        if settled_status(goal["status"], goal["current_amount"], goal["target_amount"]) == (
            GoalStatus.completed
        ):
            goal = await db.goals.find_one_and_update(
                {"_id": goal["_id"]},
                {"$set": {"status": str(GoalStatus.completed), "completed_at": at}},
                return_document=ReturnDocument.AFTER,
                session=session,
            )
        newly = await reach_milestones(db, settings, user, goal, session)
        goal["milestones_reached"] = sorted({*goal.get("milestones_reached", []), *newly})
        return goal, contribution, newly

    goal, contribution, newly = await in_transaction(db, work)
    return ContributionResult(
        goal=GoalOut.of(goal, today(user.timezone)),
        contribution=ContributionOut.model_validate(contribution),
        new_milestones=newly,
    )


@router.get("/{goal_id}/contributions", responses={**E401, **E404})
async def list_contributions(
    goal_id: str, user: CurrentUser, db: Db, page: Pagination
) -> Page[ContributionOut]:
    """A goal's contributions, newest first."""
    goal = await get_owned(db.goals, goal_id, user.id, "goal")
    query = {"user_id": user.id, "goal_id": goal["_id"]}
    newest_first = [("date", -1), ("_id", -1)]
    return await paginate(
        db.goal_contributions, query, page, ContributionOut.model_validate, sort=newest_first
    )
