"""Savings goals: derived figures, contributions, milestones (once each, also concurrently),
status rules, the summary and ownership."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from bson import ObjectId

from goals.rules import milestones_for, monthly_required, months_left
from tests.idempotent_creates import (
    check_concurrent,
    check_replay,
    check_resent,
    check_unreachable,
)

IST = ZoneInfo("Asia/Kolkata")


def today() -> date:
    return datetime.now(IST).date()


def in_months(months: int) -> date:
    """The same day `months` ahead (day clipped to 28 so every month has it)."""
    t = today()
    year, month = divmod(t.month - 1 + months, 12)
    return date(t.year + year, month + 1, min(t.day, 28))


def goal_body(**changes):
    return {
        "title": "Emergency Fund",
        "goal_type": "emergency_fund",
        "target_amount": 500000,
        "current_amount": 50000,
        "target_date": in_months(12).isoformat(),
        "priority": "high",
        "description": "6 months of expenses",
    } | changes


async def create_goal(client, user, **changes):
    r = await client.post("/api/goals", json=goal_body(**changes), headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()


async def contribute(client, user, goal_id, amount, **extra):
    return await client.post(
        f"/api/goals/{goal_id}/contribute", json={"amount": amount, **extra}, headers=user.headers
    )


async def milestone_notifications(client, user):
    r = await client.get("/api/notifications?limit=100", headers=user.headers)
    return [n for n in r.json()["items"] if n["notification_type"] == "goal_milestone"]


# ---------------------------------------------------------------- pure rules


@pytest.mark.parametrize(
    ("start", "target", "months"),
    [
        (date(2025, 1, 15), date(2025, 3, 15), 2),  # exactly two months
        (date(2025, 1, 15), date(2025, 3, 20), 3),  # a started month counts
        (date(2025, 1, 15), date(2025, 3, 10), 2),
        (date(2025, 1, 31), date(2025, 2, 28), 1),
        (date(2025, 1, 15), date(2025, 1, 15), 1),  # due today: at least one month
        (date(2025, 1, 15), date(2024, 12, 1), 1),  # overdue: everything now
        (date(2025, 1, 1), date(2026, 1, 1), 12),
    ],
)
def test_months_left(start, target, months):
    assert months_left(start, target) == months


def test_monthly_required_rounds_half_up_and_is_zero_once_reached():
    d0, d3 = date(2025, 1, 1), date(2025, 4, 1)
    assert monthly_required(Decimal("0"), Decimal("100"), d3, d0) == Decimal("33.33")
    assert monthly_required(Decimal("0"), Decimal("200.05"), d3, d0) == Decimal("66.68")
    assert monthly_required(Decimal("100"), Decimal("100"), d3, d0) == Decimal("0.00")
    assert monthly_required(Decimal("150"), Decimal("100"), d3, d0) == Decimal("0.00")


def test_milestones_are_compared_exactly():
    assert milestones_for(Decimal("249.99"), Decimal("1000")) == []
    assert milestones_for(Decimal("250"), Decimal("1000")) == [25]
    assert milestones_for(Decimal("999.99"), Decimal("1000")) == [25, 50, 75]
    assert milestones_for(Decimal("1200"), Decimal("1000")) == [25, 50, 75, 100]


# ---------------------------------------------------------------- create, read, list


async def test_owner_example_goal_with_derived_fields(client, user):
    goal = await create_goal(client, user, target_date=in_months(12).isoformat())
    assert goal["title"] == "Emergency Fund"
    assert goal["goal_type"] == "emergency_fund"
    assert goal["target_amount"] == 500000 and goal["current_amount"] == 50000
    assert goal["remaining_amount"] == 450000
    assert goal["priority"] == "high" and goal["status"] == "active"
    assert goal["progress_percentage"] == 10
    assert goal["months_left"] == 12
    assert goal["monthly_required"] == 37500  # 450000 / 12
    assert goal["milestones_reached"] == []
    assert "_id" not in goal and "user_id" not in goal
    r = await client.get(f"/api/goals/{goal['id']}", headers=user.headers)
    assert r.status_code == 200
    assert r.json() == goal | {
        "created_at": r.json()["created_at"],
        "updated_at": r.json()["updated_at"],
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"target_amount": -5},
        {"target_amount": 0},
        {"target_amount": "10.005"},
        {"target_amount": True},
        {"current_amount": -1},
        {"current_amount": "1.001"},
        {"goal_type": "yacht"},
        {"priority": "urgent"},
        {"status": "completed"},  # derived, never client-set
        {"title": ""},
        {"title": "x" * 201},
        {"target_date": "not-a-date"},
        {"target_date": "9999-12-31"},
        {"user_id": str(ObjectId())},
        {"progress_percentage": 50},
        {"monthly_required": 1},
    ],
)
async def test_create_rejects_bad_input(client, user, changes):
    r = await client.post("/api/goals", json=goal_body(**changes), headers=user.headers)
    assert r.status_code == 422, r.text


async def test_target_date_in_the_past_is_422(client, user):
    yesterday = (today() - timedelta(days=1)).isoformat()
    r = await client.post("/api/goals", json=goal_body(target_date=yesterday), headers=user.headers)
    assert r.status_code == 422
    assert r.json()["code"] == "target_date_in_past"


async def test_goal_created_already_funded_is_completed_without_notifications(client, user, db):
    goal = await create_goal(client, user, target_amount=1000, current_amount=1000)
    assert goal["status"] == "completed" and goal["completed_at"] is not None
    assert goal["milestones_reached"] == [25, 50, 75, 100]
    assert goal["monthly_required"] == 0
    assert await db.notifications.count_documents({"notification_type": "goal_milestone"}) == 0


async def test_list_filters_and_paginates_newest_first(client, user):
    first = await create_goal(client, user, title="Trip", goal_type="travel", priority="low")
    second = await create_goal(client, user, title="Car", goal_type="vehicle")
    third = await create_goal(client, user, title="House", goal_type="home", status="paused")
    r = await client.get("/api/goals?limit=2", headers=user.headers)
    page = r.json()
    assert page["total"] == 3 and page["limit"] == 2
    assert [g["id"] for g in page["items"]] == [third["id"], second["id"]]
    r = await client.get("/api/goals?skip=2&limit=2", headers=user.headers)
    assert [g["id"] for g in r.json()["items"]] == [first["id"]]
    r = await client.get("/api/goals?status=paused", headers=user.headers)
    assert [g["id"] for g in r.json()["items"]] == [third["id"]]
    r = await client.get("/api/goals?goal_type=travel&priority=low", headers=user.headers)
    assert [g["id"] for g in r.json()["items"]] == [first["id"]]
    r = await client.get("/api/goals?status=bogus", headers=user.headers)
    assert r.status_code == 422
    r = await client.get("/api/goals?limit=101", headers=user.headers)
    assert r.status_code == 422


# ---------------------------------------------------------------- contributions and milestones


async def test_contributions_reach_each_milestone_once_and_complete_the_goal(
    client, user, deliver, mailbox
):
    goal = await create_goal(client, user, target_amount=1234567, current_amount=0)
    gid = goal["id"]

    r = await contribute(client, user, gid, 308641.75, note="Bonus")  # exactly 25 %
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["new_milestones"] == [25]
    assert body["goal"]["current_amount"] == 308641.75
    assert body["goal"]["progress_percentage"] == 25
    assert body["contribution"]["amount"] == 308641.75
    assert body["contribution"]["goal_id"] == gid and body["contribution"]["note"] == "Bonus"

    r = await contribute(client, user, gid, 1)  # still between 25 and 50: nothing new
    assert r.json()["new_milestones"] == []

    r = await contribute(client, user, gid, 925924.25)  # 25 % -> 100 % in one go
    body = r.json()
    assert body["new_milestones"] == [50, 75, 100]
    assert body["goal"]["status"] == "completed"
    assert body["goal"]["completed_at"] is not None
    assert body["goal"]["progress_percentage"] == 100
    assert body["goal"]["monthly_required"] == 0
    assert body["goal"]["milestones_reached"] == [25, 50, 75, 100]

    # A completed goal takes no more money.
    r = await contribute(client, user, gid, 10)
    assert r.status_code == 409 and r.json()["code"] == "goal_closed"

    notes = await milestone_notifications(client, user)
    titles = [n["title"] for n in notes]
    assert titles == [
        "Goal reached: Emergency Fund",
        "75% of your goal Emergency Fund",
        "50% of your goal Emergency Fund",
        "25% of your goal Emergency Fund",
    ]
    assert all(n["action_url"] == f"/goals/{gid}" for n in notes)

    assert await deliver() >= 5  # welcome + 4 milestone emails (+ pushes)
    subjects = sorted(m["Subject"] for m in mailbox())
    assert subjects == sorted(
        [
            "Welcome to Cleero Financial Compass",
            "25% of your goal Emergency Fund",
            "50% of your goal Emergency Fund",
            "75% of your goal Emergency Fund",
            "Goal reached: Emergency Fund",
        ]
    )
    reached = next(m for m in mailbox() if m["Subject"] == "Goal reached: Emergency Fund")
    html = reached.get_body(("html",)).get_content()
    assert "₹12,34,567.00" in html and f"/goals/{gid}" in html
    assert "₹12,34,567.00" in reached.get_body(("plain",)).get_content()

    r = await client.get(f"/api/goals/{gid}/contributions", headers=user.headers)
    page = r.json()
    assert page["total"] == 3
    assert [c["amount"] for c in page["items"]] == [925924.25, 1, 308641.75]  # newest first


async def test_ten_concurrent_contributions_notify_each_milestone_exactly_once(client, user, db):
    goal = await create_goal(client, user, target_amount=1000, current_amount=0)
    responses = await asyncio.gather(
        *[contribute(client, user, goal["id"], 100) for _ in range(10)]
    )
    assert [r.status_code for r in responses] == [201] * 10
    reported = sorted(m for r in responses for m in r.json()["new_milestones"])
    assert reported == [25, 50, 75, 100]

    stored = await db.goals.find_one({"_id": ObjectId(goal["id"])})
    assert stored["current_amount"] == Decimal("1000")
    assert sorted(stored["milestones_reached"]) == [25, 50, 75, 100]
    assert stored["status"] == "completed"
    assert await db.goal_contributions.count_documents({"goal_id": stored["_id"]}) == 10
    assert await db.notifications.count_documents({"notification_type": "goal_milestone"}) == 4
    emails = await db.outbox.count_documents(
        {"kind": "email", "payload.subject": {"$ne": "Welcome to Cleero Financial Compass"}}
    )
    assert emails == 4
    assert await db.outbox.count_documents({"kind": "push"}) == 4


async def test_concurrent_contributions_past_the_target_never_lose_money(client, user, db):
    goal = await create_goal(client, user, target_amount=300, current_amount=0)
    responses = await asyncio.gather(*[contribute(client, user, goal["id"], 100) for _ in range(6)])
    ok = [r for r in responses if r.status_code == 201]
    assert all(r.status_code in (201, 409) for r in responses)
    stored = await db.goals.find_one({"_id": ObjectId(goal["id"])})
    # Every accepted contribution is counted, none after completion.
    assert stored["current_amount"] == Decimal(100 * len(ok)) == Decimal("300")
    assert await db.goal_contributions.count_documents({"goal_id": stored["_id"]}) == len(ok)
    assert await db.notifications.count_documents({"notification_type": "goal_milestone"}) == 4


async def test_paused_goal_takes_contributions_cancelled_does_not(client, user):
    goal = await create_goal(client, user, target_amount=1000, current_amount=0, status="paused")
    r = await contribute(client, user, goal["id"], 300)
    assert r.status_code == 201
    assert r.json()["goal"]["status"] == "paused"
    assert r.json()["new_milestones"] == [25]
    r = await client.put(
        f"/api/goals/{goal['id']}", json={"status": "cancelled"}, headers=user.headers
    )
    assert r.json()["status"] == "cancelled"
    r = await contribute(client, user, goal["id"], 300)
    assert r.status_code == 409 and r.json()["code"] == "goal_closed"


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 0},
        {"amount": -1},
        {"amount": "1.234"},
        {"amount": 1, "goal_id": "x"},
        {"amount": 1, "date": "0001-01-01"},
        {"amount": 1, "date": "yesterday"},
        {},
    ],
)
async def test_contribution_rejects_bad_input(client, user, body):
    goal = await create_goal(client, user)
    r = await client.post(f"/api/goals/{goal['id']}/contribute", json=body, headers=user.headers)
    assert r.status_code == 422


async def test_contribution_date_is_a_day_in_the_users_timezone(client, user):
    goal = await create_goal(client, user)
    r = await contribute(client, user, goal["id"], 10, date="2024-03-01")
    assert r.status_code == 201
    assert r.json()["contribution"]["date"] == "2024-03-01"
    r = await contribute(client, user, goal["id"], 10, date="2024-02-29T18:30:00Z")
    assert r.json()["contribution"]["date"] == "2024-03-01"  # midnight in Kolkata
    tomorrow = (today() + timedelta(days=1)).isoformat()
    r = await contribute(client, user, goal["id"], 10, date=tomorrow)
    assert r.status_code == 422 and r.json()["code"] == "future_date"


# ---------------------------------------------------------------- update and delete


async def test_update_status_follows_the_amounts(client, user, db):
    goal = await create_goal(client, user, target_amount=1000, current_amount=0)
    gid = goal["id"]
    await contribute(client, user, gid, 1000)
    r = await client.get(f"/api/goals/{gid}", headers=user.headers)
    assert r.json()["status"] == "completed"

    # Raising the target reopens it; milestones already notified stay notified.
    r = await client.put(f"/api/goals/{gid}", json={"target_amount": 4000}, headers=user.headers)
    assert r.status_code == 200
    assert r.json()["status"] == "active" and r.json()["completed_at"] is None
    assert r.json()["progress_percentage"] == 25
    r = await contribute(client, user, gid, 1000)  # 50 % of the new target
    assert r.json()["new_milestones"] == []  # 50 was already reached once

    # Lowering the target to what is saved completes it, and "reached" is not notified twice.
    before = await db.notifications.count_documents({"notification_type": "goal_milestone"})
    r = await client.put(f"/api/goals/{gid}", json={"target_amount": 2000}, headers=user.headers)
    assert r.json()["status"] == "completed"
    assert await db.notifications.count_documents({"notification_type": "goal_milestone"}) == before

    # A client asking for "active" on a reached goal gets the truth.
    r = await client.put(f"/api/goals/{gid}", json={"status": "active"}, headers=user.headers)
    assert r.json()["status"] == "completed"


async def test_lowering_the_target_notifies_new_milestones(client, user, db):
    goal = await create_goal(client, user, target_amount=1000, current_amount=0)
    await contribute(client, user, goal["id"], 400)  # 40 %: 25 notified
    r = await client.put(
        f"/api/goals/{goal['id']}", json={"target_amount": 400}, headers=user.headers
    )
    assert r.json()["status"] == "completed"
    assert r.json()["milestones_reached"] == [25, 50, 75, 100]
    titles = sorted(n["title"] for n in await milestone_notifications(client, user))
    assert titles == sorted(
        [
            "25% of your goal Emergency Fund",
            "50% of your goal Emergency Fund",
            "75% of your goal Emergency Fund",
            "Goal reached: Emergency Fund",
        ]
    )


@pytest.mark.parametrize(
    "body",
    [
        {"status": "completed"},
        {"current_amount": 10},
        {"progress_percentage": 1},
        {"title": None},
        {"target_amount": None},
        {"target_amount": -1},
        {"user_id": str(ObjectId())},
    ],
)
async def test_update_rejects_bad_input(client, user, body):
    goal = await create_goal(client, user)
    r = await client.put(f"/api/goals/{goal['id']}", json=body, headers=user.headers)
    assert r.status_code == 422, r.text


async def test_update_changes_fields_and_keeps_the_rest(client, user):
    goal = await create_goal(client, user)
    new_date = in_months(24).isoformat()
    r = await client.put(
        f"/api/goals/{goal['id']}",
        json={
            "title": "  Rainy day  ",
            "priority": "low",
            "target_date": new_date,
            "description": None,
        },
        headers=user.headers,
    )
    assert r.status_code == 200
    out = r.json()
    assert out["title"] == "Rainy day" and out["priority"] == "low"
    assert out["target_date"] == new_date and out["description"] is None
    assert out["months_left"] == 24 and out["monthly_required"] == 18750  # 450000 / 24
    assert out["goal_type"] == "emergency_fund" and out["target_amount"] == 500000
    past = (today() - timedelta(days=3)).isoformat()
    r = await client.put(
        f"/api/goals/{goal['id']}", json={"target_date": past}, headers=user.headers
    )
    assert r.status_code == 422


async def test_delete_goal_removes_its_contributions(client, user, db):
    goal = await create_goal(client, user)
    keep = await create_goal(client, user, title="Keep")
    await contribute(client, user, goal["id"], 10)
    await contribute(client, user, keep["id"], 10)
    r = await client.delete(f"/api/goals/{goal['id']}", headers=user.headers)
    assert r.status_code == 204
    r = await client.get(f"/api/goals/{goal['id']}", headers=user.headers)
    assert r.status_code == 404 and r.json()["code"] == "goal_not_found"
    assert await db.goal_contributions.count_documents({"goal_id": ObjectId(goal["id"])}) == 0
    assert await db.goal_contributions.count_documents({"goal_id": ObjectId(keep["id"])}) == 1
    r = await client.delete(f"/api/goals/{goal['id']}", headers=user.headers)
    assert r.status_code == 404


# ---------------------------------------------------------------- summary


async def test_summary_totals_counts_and_goals_at_risk(client, user, other_user, db):
    on_pace = await create_goal(
        client, user, title="On pace", target_amount=1000, current_amount=500
    )
    behind = await create_goal(client, user, title="Behind", target_amount=1200, current_amount=0)
    overdue = await create_goal(client, user, title="Overdue", target_amount=100, current_amount=0)
    await create_goal(client, user, title="Done", target_amount=100, current_amount=100)
    await create_goal(client, user, title="Dropped", target_amount=999, status="cancelled")
    await create_goal(
        client, user, title="Later", target_amount=100, current_amount=0, status="paused"
    )
    await create_goal(client, other_user, title="Not mine", target_amount=10**9)
    # Just started with nothing saved: within the grace period, not at risk.
    await create_goal(client, user, title="Fresh", target_amount=100, current_amount=0)

    # Pretend "Behind" started ~6 months ago with a year to go and nothing saved since, and
    # "Overdue" reached its date a week ago. "On pace" started from 0 three months ago and has
    # saved half already.
    at = datetime.now(UTC)
    await db.goals.update_one(
        {"_id": ObjectId(behind["id"])}, {"$set": {"created_at": at - timedelta(days=180)}}
    )
    await db.goals.update_one(
        {"_id": ObjectId(overdue["id"])},
        {
            "$set": {
                "target_date": datetime.combine(
                    today() - timedelta(days=7), datetime.min.time(), UTC
                )
            }
        },
    )
    await db.goals.update_one(
        {"_id": ObjectId(on_pace["id"])},
        {"$set": {"created_at": at - timedelta(days=90), "start_amount": Decimal("0")}},
    )

    r = await client.get("/api/goals/summary/all", headers=user.headers)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["total_goals"] == 7
    assert s["by_status"] == {"active": 4, "completed": 1, "paused": 1, "cancelled": 1}
    # Cancelled goals are left out of the money totals.
    assert s["total_target"] == 1000 + 1200 + 100 + 100 + 100 + 100
    assert s["total_saved"] == 600
    assert s["total_remaining"] == 2000
    assert s["overall_progress"] == 23.08  # 600 / 2600
    assert sorted(g["title"] for g in s["at_risk"]) == ["Behind", "Overdue"]


async def test_summary_of_no_goals(client, user):
    r = await client.get("/api/goals/summary/all", headers=user.headers)
    assert r.json() == {
        "total_goals": 0,
        "by_status": {"active": 0, "completed": 0, "paused": 0, "cancelled": 0},
        "total_target": 0,
        "total_saved": 0,
        "total_remaining": 0,
        "overall_progress": 0,
        "at_risk": [],
    }


# ---------------------------------------------------------------- ownership


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PUT", "", {"title": "Mine now"}),
        ("DELETE", "", None),
        ("POST", "/contribute", {"amount": 100}),
        ("GET", "/contributions", None),
    ],
)
async def test_someone_elses_or_malformed_goal_id_is_404(
    client, user, other_user, db, method, suffix, body
):
    theirs = await create_goal(client, other_user, target_amount=1000, current_amount=0)
    for goal_id in (theirs["id"], str(ObjectId()), "not-an-id", "1234"):
        r = await client.request(
            method, f"/api/goals/{goal_id}{suffix}", json=body, headers=user.headers
        )
        assert r.status_code == 404, (goal_id, r.text)
        assert r.json()["code"] == "goal_not_found"
    stored = await db.goals.find_one({"_id": ObjectId(theirs["id"])})
    assert stored["title"] == "Emergency Fund" and stored["current_amount"] == 0
    assert await db.goal_contributions.count_documents({}) == 0
    r = await client.get("/api/goals", headers=user.headers)
    assert r.json()["total"] == 0


async def test_goals_need_authentication(client):
    r = await client.get("/api/goals")
    assert r.status_code == 401


# ---------------------------------------------------------------- Idempotency-Key, retries


async def test_an_idempotency_key_makes_one_goal(client, user, db):
    body, other = goal_body(), goal_body(target_amount=600000)
    await check_replay(client, db, user, "/api/goals", body, other, "goals")
    await check_concurrent(client, db, user, "/api/goals", body, "goals")


async def test_an_idempotency_key_makes_one_contribution(client, user, db):
    goal = await create_goal(client, user, target_amount=1000, current_amount=0)
    path = f"/api/goals/{goal['id']}/contribute"
    first = await check_replay(
        client, db, user, path, {"amount": 300}, {"amount": 301}, "goal_contributions"
    )
    assert first["new_milestones"] == [25]  # 300 of 1,000
    await check_concurrent(client, db, user, path, {"amount": 100}, "goal_contributions")
    # Three contributions stored (the first, the one without a key, the concurrent one):
    # 300 + 300 + 100 = 700, and each milestone was notified once: 25 and 50 %.
    stored = await db.goals.find_one({"_id": ObjectId(goal["id"])})
    assert stored["current_amount"] == Decimal("700.00")
    assert sorted(stored["milestones_reached"]) == [25, 50]
    assert await db.notifications.count_documents({"notification_type": "goal_milestone"}) == 2
    # One key is bound to one goal: the same body to another goal is another request.
    key = {"Idempotency-Key": "k"}
    other = await create_goal(client, user, target_amount=1000, current_amount=0)
    for gid in (goal["id"], other["id"]):
        r = await client.post(
            f"/api/goals/{gid}/contribute", json={"amount": 1}, headers=user.headers | key
        )
        assert r.status_code == (201 if gid == goal["id"] else 422), r.text


async def test_a_goal_sent_again_after_it_landed_is_the_same_write(client, user, db, monkeypatch):
    created = await check_resent(client, db, user, "/api/goals", goal_body(), "goals", monkeypatch)
    r = await client.get(f"/api/goals/{created['id']}", headers=user.headers)
    assert created == r.json()
    await check_unreachable(client, db, user, "/api/goals", goal_body(), "goals", monkeypatch)


async def test_a_contribution_sent_again_after_it_landed_is_the_same_write(
    client, user, db, monkeypatch
):
    goal = await create_goal(client, user, target_amount=1000, current_amount=0)
    path = f"/api/goals/{goal['id']}/contribute"
    result = await check_resent(
        client, db, user, path, {"amount": 500}, "goal_contributions", monkeypatch
    )
    # Counted once, and the answer is the first attempt's: it reached 25 and 50 %.
    assert result["goal"]["current_amount"] == 500 and result["new_milestones"] == [25, 50]
    assert await db.notifications.count_documents({"notification_type": "goal_milestone"}) == 2
    await check_unreachable(
        client, db, user, path, {"amount": 1}, "goal_contributions", monkeypatch
    )
