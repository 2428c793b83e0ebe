"""The stack's own ceiling: bare FastAPI + PyMongo endpoints issuing the same database
queries as our routes, with no auth, no validation, no Pydantic models, no templates.

    MONGODB_URL=... MONGODB_DB=... uvicorn bench.bare_app:app --port 8001

The user is a query parameter (`?user=<hex id>`) instead of a bearer token, so the user
lookup (with its session check) our `CurrentUser` dependency makes is exactly what this side
leaves out. With `&sid=<session id>` the GET endpoints make that lookup too (the same query
and check as `security._current_user`, minus the JWT): the benchmark's "bare + auth" column, which
separates the cost of authentication from the rest of our stack.

Query shapes are copied from the routes (filters, sort, skip/limit, count, transaction
contents; the debt summary's and the dashboard's pipelines are imported from the routes);
keep them in step when a route's queries change. Responses are the raw documents as JSON
(`default=str`), not the API's models.
"""

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bson import Decimal128, ObjectId
from fastapi import FastAPI, Request
from fastapi.responses import Response
from pymongo import AsyncMongoClient

from dates import now_ms
from routes.dashboard import EXPENSES, INCOME, PAYMENTS, month_and_recent_pipeline
from routes.debts import _summary_pipeline
from services import enqueue

TZ = "Asia/Kolkata"  # every seeded user's timezone (our routes read it from the user)
IDEMPOTENCY_TTL = timedelta(hours=24)
# Our payment email is rendered from templates (~1.9 kB HTML + text); the bare side stores a
# message of the same size without rendering one.
EMAIL_HTML = "<p>Payment received</p>" * 100


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    client: AsyncMongoClient = AsyncMongoClient(os.environ["MONGODB_URL"], tz_aware=True)
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


def _month_bounds(at: datetime) -> tuple[datetime, datetime]:
    zone = ZoneInfo(TZ)
    local = at.astimezone(zone)
    first = datetime.combine(local.date().replace(day=1), time(), tzinfo=zone)
    following = (first + timedelta(days=32)).replace(day=1)
    return first.astimezone(UTC), following.astimezone(UTC)


async def _user(request: Request) -> ObjectId:
    """The user id; with `sid`, after `_current_user`'s one user lookup and session check."""
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


@app.get("/bare/dashboard")
async def dashboard(request: Request) -> Response:
    """`routes.dashboard.dashboard`'s seven concurrent queries. Not its widening step: with the
    benchmark's data (200 expenses a year per user, about 20 entries in the last 31 days) the
    feed is full without it; with much less data our side would make three more queries."""
    db = request.app.state.db
    uid = await _user(request)
    at = now_ms()
    month = _month_bounds(at)
    zone = ZoneInfo(TZ)
    tomorrow = at.astimezone(zone).date() + timedelta(days=1)
    recent = (at - timedelta(days=31), datetime.combine(tomorrow, time(), tzinfo=zone))
    since, until = recent
    results = await asyncio.gather(
        _aggregate(
            db.income, month_and_recent_pipeline(uid, month, recent, None, INCOME.projection())
        ),
        _aggregate(
            db.expenses,
            month_and_recent_pipeline(uid, month, recent, "category", EXPENSES.projection()),
        ),
        db.payments.find(
            {"user_id": uid, "payment_date": {"$lt": until, "$gte": since}},
            projection=PAYMENTS.projection(),
        )
        .sort([("payment_date", -1), ("_id", -1)])
        .limit(10)
        .to_list(None),
        _aggregate(db.debts, _summary_pipeline(uid, 5)),
        db.budgets.find({"user_id": uid, "is_active": True}).sort("category", 1).to_list(None),
        db.goals.find({"user_id": uid, "status": "active"})
        .sort([("target_date", 1), ("_id", 1)])
        .limit(20)
        .to_list(None),
        db.notifications.count_documents({"user_id": uid, "is_read": False}),
    )
    return _json(results)


