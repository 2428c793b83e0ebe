"""The stack's own ceiling: bare FastAPI + PyMongo endpoints issuing the same database
queries as our routes, with no auth, no validation, no Pydantic models, no templates.

    MONGODB_URL=... MONGODB_DB=... uvicorn bench.bare_app:app --port 8001

The user is a query parameter (`?user=<hex id>`) instead of a bearer token, so the user
lookup (with its session check) our `CurrentUser` dependency makes is exactly what this side
leaves out. With `&sid=<session id>` the GET endpoints make that lookup too (the same query
and check as `security.current_user`, minus the JWT): the benchmark's "bare + auth" column,
which separates the cost of authentication from the rest of our stack.

Query shapes are copied from the routes (filters, sort, skip/limit, count, transaction
contents, day ranges; the debt summary's and the dashboard's pipelines are imported from the
routes); keep them in step when a route's queries change (tests/process/test_bench_smoke.py compares
answers and stored documents). Writes use our write concern (`w="majority"`, `j=true`). The
client has no codec: calendar days are passed as the midnight-UTC datetimes our codec stores
them as, and Decimal128 values are left undecoded. Responses are the raw documents as JSON
(`default=str`), not the API's models.
"""

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from bson import Decimal128, ObjectId
from fastapi import FastAPI, Request
from fastapi.responses import Response
from pymongo import AsyncMongoClient, ReturnDocument

from core.dates import month_bounds, now_ms, today
from loans.store import summary_pipeline as _summary_pipeline
from recurring.rules import payee_key
from routes.dashboard import (
    EXPENSES,
    FEEDS,
    GOALS_SHOWN,
    INCOME,
    PAYMENTS,
    RECENT,
    RECENT_AT_LEAST,
    UPCOMING,
    WIDER_WINDOW,
    Feed,
    month_and_recent_pipeline,
)
from services import enqueue

TZ = "Asia/Kolkata"  # every seeded user's timezone (our routes read it from the user)
IDEMPOTENCY_TTL = timedelta(hours=24)
# Our payment email is rendered from templates (1.9 kB of HTML, 0.4 kB of text); the bare
# side stores a message of the same size without rendering one.
EMAIL_HTML = "<p>Payment received</p>" * 85
EMAIL_TEXT = "Payment received. " * 20


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    client: AsyncMongoClient = AsyncMongoClient(
        os.environ["MONGODB_URL"], w="majority", journal=True, tz_aware=True
    )
    app.state.db = client[os.environ.get("MONGODB_DB", "bench")]
    try:
        yield
    finally:
        await client.close()


app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)


def _json(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, default=str), status_code=status, media_type="application/json"
    )


def _page(items: list[dict[str, Any]], total: int, limit: int) -> Response:
    return _json({"items": items, "total": total, "skip": 0, "limit": limit})


def _day(value: date) -> datetime:
    """A calendar day as stored (our codec's midnight UTC)."""
    return datetime.combine(value, time(), tzinfo=UTC)


def _month(day: date) -> tuple[datetime, datetime]:
    start, end = month_bounds(day.year, day.month)
    return _day(start), _day(end)


async def _user(request: Request) -> ObjectId:
    """The user id; with `sid`, after `current_user`'s one user lookup and session check."""
    user_id = ObjectId(request.query_params["user"])
    if sid := request.query_params.get("sid"):
        user = await request.app.state.db.users.find_one({"_id": user_id})
        if user is None or sid not in user.get("active_sessions", ()):
            raise RuntimeError("revoked session")
        user_id = user["_id"]
    return user_id


async def _list(request: Request, coll: str, sort: list[tuple[str, int]]) -> Response:
    """`paginate()`: count_documents, then find().sort().skip().limit()."""
    db = request.app.state.db
    limit = int(request.query_params.get("limit", 20))
    query = {"user_id": await _user(request)}
    total = await db[coll].count_documents(query)
    docs = await db[coll].find(query).sort(sort).skip(0).limit(limit).to_list(None)
    return _page(docs, total, limit)


