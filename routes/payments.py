"""Payments against debts: one atomic, idempotent apply (interest split, debt update,
notifications: loans/service.py), exact reversal, lists and monthly stats."""

from typing import Annotated, Any

from bson import ObjectId
from fastapi import APIRouter, Query, Response, status
from pymongo.asynchronous.client_session import AsyncClientSession

from accounts import store as accounts
from config import Settings
from core.dates import stats_period
from core.idempotency import digest_of, write_once
from core.money import from_sum
from database import Doc, get_owned, in_transaction, paginate
from ledger.store import date_query, fold_months, monthly_stats
from loans import rules as loan_rules
from loans import service as loan_service
from loans import store as loan_store
from loans.events import Payment
from routes.deps import (
    NO_CONTENT,
    CurrentUser,
    Db,
    ETagged,
    FromDate,
    IdempotencyKey,
    IfMatch,
    IfNoneMatch,
    Pagination,
    SettingsDep,
    ToDate,
    Year,
    responses,
    tagged,
)
from schemas import (
    MonthlyStats,
    Page,
    PaymentCreate,
    PaymentOut,
    PaymentType,
)
from security import User

router = APIRouter(prefix="/payments", tags=["payments"])
E401 = responses(401)
E404 = responses((404, "Payment not found (or not yours)"))
E404_DEBT = responses((404, "Debt not found (or not yours)"))
_LATEST = [("payment_date", -1), ("_id", -1)]  # served by (user_id[, debt_id], payment_date, _id)


async def apply_payment(
    db: Db, settings: Settings, user: User, body: PaymentCreate, key: str | None
) -> tuple[PaymentOut, bool]:
    """Record the request's payment once per Idempotency-Key, the user told: (the payment,
    whether it is a replay of an earlier request with the same key)."""
    paid_on = loan_rules.payment_day(body.payment_date, user.timezone)
    digest = digest_of(body.model_dump(mode="json", exclude_unset=True))
    kind = str(body.payment_type)
    effect = str(body.prepayment_effect) if kind == "prepayment" else None
    account = await accounts.entry_account(db, user.id, body.account_id)

    async def work(session: AsyncClientSession) -> Doc:
        event = Payment(str(ObjectId()), paid_on, body.amount, kind, effect or "reduce_tenure")
        payment = await loan_service.record_payment(
            db,
            user.id,
            body.debt_id,
            event,
            session=session,
            method=str(body.payment_method),
            notes=body.notes,
            notify=loan_service.Notice(user, settings.app_url),
            effect=effect,
            extra=account,
        )
        return PaymentOut.model_validate(payment).stored()

    answer, replayed = await write_once(db, user.id, key, digest, work)
    return PaymentOut.model_validate(answer), replayed


# ---------------------------------------------------------------- routes


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **tagged(201),
        **E401,
        **E404_DEBT,
        **responses((409, "Overpayment, or the debt is not active")),
        **responses((422, "Invalid, too small, or key reused")),
    },
)
async def create_payment(
    body: PaymentCreate,
    user: CurrentUser,
    db: Db,
    settings: SettingsDep,
    response: Response,
    tag: ETagged,
    idempotency_key: IdempotencyKey = None,
) -> PaymentOut:
    """Pay towards a debt: an `emi` pays the month's interest first, a `prepayment` principal."""
    payment, replayed = await apply_payment(db, settings, user, body, idempotency_key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return tag(payment)


@router.get("", responses={**E401, **E404_DEBT})
async def list_payments(
    user: CurrentUser,
    db: Db,
    page: Pagination,
    debt_id: Annotated[str | None, Query(max_length=64)] = None,
    payment_type: PaymentType | None = None,
    start: FromDate = None,
    end: ToDate = None,
) -> Page[PaymentOut]:
    """Your payments, latest first; filter by debt, type, and a date range (inclusive)."""
    query: dict[str, Any] = {
        "user_id": user.id,
        **date_query(start, end, "payment_date"),
    }
    if debt_id is not None:
        query["debt_id"] = (await get_owned(db.debts, debt_id, user.id, "debt"))["_id"]
    if payment_type is not None:
        query["payment_type"] = str(payment_type)
    return await paginate(db.payments, query, page, PaymentOut.model_validate, sort=_LATEST)


@router.get("/stats/monthly", responses={**E401, **E404_DEBT, **responses(422)})
async def get_payment_stats(
    user: CurrentUser,
    db: Db,
    year: Year = None,
    start: FromDate = None,
    end: ToDate = None,
    debt_id: Annotated[str | None, Query(max_length=64)] = None,
) -> MonthlyStats:
    """Paid per month, split into interest and principal, for `year` or `from`..`to`
    (this year by default); optionally one debt's."""
    period = stats_period(year, start, end, user.timezone)
    debt = None
    if debt_id is not None:
        debt = (await get_owned(db.debts, debt_id, user.id, "debt"))["_id"]
    rows = await loan_store.monthly_payment_totals(db, user.id, period, debt)
    split = [(r["_id"], "interest", from_sum(r["interest"]), r["count"]) for r in rows]
    split += [(r["_id"], "principal", from_sum(r["principal"]), 0) for r in rows]
    return monthly_stats(period, user.currency, "component", fold_months(period, split))


@router.get("/debt/{debt_id}", responses={**E401, **E404_DEBT})
async def list_debt_payments(
    debt_id: str, user: CurrentUser, db: Db, page: Pagination
) -> Page[PaymentOut]:
    """The payments of one of your debts, latest first."""
    debt = await get_owned(db.debts, debt_id, user.id, "debt")
    query = {"user_id": user.id, "debt_id": debt["_id"]}
    return await paginate(db.payments, query, page, PaymentOut.model_validate, sort=_LATEST)


@router.get("/{payment_id}", responses={**tagged(), **responses(304), **E401, **E404})
async def get_payment(payment_id: str, user: CurrentUser, db: Db, tag: IfNoneMatch) -> PaymentOut:
    """One of your payments."""
    doc = await get_owned(db.payments, payment_id, user.id, "payment")
    return tag(PaymentOut.model_validate(doc))


@router.delete("/{payment_id}", **NO_CONTENT, responses={**E401, **E404, **responses(412)})
async def delete_payment(payment_id: str, user: CurrentUser, db: Db, if_match: IfMatch) -> None:
    """Delete a payment: the debt is as if it had never been made (later payments re-split)."""

    async def work(session: AsyncClientSession) -> None:
        await loan_service.reverse_payment(db, user.id, payment_id, session, if_match)

    await in_transaction(db, work)