async def _aggregate(coll: Any, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return await (await coll.aggregate(pipeline)).to_list(None)


@app.post("/bare/expenses", status_code=201)
async def create_expense(request: Request) -> Response:
    """insert_one, then `check_budget`: the category's active budget and this month's spend."""
    db = request.app.state.db
    body = await request.json()
    user_id = ObjectId(request.query_params["user"])
    at = now_ms()
    doc = {
        "title": body["title"],
        "category": body["category"],
        "amount": Decimal128(str(body["amount"])),
        "description": body.get("description"),
        "tags": body.get("tags", []),
        "user_id": user_id,
        "date": at,
        "receipt_key": None,
        "receipt_content_type": None,
        "created_at": at,
        "updated_at": at,
    }
    await db.expenses.insert_one(doc)
    budget = await db.budgets.find_one(
        {"user_id": user_id, "category": doc["category"], "is_active": True}
    )
    if budget is not None:
        start, end = _month_bounds(at)
        pipeline = [
            {
                "$match": {
                    "user_id": user_id,
                    "date": {"$gte": start, "$lt": end},
                    "category": doc["category"],
                }
            },
            {"$group": {"_id": "$category", "spent": {"$sum": "$amount"}}},
        ]
        await (await db.expenses.aggregate(pipeline)).to_list(None)
    return _json(doc, 201)


@app.post("/bare/payments", status_code=201)
async def create_payment(request: Request) -> Response:
    """`apply_payment`'s transaction: idempotency record, debt, guarded update, payment,
    notification, push + email in the outbox, idempotency record insert."""
    db = request.app.state.db
    body = await request.json()
    user_id = ObjectId(request.query_params["user"])
    key = request.headers.get("idempotency-key")
    amount = Decimal(str(body["amount"]))

    async def work(session: Any) -> dict[str, Any]:
        stored = await db.idempotency_keys.find_one(
            {"user_id": user_id, "key": key}, session=session
        )
        if stored is not None:
            return stored["response"]
        debt = await db.debts.find_one(
            {"_id": ObjectId(body["debt_id"]), "user_id": user_id}, session=session
        )
        remaining = debt["remaining_amount"].to_decimal() - amount  # a prepayment: all principal
        at = now_ms()
        await db.debts.update_one(
            {
                "_id": debt["_id"],
                "status": "active",
                "remaining_amount": {"$gte": Decimal128(amount)},
            },
            {
                "$inc": {
                    "remaining_amount": Decimal128(-amount),
                    "total_paid": Decimal128(amount),
                    "total_interest_paid": Decimal128("0.00"),
                    "payments_count": 1,
                },
                "$set": {"updated_at": at},
            },
            session=session,
        )
        payment = {
            "user_id": user_id,
            "debt_id": debt["_id"],
            "debt_name": debt["name"],
            "amount": Decimal128(amount),
            "payment_date": at,
            "payment_type": body.get("payment_type", "emi"),
            "payment_method": body.get("payment_method", "other"),
            "notes": body.get("notes"),
            "interest_component": Decimal128("0.00"),
            "principal_component": Decimal128(amount),
            "remaining_after": Decimal128(remaining),
            "transaction_id": str(uuid.uuid4()),
            "created_at": at,
        }
        await db.payments.insert_one(payment, session=session)
        message = f"{amount} paid towards {debt['name']}. Remaining: {remaining}."
        await db.notifications.insert_one(
            {
                "user_id": user_id,
                "type": "payment_received",
                "title": "Payment received",
                "message": message,
                "action_url": f"/debts/{debt['_id']}",
                "is_read": False,
                "created_at": at,
            },
            session=session,
        )
        for kind, payload in (
            ("push", {"external_id": str(user_id), "title": "Payment received", "body": message}),
            (
                "email",
                {"to": "user@example.com", "subject": "Payment received", "html": EMAIL_HTML},
            ),
        ):
            await enqueue(db, kind, payload, session=session)  # the same insert as ours
        response = {k: v for k, v in payment.items() if k != "user_id"}
        if key is not None:
            await db.idempotency_keys.insert_one(
                {
                    "user_id": user_id,
                    "key": key,
                    "request_hash": "-",
                    "status": "completed",
                    "response": response,
                    "created_at": at,
                    "expires_at": at + IDEMPOTENCY_TTL,
                },
                session=session,
            )
        return response

    async with db.client.start_session() as session:
        result = await session.with_transaction(work)
    return _json(result, 201)
