"""Savings goals: progress, the monthly saving they need, contributions and milestones (the
workflows: `goals.service`)."""

from fastapi import APIRouter, Response, status

from core.dates import now_ms, today
from core.money import ZERO, from_sum
from database import Doc, delete_owned, get_owned, paginate
from goals import service, store
from goals.rules import progress_percentage, remaining
from routes.deps import (
    NO_CONTENT,
    CurrentUser,
    Db,
    ETagged,
    IdempotencyKey,
    IfMatch,
    IfNoneMatch,
    Pagination,
    SettingsDep,
    responses,
    tagged,
)
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
    Page,
)

router = APIRouter(prefix="/goals", tags=["goals"])

E401 = responses(401)
E404 = responses((404, "Goal not found"))
E422 = responses((422, "Invalid input, or a target date in the past"))
E304, E412 = responses(304), responses(412)
E422_KEYED = responses(
    (
        422,
        "Invalid input, a target date in the past, or an Idempotency-Key used with another request",
    )
)
IN_PROGRESS = "a request with this Idempotency-Key is still being processed"
REPLAYED = {"Idempotent-Replayed": "true"}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **tagged(201),
        **E401,
        **E422_KEYED,
        **responses((409, IN_PROGRESS.capitalize())),
    },
)
async def create_goal(
    body: GoalCreate,
    user: CurrentUser,
    db: Db,
    response: Response,
    tag: ETagged,
    idempotency_key: IdempotencyKey = None,
) -> GoalOut:
    """Create a savings goal (money already saved may be given as `current_amount`)."""
    goal, replayed = await service.create_goal(db, user, body, idempotency_key)
    if replayed:
        response.headers.update(REPLAYED)
    return tag(goal)


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
    return await paginate(
        db.goals, query, page, lambda d: GoalOut.of(d, day), sort=store.NEWEST_FIRST
    )


@router.get("/summary/all", responses=E401)
async def get_goals_summary(user: CurrentUser, db: Db) -> GoalSummary:
    """Totals, overall progress, counts by status and the active goals at risk."""
    day = today(user.timezone)
    facets = await store.summary(db, user.id, now_ms(), day)
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


@router.get("/{goal_id}", responses={**tagged(), **E304, **E401, **E404})
async def get_goal(goal_id: str, user: CurrentUser, db: Db, tag: IfNoneMatch) -> GoalOut:
    """One goal with its progress and the monthly saving it needs."""
    doc = await get_owned(db.goals, goal_id, user.id, "goal")
    return tag(GoalOut.of(doc, today(user.timezone)))


@router.put("/{goal_id}", responses={**tagged(), **E401, **E404, **E412, **E422})
async def update_goal(
    goal_id: str,
    body: GoalUpdate,
    user: CurrentUser,
    db: Db,
    settings: SettingsDep,
    if_match: IfMatch,
    tag: ETagged,
) -> GoalOut:
    """Change a goal; its status follows the amounts (a raised target reopens a completed goal)."""
    return tag(await service.update_goal(db, settings.app_url, user, goal_id, body, if_match))


@router.delete("/{goal_id}", **NO_CONTENT, responses={**E401, **E404, **E412})
async def delete_goal(goal_id: str, user: CurrentUser, db: Db, if_match: IfMatch) -> None:
    """Delete a goal and its contributions."""
    await delete_owned(
        db, "goals", goal_id, user.id, "goal", ("goal_contributions", "goal_id"), if_match
    )


@router.post(
    "/{goal_id}/contribute",
    status_code=status.HTTP_201_CREATED,
    responses={
        **E401,
        **E404,
        **E422_KEYED,
        **responses((409, f"The goal is completed or cancelled, or {IN_PROGRESS}")),
    },
)
async def contribute(
    goal_id: str,
    body: ContributionCreate,
    user: CurrentUser,
    db: Db,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ContributionResult:
    """Add money to a goal; each milestone (25/50/75/100 %) is notified once, 100 % completes it."""
    result, replayed = await service.contribute(
        db, settings.app_url, user, goal_id, body, idempotency_key
    )
    if replayed:
        response.headers.update(REPLAYED)
    return result


@router.get("/{goal_id}/contributions", responses={**E401, **E404})
async def list_contributions(
    goal_id: str, user: CurrentUser, db: Db, page: Pagination
) -> Page[ContributionOut]:
    """A goal's contributions, newest first."""
    goal = await get_owned(db.goals, goal_id, user.id, "goal")
    query = {"user_id": user.id, "goal_id": goal["_id"]}
    return await paginate(
        db.goal_contributions,
        query,
        page,
        ContributionOut.model_validate,
        sort=store.LATEST_CONTRIBUTIONS,
    )
