"""Savings-goal workflows: creating a goal, changing it, contributing to it, and the
milestones a change reaches, each recorded once and notified in the transaction of the
change that reached it. A create and a contribution take an Idempotency-Key."""

from datetime import date

from bson import ObjectId
from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import as_day, now_ms, today
from core.errors import Conflict, ErrorCode, NotFound, Unprocessable
from core.idempotency import digest_of, write_once
from core.money import format_money
from core.sync import Expected, check_version, stamp
from database import Doc, get_owned, in_transaction, object_id
from goals import store
from goals.rules import milestones_for, monthly_required, remaining, settled_status
from schemas import (
    ContributionCreate,
    ContributionOut,
    ContributionResult,
    GoalCreate,
    GoalOut,
    GoalStatus,
    GoalUpdate,
    NotificationType,
)
from security import User
from services import notify


def check_target_date(target_date: date, user: User) -> None:
    if target_date < today(user.timezone):
        raise Unprocessable(
            "target_date is in the past",
            code=ErrorCode.target_date_in_past,
            loc=("body", "target_date"),
        )


def _digest(endpoint: str, body: BaseModel) -> str:
    """A key is bound to the endpoint (a contribution: to its goal) and the body as sent."""
    return digest_of(endpoint.encode(), body.model_dump(mode="json", exclude_unset=True))


# ---------------------------------------------------------------- milestones


async def reach_milestones(
    db: AsyncDatabase, app_url: str, user: User, goal: Doc, session: AsyncClientSession
) -> list[int]:
    """Record and notify the milestones the goal (as it is now in `session`) has newly
    reached, each at most once ever, whatever the concurrency (`store.record_milestone`)."""
    if goal["status"] == GoalStatus.cancelled:
        return []
    newly = []
    for milestone in milestones_for(goal["current_amount"], goal["target_amount"]):
        if milestone in goal.get("milestones_reached", []):
            continue
        if await store.record_milestone(db, goal, milestone, session):
            newly.append(milestone)
            await _notify_milestone(db, app_url, user, goal, milestone, session)
    return newly


async def _notify_milestone(
    db: AsyncDatabase,
    app_url: str,
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
        "goal_url": app_url + action_url,
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


# ---------------------------------------------------------------- goals


async def create_goal(
    db: AsyncDatabase, user: User, body: GoalCreate, key: str | None
) -> tuple[GoalOut, bool]:
    """(the goal, whether it replays an earlier request with this key). Money already saved
    may be given: the milestones it reaches are recorded, not notified (no news to you)."""
    values = body.values(user.timezone)
    check_target_date(values["target_date"], user)
    at, day = now_ms(), today(user.timezone)
    current, target = body.current_amount, body.target_amount
    goal_status = settled_status(body.status, current, target)
    doc: Doc = {
        "_id": ObjectId(),
        "user_id": user.id,
        **values,
        "status": str(goal_status),
        "start_amount": current,  # the straight-line pace for "at risk" starts here
        "milestones_reached": milestones_for(current, target),
        "completed_at": at if goal_status == GoalStatus.completed else None,
        "created_at": at,
        "updated_at": at,
    }

    async def work(session: AsyncClientSession) -> Doc:
        doc["sync_seq"] = await stamp(db, user.id, session)
        await db.goals.insert_one(doc, session=session)
        return GoalOut.of(doc, day).stored()

    async def already_written() -> Doc | None:
        stored = await db.goals.find_one({"_id": doc["_id"], "user_id": user.id})
        return None if stored is None else GoalOut.of(stored, day).stored()

    answer, replayed = await write_once(
        db, user.id, key, _digest("goals", body), work, already_written=already_written
    )
    goal = GoalOut.model_validate(answer)
    return (goal if replayed else goal.as_of(day)), replayed


async def update_goal(
    db: AsyncDatabase,
    app_url: str,
    user: User,
    goal_id: str,
    body: GoalUpdate,
    expected: Expected = None,
) -> GoalOut:
    """Change a goal; its status follows the amounts (a raised target reopens a completed
    goal), and a lowered target may reach milestones (even completion) by itself. Another
    version than an If-Match's `expected` is a 412."""
    changes = body.values(user.timezone, partial=True)
    if "target_date" in changes:
        check_target_date(changes["target_date"], user)
    day = today(user.timezone)

    async def work(session: AsyncClientSession) -> Doc:
        goal = await get_owned(db.goals, goal_id, user.id, "goal", session=session)
        check_version(goal, expected, "goal")
        merged = goal | changes
        new_status = settled_status(
            str(merged["status"]), goal["current_amount"], merged["target_amount"]
        )
        update = {**changes, "status": str(new_status), "updated_at": now_ms()}
        if new_status != goal["status"]:
            update["completed_at"] = now_ms() if new_status == GoalStatus.completed else None
        updated = await store.set_fields(db, goal, update, session)
        await reach_milestones(db, app_url, user, updated, session)
        return await get_owned(db.goals, goal["_id"], user.id, "goal", session=session)

    return GoalOut.of(await in_transaction(db, work), day)


# ---------------------------------------------------------------- contributions


def _result(goal: Doc, contribution: Doc, newly: list[int], day: date) -> Doc:
    return ContributionResult(
        goal=GoalOut.of(goal, day),
        contribution=ContributionOut.model_validate(contribution),
        new_milestones=newly,
    ).model_dump()


async def contribute(
    db: AsyncDatabase,
    app_url: str,
    user: User,
    goal_id: str,
    body: ContributionCreate,
    key: str | None,
) -> tuple[ContributionResult, bool]:
    """(the result, whether it replays): the money added to an open goal, the goal completed
    at its target, the milestones reached notified, the contribution stored, in one
    transaction. A completed or cancelled goal takes no more money (409)."""
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
    at = now_ms()
    contribution: Doc = {"_id": ObjectId(), "user_id": user.id, "goal_id": oid}
    contribution |= {"amount": body.amount, "date": on, "note": body.note, "created_at": at}

    async def work(session: AsyncClientSession) -> Doc:
        goal = await store.add_money(db, user.id, oid, body.amount, at, session)
        if goal is None:
            closed = await get_owned(db.goals, oid, user.id, "goal", session=session)
            raise Conflict(
                f"This goal is {closed['status']} and takes no more contributions",
                code=ErrorCode.goal_closed,
            )
        if settled_status(goal["status"], goal["current_amount"], goal["target_amount"]) == (
            GoalStatus.completed
        ):
            done = {"status": str(GoalStatus.completed), "completed_at": at}
            goal = await store.set_fields(db, goal, done, session)
        newly = await reach_milestones(db, app_url, user, goal, session)
        goal["milestones_reached"] = sorted({*goal.get("milestones_reached", []), *newly})
        # What it reached is kept with it: a repeat of this very write answers the same.
        stored = contribution | {"new_milestones": newly}
        stored["sync_seq"] = await stamp(db, user.id, session)
        await db.goal_contributions.insert_one(stored, session=session)
        return _result(goal, stored, newly, day)

    async def already_written() -> Doc | None:
        mine = {"_id": contribution["_id"], "user_id": user.id}
        stored = await db.goal_contributions.find_one(mine)
        goal = await db.goals.find_one({"_id": oid, "user_id": user.id})
        if stored is None or goal is None:
            return None
        return _result(goal, stored, stored["new_milestones"], day)

    endpoint = f"goals/{oid}/contribute"
    answer, replayed = await write_once(
        db, user.id, key, _digest(endpoint, body), work, already_written=already_written
    )
    return ContributionResult.model_validate(answer), replayed