@app.get("/bare/debts")
async def list_debts(request: Request) -> Response:
    return await _list(request, "debts", [("created_at", -1), ("_id", -1)])


@app.get("/bare/expenses")
async def list_expenses(request: Request) -> Response:
    return await _list(request, "expenses", [("date", -1), ("_id", -1)])


async def _aggregate(coll: Any, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return await (await coll.aggregate(pipeline)).to_list(None)


async def _latest(
    db: Any, feed: Feed, uid: ObjectId, since: datetime | None, until: datetime
) -> list[dict[str, Any]]:
    """`routes.dashboard.latest`: the feed's newest RECENT entries in [since, until)."""
    bounds: dict[str, datetime] = {"$lt": until}
    if since is not None:
        bounds["$gte"] = since
    cursor = (
        db[feed.collection]
        .find({"user_id": uid, feed.date: bounds}, projection=feed.projection())
        .sort([(feed.date, -1), ("_id", -1)])
        .limit(RECENT)
    )
    return [doc | {"_feed_date": doc[feed.date]} for doc in await cursor.to_list(None)]


def _newest(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda d: (d["_feed_date"], d["_id"]), reverse=True)[:RECENT]


@app.get("/bare/dashboard")
async def dashboard(request: Request) -> Response:
    """`routes.dashboard.dashboard`'s seven concurrent queries, and its widening steps (three
    more finds each) while the feed has fewer than RECENT entries."""
    db = request.app.state.db
    uid = await _user(request)
    day = today(TZ)
    month = _month(day)
    recent = (min(month[0], _day(day - RECENT_AT_LEAST)), _day(day + timedelta(days=1)))
    income, expenses, payments, debts, budgets, goals, unread = await asyncio.gather(
        _aggregate(db.income, month_and_recent_pipeline(uid, month, recent, None, INCOME)),
        _aggregate(
            db.expenses,
            month_and_recent_pipeline(uid, month, recent, "category", EXPENSES),
        ),
        _latest(db, PAYMENTS, uid, *recent),
        _aggregate(db.debts, _summary_pipeline(uid, UPCOMING)),
        db.budgets.find({"user_id": uid, "active": True}).sort("category", 1).to_list(None),
        db.goals.find({"user_id": uid, "status": "active"})
        .sort([("target_date", 1), ("_id", 1)])
        .limit(GOALS_SHOWN)
        .to_list(None),
        db.notifications.count_documents({"user_id": uid, "is_read": False}),
    )
    entries = [d | {"_feed_date": d["date"]} for d in income[0]["recent"]]
    entries += [d | {"_feed_date": d["date"]} for d in expenses[0]["recent"]]
    feed = _newest(entries + payments)
    widest = _day(day - WIDER_WINDOW)
    for since, until in ((widest, recent[0]), (None, widest)):
        if len(feed) >= RECENT:
            break
        batches = await asyncio.gather(*(_latest(db, f, uid, since, until) for f in FEEDS))
        feed = _newest(feed + [d for batch in batches for d in batch])
    return _json(
        {
            "income": income[0]["month"],
            "expenses": expenses[0]["month"],
            "feed": feed,
            "debts": debts,
            "budgets": budgets,
            "goals": goals,
            "unread": unread,
        }
    )


async def _stamp(db: Any, user_id: ObjectId, session: Any = None) -> int:
    """The write's version from the user's change counter, as `core.sync.stamp` takes it."""
    state = await db.sync_state.find_one_and_update(
        {"_id": user_id, "user_id": user_id},
        {"$inc": {"seq": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    return state["seq"]


@app.post("/bare/expenses", status_code=201)
async def create_expense(request: Request) -> Response:
    """`ledger.budget_alerts.expenses_written` in the expense's transaction: insert_one, the
    category's month counter moved with `$inc`, then the category's active budget (and, past
    its threshold, the alert records upserted)."""
    db = request.app.state.db
    body = await request.json()
    user_id = ObjectId(request.query_params["user"])
    at, day = now_ms(), today(TZ)
    amount = Decimal(str(body["amount"]))
    doc = {
        "_id": ObjectId(),
        "title": body["title"],
        "category": body["category"],
        "amount": Decimal128(amount),
        "description": body.get("description"),
        "tags": body.get("tags", []),
        "user_id": user_id,
        "date": _day(day),
        "created_at": at,
        "updated_at": at,
        "receipt_key": None,
        "receipt_content_type": None,
        "payee_key": payee_key(body["title"], None),
        "refund": bool(body.get("refund", False)),
    }

    async def work(session: Any) -> None:
        doc["sync_seq"] = await _stamp(db, user_id, session)
        await db.expenses.insert_one(doc, session=session)
        await db.recurring_queue.update_one(  # detection of the payee, queued for the worker
            {"user_id": user_id, "payee_key": doc["payee_key"]},
            {"$set": {"due_at": at, "owner": None}, "$setOnInsert": {"created_at": at}},
            upsert=True,
            session=session,
        )
        counter = {"user_id": user_id, "category": doc["category"], "month": day.strftime("%Y-%m")}
        spent = await db.category_spend.find_one_and_update(
            counter,
            {"$inc": {"spent": Decimal128(amount)}, "$set": {"updated_at": at}},
            projection={"spent": 1},
            upsert=True,
            return_document=True,
            session=session,
        )
        budget = await db.budgets.find_one(
            {"user_id": user_id, "category": doc["category"], "active": True}, session=session
        )
        if budget is not None:
            await _bare_alerts(db, budget, counter["month"], spent["spent"].to_decimal(), session)

    async with db.client.start_session() as session:
        await session.with_transaction(work)
    return _json(doc, 201)


async def _bare_alerts(db: Any, budget: dict, month: str, spent: Decimal, session: Any) -> None:
    """The levels reached, each recorded once by an upsert (the unique index decides)."""
    limit = budget["monthly_limit"].to_decimal()
    levels = [("exceeded", spent >= limit)]
    levels.append(("warning", spent * 100 >= limit * budget["alert_threshold"]))
    for level, reached in levels:
        if reached:
            key = {"user_id": budget["user_id"], "budget_id": budget["_id"], "month": month}
            await db.budget_alerts.update_one(
                key | {"level": level},
                {"$setOnInsert": {"spent": Decimal128(spent), "created_at": now_ms()}},
                upsert=True,
                session=session,
            )


async def _book(db: Any, debt: dict, amount: Decimal, paid_on: Any, session: Any) -> tuple:
    """The debt's new state in one `$set`: a prepayment's, worked out by subtraction."""
    remaining = debt["remaining_amount"].to_decimal() - amount  # a prepayment: all principal
    payment_id, at = ObjectId(), now_ms()
    state = {
        "remaining_amount": Decimal128(remaining),
        "interest_rate": debt["interest_rate"],
        "monthly_emi": debt["monthly_emi"],
        "remaining_tenure_months": debt["remaining_tenure_months"],
        "total_paid": Decimal128(debt["total_paid"].to_decimal() + amount),
        "total_interest_paid": debt["total_interest_paid"],
        "payments_count": debt["payments_count"] + 1,
        "due_offset": debt["due_offset"],
        "next_payment_date": debt["next_payment_date"],
        "last_event": {"date": paid_on, "kind": 1, "id": str(payment_id)},
        "updated_at": at,
        "sync_seq": await _stamp(db, debt["user_id"], session),
    }
    owned = {"_id": debt["_id"], "user_id": debt["user_id"]}
    await db.debts.update_one(owned, {"$set": state}, session=session)
    return payment_id, remaining


def _payment(body: dict, debt: dict, payment_id: ObjectId, paid: tuple) -> dict:
    amount, remaining, paid_on = paid
    kind = body.get("payment_type", "emi")
    return {
        "_id": payment_id,
        "user_id": debt["user_id"],
        "debt_id": debt["_id"],
        "debt_name": debt["name"],
        "amount": Decimal128(amount),
        "payment_date": paid_on,
        "payment_type": kind,
        "prepayment_effect": "reduce_tenure" if kind == "prepayment" else None,
        "payment_method": body.get("payment_method", "other"),
        "status": "completed",
        "notes": body.get("notes"),
        "interest_component": Decimal128("0.00"),
        "principal_component": Decimal128(amount),
        "remaining_after": Decimal128(remaining),
        "interest_rate": debt["interest_rate"],
        "transaction_id": str(uuid.uuid4()),
        "created_at": now_ms(),
    }


async def _notify(db: Any, debt: dict, amount: Decimal, remaining: Decimal, session: Any) -> None:
    """The notification, and push + email in the outbox: the same inserts as ours."""
    title, url = "Payment received", f"/debts/{debt['_id']}"
    message = f"{amount} paid towards {debt['name']}. Remaining: {remaining}."
    note = {
        "user_id": debt["user_id"],
        "notification_type": "payment_received",
        "title": title,
        "message": message,
        "action_url": url,
        "is_read": False,
        "created_at": now_ms(),
        "sync_seq": await _stamp(db, debt["user_id"], session),
    }
    await db.notifications.insert_one(note, session=session)
    push = {"user_id": str(debt["user_id"]), "title": title, "message": message, "action_url": url}
    email = {"to": "user@example.com", "subject": title, "html": EMAIL_HTML, "text": EMAIL_TEXT}
    for outbox_kind, payload in (("push", push), ("email", email)):
        await enqueue(db, outbox_kind, payload, session=session)


async def _remember(db: Any, user_id: ObjectId, key: str, response: dict, session: Any) -> None:
    at = now_ms()
    record = {
        "user_id": user_id,
        "key": key,
        "request_hash": "-",
        "status": "completed",
        "response": response,
        "created_at": at,
        "expires_at": at + IDEMPOTENCY_TTL,
    }
    await db.idempotency_keys.insert_one(record, session=session)


@app.post("/bare/payments", status_code=201)
async def create_payment(request: Request) -> Response:
    """`apply_payment`'s transaction: idempotency record, debt, the debt's new state in one
    `$set` (`loan_book.book` continuing from the stored state, as for a payment dated after
    every other event), payment, notification, push + email in the outbox, idempotency record
    insert. The state is a prepayment's, worked out by subtraction, not by the loan engine."""
    db = request.app.state.db
    body = await request.json()
    user_id = ObjectId(request.query_params["user"])
    key = request.headers.get("idempotency-key")
    amount = Decimal(str(body["amount"]))
    paid_on = _day(today(TZ))

    async def work(session: Any) -> dict[str, Any]:
        stored = await db.idempotency_keys.find_one(
            {"user_id": user_id, "key": key}, session=session
        )
        if stored is not None:
            return stored["response"]
        debt = await db.debts.find_one(
            {"_id": ObjectId(body["debt_id"]), "user_id": user_id}, session=session
        )
        payment_id, remaining = await _book(db, debt, amount, paid_on, session)
        payment = _payment(body, debt, payment_id, (amount, remaining, paid_on))
        payment["sync_seq"] = await _stamp(db, user_id, session)
        await db.payments.insert_one(payment, session=session)
        await _notify(db, debt, amount, remaining, session)
        response = {k: v for k, v in payment.items() if k != "user_id"}
        if key is not None:
            await _remember(db, user_id, key, response, session)
        return response

    async with db.client.start_session() as session:
        result = await session.with_transaction(work)
    return _json(result, 201)
