"""Dashboard: every figure of the home screen against hand-computed values, a fixed number of
database round trips whatever the data size, and nobody else's data."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from bson import ObjectId
from pymongo import monitoring

from core.dates import current_month, local_date, start_of_day
from database import connect, get_database
from tests.factories import (
    account,
    budget,
    debt,
    expense,
    get,
    goal,
    income,
    pay,
    seed_other_user,
)

TZ = "Asia/Kolkata"
# 11 queries of the dashboard itself + 1 of authentication (the user, with its sessions): 7 of
# this month and the feed, 1 of the credit cards, 3 of the look ahead (recurring items, EMIs,
# accounts). These users have no account: each adds 6 (its balance: the last statement, the
# month counters and four sums), 4 more when its latest entry is in an earlier month than
# this one (the four sums of that month: the balance's date); each card with a statement day
# 6 more (its four sums by day, its imported statements and its EMIs), read once for the
# cards block and the card dues; and with any card, 1 more: the account that paid each card
# last (where its dues are paid from).
ROUND_TRIPS = 12
PER_ACCOUNT = 6
LAST_ENTRY_EARLIER = 4
PER_CARD = 6
CARD_PAYERS = 1


def iso(moment):
    return moment.isoformat()


def today_at(minutes):
    """Today in Asia/Kolkata, `minutes` after midnight (this month, and before tonight)."""
    return start_of_day(local_date(datetime.now(UTC), TZ), TZ) + timedelta(minutes=minutes)


def due(emi, days):
    return {"monthly_emi": emi, "next_payment_date": in_days(days)}


def in_days(days):
    return (local_date(datetime.now(UTC), TZ) + timedelta(days=days)).isoformat()


async def seed_dashboard(client, user):
    await income(client, user, 80000, iso(today_at(1)))
    await income(client, user, 20000, iso(today_at(2)), "freelance", "Client")
    await expense(client, user, 1500.25, iso(today_at(3)), title="Groceries")
    await expense(client, user, 20000, iso(today_at(4)), category="rent", title="Rent")
    await expense(client, user, 3000, iso(today_at(5)), category="travel", title="Train")
    month_start = start_of_day(date(*current_month(TZ), 1), TZ)  # this month's first instant
    await expense(client, user, 700, iso(month_start - timedelta(hours=2)), title="Last month")
    ancient = datetime.now(UTC) - timedelta(days=400)
    await expense(client, user, 50, iso(ancient), title="Long ago")

    home = await debt(client, user, "Home", "home_loan", 1000000, 12, **due(20000, 10))
    car = await debt(client, user, "Car", "car_loan", 200000, 10, **due(5000, 3))
    personal = [
        await debt(client, user, f"Personal {days}", "personal_loan", 10000, 0, **due(1000, days))
        for days in (1, 2, 4, 5)
    ]
    closed = await debt(client, user, "Closed", "other", 50000, 0, **due(7000, 0))
    r = await client.put(
        f"/api/debts/{closed['id']}", json={"status": "closed"}, headers=user.headers
    )
    assert r.status_code == 200, r.text
    # A prepayment lowers the principal and leaves the due date alone.
    payment = await pay(client, user, car["id"], 10000, iso(today_at(6)), payment_type="prepayment")

    await budget(client, user, "food", 2000)
    await budget(client, user, "travel", 2500)
    await budget(client, user, "shopping", 1000)
    await budget(client, user, "rent", 1, active=False)
    soon = await goal(client, user, "Car fund", 50000, target_date=in_days(365))
    later = await goal(client, user, "Emergency", 100000, current_amount=25000)
    await goal(client, user, "Paused", 1000, status="paused")
    return {
        "home": home,
        "car": car,
        "personal": personal,
        "payment": payment,
        "goals": (soon, later),
    }


async def test_dashboard_matches_hand_computed_figures(client, user, other_user, db):
    ids = await seed_dashboard(client, user)
    await seed_other_user(client, other_user)
    await income(client, other_user, 55555, iso(today_at(7)), source="Not yours")
    await expense(client, other_user, 44444, iso(today_at(8)), title="Not yours")
    board = await get(client, user, "/api/dashboard")

    assert board["month"] == "{:04d}-{:02d}".format(*current_month(TZ))
    assert board["currency"] == "INR"
    assert (board["income"], board["expenses"]) == (100000, 24500.25)
    assert board["savings"] == 75499.75 and board["savings_rate"] == 75.5
    # Active: home 10,00,000 + car 1,90,000 + 4 x 10,000; the closed debt is left out.
    assert board["debt"] == {
        "active_debts": 6,
        "total_remaining": 1230000,
        "total_monthly_emi": 29000,
        "debt_to_income": 29,
    }
    upcoming = board["upcoming_payments"]
    assert [d["name"] for d in upcoming] == [
        "Personal 1",
        "Personal 2",
        "Car",
        "Personal 4",
        "Personal 5",
    ]
    assert upcoming[2] == {
        "debt_id": ids["car"]["id"],
        "name": "Car",
        "next_payment_date": ids["car"]["next_payment_date"],
        "overdue_days": 0,
        "monthly_emi": 5000,
        "remaining_amount": 190000,
    }
    budgets = board["budgets"]
    assert [(b["category"], b["spent"], b["percent"], b["level"]) for b in budgets["items"]] == [
        ("food", 1500.25, 75.01, "ok"),
        ("shopping", 0, 0, "ok"),
        ("travel", 3000, 120, "exceeded"),
    ]
    assert (budgets["total_monthly_limit"], budgets["total_spent"]) == (5500, 4500.25)
    soon, later = ids["goals"]
    assert [(g["id"], g["title"], g["progress_percentage"]) for g in board["goals"]] == [
        (soon["id"], "Car fund", 0),
        (later["id"], "Emergency", 25),
    ]
    assert board["goals"][1]["monthly_required"] == later["monthly_required"]

    feed = board["recent_transactions"]
    assert [(t["kind"], t["title"], t["category"], t["amount"]) for t in feed] == [
        ("payment", "Car", "prepayment", 10000),
        ("expense", "Train", "travel", 3000),
        ("expense", "Rent", "rent", 20000),
        ("expense", "Groceries", "food", 1500.25),
        ("income", "Client", "freelance", 20000),
        ("income", "Employer", "salary", 80000),
        ("expense", "Last month", "food", 700),
        ("expense", "Long ago", "food", 50),  # found by widening to all time
    ]
    assert feed[0]["id"] == ids["payment"]["id"]
    assert feed[0]["date"] == ids["payment"]["payment_date"]

    unread = await db.notifications.count_documents(
        {"user_id": ObjectId(user.id), "is_read": False}
    )
    assert unread > 0 and board["unread_notifications"] == unread
    first = (await get(client, user, "/api/notifications"))["items"][0]
    r = await client.post(f"/api/notifications/{first['id']}/read", headers=user.headers)
    assert r.status_code == 200
    assert (await get(client, user, "/api/dashboard"))["unread_notifications"] == unread - 1


async def test_new_user_gets_zeros_and_null_ratios(client, user):
    board = await get(client, user, "/api/dashboard")
    assert (board["income"], board["expenses"], board["savings"]) == (0, 0, 0)
    assert board["savings_rate"] is None
    assert board["debt"] == {
        "active_debts": 0,
        "total_remaining": 0,
        "total_monthly_emi": 0,
        "debt_to_income": None,
    }
    assert board["upcoming_payments"] == [] and board["goals"] == []
    assert board["budgets"]["items"] == [] and board["recent_transactions"] == []
    assert board["unread_notifications"] == 0


async def test_overspending_gives_negative_savings_and_no_income_gives_null_ratios(client, user):
    await expense(client, user, 500, iso(today_at(1)))
    await debt(client, user, "Card", "credit_card", 10000, 36, monthly_emi=1000)
    board = await get(client, user, "/api/dashboard")
    assert board["savings"] == -500 and board["savings_rate"] is None
    assert board["debt"]["debt_to_income"] is None and board["debt"]["total_monthly_emi"] == 1000
    await income(client, user, 400, iso(today_at(2)))
    board = await get(client, user, "/api/dashboard")
    assert board["savings"] == -100 and board["savings_rate"] == -25
    assert board["debt"]["debt_to_income"] == 250


async def test_someone_elses_data_never_appears(client, user, other_user):
    await seed_dashboard(client, other_user)
    board = await get(client, user, "/api/dashboard")
    assert board["income"] == 0 and board["expenses"] == 0
    assert board["debt"]["active_debts"] == 0 and board["upcoming_payments"] == []
    assert board["budgets"]["items"] == [] and board["goals"] == []
    assert board["recent_transactions"] == []


async def test_dashboard_needs_authentication(client):
    r = await client.get("/api/dashboard")
    assert r.status_code == 401


# ---------------------------------------------------------------- round trips


class CommandCounter(monitoring.CommandListener):
    def __init__(self):
        self.names = []

    def started(self, event):
        self.names.append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


async def round_trips(app, settings, user, client):
    """The database commands one dashboard request sends, on a client that counts them."""
    counter = CommandCounter()
    counting = connect(settings.mongodb_url, settings, event_listeners=[counter])
    original = app.state.db
    app.state.db = get_database(counting, settings.mongodb_db)
    try:
        await get(client, user, "/api/dashboard")  # opens the pool's connections
        counter.names.clear()
        board = await get(client, user, "/api/dashboard")
        names = sorted(counter.names)  # before closing, which adds its own endSessions
    finally:
        app.state.db = original
        await counting.close()
    return names, board


def entries(user_id, count, field, start, step, **fields):
    """Documents as the routes store them, `step` apart going back from `start`."""
    return [
        {
            "user_id": ObjectId(user_id),
            field: start - step * i,
            "amount": Decimal("10.00"),
            "created_at": start,
            **fields,
        }
        for i in range(count)
    ]


async def test_round_trips_do_not_grow_with_the_data(app, settings, client, user, other_user, db):
    now = datetime.now(UTC)
    hour = timedelta(hours=1)
    await db.expenses.insert_many(
        entries(user.id, 12, "date", now, hour, title="E", category="food")
    )
    await db.income.insert_many(
        entries(user.id, 3, "date", now, hour, source="S", income_type="salary")
    )
    small, board = await round_trips(app, settings, user, client)
    assert len(board["recent_transactions"]) == 10

    second = timedelta(seconds=1)
    await db.expenses.insert_many(
        entries(user.id, 1500, "date", now, second, title="E", category="rent")
    )
    await db.income.insert_many(
        entries(user.id, 300, "date", now, second, source="S", income_type="salary")
    )
    payments = entries(user.id, 200, "payment_date", now, second, debt_name="Loan")
    for payment in payments:
        payment |= {"debt_id": ObjectId(), "payment_type": "emi", "transaction_id": str(uuid4())}
    await db.payments.insert_many(payments)
    large, board = await round_trips(app, settings, user, client)
    assert board["expenses"] > 150  # the extra data is really counted
    assert small == large and len(large) == ROUND_TRIPS
    assert large.count("aggregate") == 4  # income, expenses, debts summary, unread count

    # Fewer than ten transactions in the last 31 days: each widening step costs three more.
    await db.expenses.insert_many(
        entries(other_user.id, 1, "date", now - timedelta(days=500), hour, title="E", category="x")
    )
    sparse, board = await round_trips(app, settings, other_user, client)
    assert len(sparse) == ROUND_TRIPS + 6
    assert [t["title"] for t in board["recent_transactions"]] == ["E"]


async def test_each_card_adds_its_own_round_trips(app, settings, client, user, db):
    now = datetime.now(UTC)
    await db.expenses.insert_many(
        entries(user.id, 12, "date", now, timedelta(hours=1), title="E", category="food")
    )
    card = await account(client, user, "Card", kind="credit_card", statement_day=15)
    await expense(client, user, 100, "2025-01-10", account_id=card["id"])
    one, board = await round_trips(app, settings, user, client)
    # The card's only entry is of January 2025: its balance looks up that month's last entry.
    card_trips = PER_ACCOUNT + LAST_ENTRY_EARLIER + PER_CARD
    assert len(one) == ROUND_TRIPS + CARD_PAYERS + card_trips and board["cards"]["cards"] == 1
    # More entries on the card (none this month) cost nothing more; a second card without
    # entries costs its own balance and figures, the payers' query is shared.
    for day in ("2025-02-10", "2025-03-10", "2025-04-10"):
        await expense(client, user, 100, day, account_id=card["id"])
    more, _ = await round_trips(app, settings, user, client)
    assert more == one
    await account(client, user, "Card 2", kind="credit_card", statement_day=5)
    two, board = await round_trips(app, settings, user, client)
    second = PER_ACCOUNT + PER_CARD
    assert len(two) == ROUND_TRIPS + CARD_PAYERS + card_trips + second
    assert board["cards"]["cards"] == 2


async def test_the_feed_stops_widening_once_full(app, settings, client, user, db):
    now = datetime.now(UTC)
    old = now - timedelta(days=100)  # outside the 31 days, inside the year
    await db.expenses.insert_many(
        entries(user.id, 12, "date", old, timedelta(hours=1), title="Older", category="food")
    )
    await db.expenses.insert_many(
        entries(
            user.id,
            1,
            "date",
            now - timedelta(days=600),
            timedelta(hours=1),
            title="Oldest",
            category="food",
        )
    )
    names, board = await round_trips(app, settings, user, client)
    assert len(names) == ROUND_TRIPS + 3
    assert [t["title"] for t in board["recent_transactions"]] == ["Older"] * 10
    assert date.fromisoformat(board["recent_transactions"][0]["date"][:10]) == old.date()


async def test_early_in_the_month_the_feed_still_spans_a_week(client, user, monkeypatch):
    """On 3 March the feed looks back to 24 February, yet February stays out of the totals,
    and an entry dated later in March counts in the totals but is not yet in the feed."""
    await expense(client, user, 100, "2025-02-27T12:00:00", title="February")
    await expense(client, user, 200, "2025-03-02T12:00:00", title="March 2nd")
    await expense(client, user, 400, "2025-03-20T12:00:00", title="Planned")
    await income(client, user, 1000, "2025-02-26T09:00:00")
    await income(client, user, 3000, "2025-03-01T09:00:00", "freelance", "Client")
    monkeypatch.setattr("routes.dashboard.today", lambda tz: date(2025, 3, 3))
    board = await get(client, user, "/api/dashboard")
    assert board["month"] == "2025-03"
    assert (board["income"], board["expenses"], board["savings"]) == (3000, 600, 2400)
    assert [t["title"] for t in board["recent_transactions"]] == [
        "March 2nd",
        "Client",
        "February",
        "Employer",
    ]
