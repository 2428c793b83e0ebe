"""Loan workflows, each the one path its entry points share: recording a payment (by hand,
POST /api/payments, or from a statement import) and reversing one (DELETE /api/payments/{id},
an import's undo); a debt's creation, edit and rate resets; and the reads that combine a
debt with its payments (its schedule and statement, the summary, payoff plans).

Data access is loans/store.py; the rules are pure (loans/rules.py, loans/state.py,
loans/events.py, loans/schedule.py); a refusal is a domain error (core/errors.py).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import now_ms, today
from core.errors import ErrorCode, Unprocessable
from core.money import ZERO, format_money, from_sum, quantize
from core.sync import Expected, check_version, owned, stamp
from database import Doc, get_owned, in_transaction
from loans import rules as loan_rules
from loans import schedule as loan_schedule
from loans import store as loan_store
from loans.debt import debt_of, new_debt, rate_resets
from loans.events import LoanState, Payment, replay
from loans.payoff import Plan, Strategy, compare_strategies
from loans.rules import NeverPaysOff, Schedule, amortize
from schemas import DebtStatus, DebtSummary, DebtType, DueDebt, NotificationType
from security import User
from services import notify as send_notice

# ---------------------------------------------------------------- payments


class Notice(NamedTuple):
    """Who is told of a payment (in-app, push, email), and the app's address the email's
    link to the debt starts with."""

    user: User
    app_url: str


async def record_payment(
    db: AsyncDatabase,
    user_id: ObjectId,
    debt_id: str | ObjectId,
    event: Payment,
    *,
    session: AsyncClientSession,
    method: str,
    notes: str | None,
    notify: Notice | None,
    effect: str | None = None,
    extra: Doc | None = None,
) -> Doc:
    """Record a payment inside the caller's transaction: the user's debt as read in it (404
    when not theirs) must take payments; the payment is booked on it (its split, the debt's
    new state) and stored under the event's id; with `notify`, "Payment received" and its
    confirmation email are queued, and "Debt paid off" when nothing remains. A statement
    import passes no `notify`: it tells the user once, in its summary. A concurrent payment
    on the same debt makes one of the two transactions retry."""
    debt = await get_owned(db.debts, debt_id, user_id, "debt", session=session)
    loan_rules.check_takes_payments(debt)
    payment = await loan_store.record(
        db, debt, event, session, method=method, effect=effect, notes=notes, extra=extra
    )
    if notify is not None:
        await _notify_payment(db, notify, debt, payment, session)
    return payment


async def _notify_payment(
    db: AsyncDatabase, notice: Notice, debt: Doc, payment: Doc, session: AsyncClientSession
) -> None:
    user, currency = notice.user, notice.user.currency
    amount, remaining = format_money(payment["amount"], currency), payment["remaining_after"]
    url = f"/debts/{debt['_id']}"
    email = {
        "amount": payment["amount"],
        "interest": payment["interest_component"],
        "principal": payment["principal_component"],
        "remaining": remaining,
        "currency": currency,
        "debt_name": debt["name"],
        "transaction_id": payment["transaction_id"],
        "payment_date": payment["payment_date"].strftime("%d %b %Y"),
        "completed": remaining == 0,
        "debt_url": notice.app_url + url,
    }
    await send_notice(
        db,
        user,
        NotificationType.payment_received,
        "Payment received",
        f"{amount} paid towards {debt['name']}. Remaining: {format_money(remaining, currency)}.",
        action_url=url,
        email=("payment_confirmation", email),
        session=session,
    )
    if remaining == 0:
        await send_notice(
            db,
            user,
            NotificationType.debt_completed,
            "Debt paid off",
            f"{debt['name']} is fully repaid. Congratulations!",
            action_url=url,
            session=session,
        )


async def reverse_payment(
    db: AsyncDatabase,
    user_id: ObjectId,
    payment: Doc | str | ObjectId,
    session: AsyncClientSession,
    expected: Expected = None,
) -> None:
    """Reverse a payment exactly, inside the caller's transaction: its debt replayed without
    it (the state, and the later payments' splits, as if it had never been made), and the
    payment deleted. `payment` is the user's payment document (its `_id` and `debt_id`), or
    its id (404 when not theirs; 412 when not at an If-Match's `expected` version)."""
    if not isinstance(payment, dict):
        payment = await get_owned(db.payments, payment, user_id, "payment", session=session)
        check_version(payment, expected, "payment")
    debt = await get_owned(db.debts, payment["debt_id"], user_id, "debt", session=session)
    await loan_store.unrecord(db, debt, payment["_id"], session)


# ---------------------------------------------------------------- debts


async def create_debt(db: AsyncDatabase, user_id: ObjectId, values: Doc) -> Doc:
    """Store a new debt from the request's `values` (its days resolved)."""
    doc = new_debt(ObjectId(), user_id, values)
    return await in_transaction(db, lambda session: insert_debt(db, doc, session))


async def insert_debt(db: AsyncDatabase, doc: Doc, session: AsyncClientSession) -> Doc:
    """Store a new debt's document (`loans.debt.new_debt`) in the caller's transaction,
    stamped with a version: every debt's one way in (a card EMI's too)."""
    stored = doc | {"sync_seq": await stamp(db, doc["user_id"], session)}
    await db.debts.insert_one(stored, session=session)
    return stored


async def update_debt(
    db: AsyncDatabase,
    user_id: ObjectId,
    debt_id: str,
    changes: Doc,
    expected: Expected = None,
) -> Doc:
    """Apply a PUT's `changes` (its days resolved) to the user's debt as read; new terms or a
    new due day give the debt a new state, worked out from its events. Returns the debt as
    written. A debt at another version than an If-Match's `expected` is a 412."""

    async def work(session: AsyncClientSession) -> Doc:
        debt = await get_owned(db.debts, debt_id, user_id, "debt", session=session)
        check_version(debt, expected, "debt")
        updated = await db.debts.find_one_and_update(
            owned(debt["_id"], user_id, expected),
            {"$set": loan_rules.debt_update(debt, changes)},
            return_document=True,
            session=session,
        )
        booked = await loan_store.book(db, updated, session)
        return updated | booked.fields

    return await in_transaction(db, work)


async def summarise_debts(db: AsyncDatabase, user: User, next_due: int = 3) -> DebtSummary:
    """Counts by status and type, totals, monthly EMI outgo and the `next_due` active debts
    due soonest (the dashboard asks for more): one aggregation."""
    facets = await loan_store.summary(db, user.id, next_due)
    day = today(user.timezone)
    totals = facets["totals"][0] if facets["totals"] else {}
    return DebtSummary(
        total_debts=totals.get("count", 0),
        by_status={s: 0 for s in DebtStatus} | {r["_id"]: r["n"] for r in facets["by_status"]},
        by_type={t: 0 for t in DebtType} | {r["_id"]: r["n"] for r in facets["by_type"]},
        total_principal=from_sum(totals.get("principal")),
        total_remaining=from_sum(totals.get("remaining")),
        total_paid=from_sum(totals.get("paid")),
        total_interest_paid=from_sum(totals.get("interest")),
        total_monthly_emi=from_sum(totals.get("emi")),
        next_due=[
            DueDebt.model_validate(d | {"overdue_days": loan_rules.overdue_days(d, day)})
            for d in facets["next_due"]
        ],
    )


@dataclass(frozen=True)
class PayoffPlans:
    chosen: Plan
    other: Plan  # the other strategy, same budget
    monthly_budget: Decimal  # every EMI + the extra


async def payoff_plans(
    db: AsyncDatabase, user_id: ObjectId, strategy: Strategy, extra: Decimal, start: date
) -> PayoffPlans:
    """All of the user's active debts paid with their EMIs + `extra` a month, by `strategy`
    and by the other one."""
    found = [debt_of(doc) for doc in await loan_store.active_debts(db, user_id)]
    debts = [debt.plan_debt() for debt in found if debt.balance > 0]
    try:
        chosen, other = compare_strategies(debts, extra, strategy, start)
    except NeverPaysOff as exc:
        raise Unprocessable(
            "These EMIs never pay the debts off: they don't cover the interest",
            code=ErrorCode.never_pays_off,
            loc=("query", "extra_monthly"),
        ) from exc
    return PayoffPlans(chosen, other, sum((d.emi for d in debts), ZERO) + extra)


# ---------------------------------------------------------------- one loan's figures


def _never_pays_off(emi: Decimal) -> Unprocessable:
    return Unprocessable(
        f"The EMI of {emi} never pays this debt off: it doesn't cover the monthly interest",
        code=ErrorCode.never_pays_off,
        loc=("query", "extra_monthly"),
    )


@dataclass(frozen=True)
class DebtSchedule:
    debt: Doc
    plan: loan_schedule.LoanSchedule
    overdue_days: int  # > 0: the projection starts with an instalment already past due
    what_if: Schedule | None  # paying `extra` a month and/or `lump` now, if either


async def schedule(
    db: AsyncDatabase,
    user_id: ObjectId,
    debt_id: str,
    day: date,
    extra: Decimal = ZERO,
    lump: Decimal = ZERO,
) -> DebtSchedule:
    """The user's loan as it stood on `day`: what was paid, then the instalments to come;
    and the what-if of paying more."""
    debt = await get_owned(db.debts, debt_id, user_id, "debt")
    try:
        plan = loan_schedule.schedule(debt_of(debt).terms, await loan_store.events(db, debt), day)
    except NeverPaysOff as exc:
        raise _never_pays_off(quantize(debt["monthly_emi"])) from exc
    state = plan.state
    overdue = 0
    if debt["status"] != "closed" and state.balance > 0:
        overdue = max(0, (day - state.next_due).days)
    return DebtSchedule(debt, plan, overdue, _what_if(state, extra, lump))


def _what_if(state: LoanState, extra: Decimal, lump: Decimal) -> Schedule | None:
    if (extra == 0 and lump == 0) or state.balance == 0:
        return None
    try:
        return amortize(state.balance, state.annual_rate, state.emi, state.next_due, extra, lump)
    except NeverPaysOff as exc:
        raise _never_pays_off(state.emi) from exc


async def statement(
    db: AsyncDatabase, user_id: ObjectId, debt_id: str, start: date, end: date, day: date
) -> tuple[Doc, loan_schedule.LoanStatement]:
    """The user's loan statement for [start, end], as of `day`."""
    debt = await get_owned(db.debts, debt_id, user_id, "debt")
    events = await loan_store.events(db, debt)
    return debt, loan_schedule.statement(debt_of(debt).terms, events, start, end, day)


# ---------------------------------------------------------------- rate resets


async def add_rate_change(
    db: AsyncDatabase,
    user_id: ObjectId,
    debt_id: str,
    effective: date,
    rate: Decimal,
    treatment: str,
) -> Doc:
    """Record a floating-rate reset on the user's active debt, effective on a day since it
    started; returns it with the rate before it and the EMI and tenure after it."""

    async def work(session: AsyncClientSession) -> Doc:
        debt = await get_owned(db.debts, debt_id, user_id, "debt", session=session)
        loan_rules.check_takes_payments(debt)
        loan_rules.check_reset_after_start(debt, effective)
        change = {
            "id": str(ObjectId()),
            "effective_date": effective,
            "interest_rate": rate,
            "treatment": treatment,
            "created_at": now_ms(),
        }
        changes = [*debt.get("rate_changes", []), change]
        booked = await loan_store.book(db, debt, session, rate_changes=changes)
        resets = rate_resets(debt | {"rate_changes": changes}, booked.state)
        (created,) = [reset for reset in resets if reset["id"] == change["id"]]
        return created

    return await in_transaction(db, work)


async def rate_changes(db: AsyncDatabase, user_id: ObjectId, debt_id: str) -> list[Doc]:
    """The user's debt's rate resets, oldest first."""
    debt = await get_owned(db.debts, debt_id, user_id, "debt")
    state = replay(debt_of(debt).terms, await loan_store.events(db, debt))
    return rate_resets(debt, state)


async def delete_latest_rate_change(db: AsyncDatabase, user_id: ObjectId, debt_id: str) -> None:
    """Undo the latest rate reset: the loan is replayed without it, exactly."""

    async def work(session: AsyncClientSession) -> None:
        debt = await get_owned(db.debts, debt_id, user_id, "debt", session=session)
        latest = loan_rules.latest_rate_change(debt)
        kept = [c for c in debt["rate_changes"] if c["id"] != latest["id"]]
        await loan_store.book(db, debt, session, rate_changes=kept)

    await in_transaction(db, work)
