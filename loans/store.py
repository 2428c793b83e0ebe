"""A debt's book: its events (payments and rate resets) replayed by `loan_events` into the
debt's state, and written back, in the caller's transaction.

The debt document keeps the loan's terms as they started (`principal` or `outstanding_amount`,
`tenure_months`, `original_rate`, `original_emi`, the due-date anchor) and, derived from the
events, its state now: `remaining_amount`, `interest_rate`, `monthly_emi`,
`remaining_tenure_months`, the totals, the next due date, `status`. Each payment keeps its own
split. Recording an event dated after every other one continues from the stored state (it
costs that event); anything else (a backdated payment, a deletion, a rate reset) replays the
history and rewrites the splits it changes.
"""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import as_day, now_ms
from core.errors import Conflict, ErrorCode, Unprocessable
from core.money import quantize
from loans.events import (
    Event,
    EventRow,
    LoanState,
    LoanTerms,
    Payment,
    RateChange,
    TenureExtensionRefused,
    event_key,
    replay,
    resume,
)
from loans.rules import Overpayment, PaymentTooSmall

Doc = dict[str, Any]


def terms(debt: Doc) -> LoanTerms:
    """The loan as it started: what was outstanding, at what rate and EMI, from which due day."""
    return LoanTerms(
        principal=quantize(debt.get("outstanding_amount") or debt["principal"]),
        annual_rate=debt.get("original_rate", debt["interest_rate"]),
        tenure_months=debt["tenure_months"],
        emi=quantize(debt.get("original_emi", debt["monthly_emi"])),
        first_due=date.fromisoformat(debt["due_anchor"]),
        anchor_offset=debt.get("anchor_offset", 0),
    )


def payment_event(doc: Doc) -> Payment:
    return Payment(
        id=str(doc["_id"]),
        date=as_day(doc["payment_date"]),
        amount=quantize(doc["amount"]),
        payment_type=doc["payment_type"],
        prepayment_effect=doc.get("prepayment_effect") or "reduce_tenure",
    )


def rate_event(change: Doc) -> RateChange:
    return RateChange(
        id=change["id"],
        effective_date=as_day(change["effective_date"]),
        annual_rate=change["interest_rate"],
        treatment=change["treatment"],
    )


async def _payments(db: AsyncDatabase, debt: Doc, session: AsyncClientSession | None) -> list[Doc]:
    # On the (user_id, debt_id, payment_date) index; a loan has a few hundred at most.
    query = {"user_id": debt["user_id"], "debt_id": debt["_id"]}
    return await db.payments.find(query, session=session).to_list(None)


def _events(debt: Doc, payments: list[Doc]) -> list[Event]:
    return [*map(payment_event, payments), *map(rate_event, debt.get("rate_changes", []))]


async def events(
    db: AsyncDatabase, debt: Doc, session: AsyncClientSession | None = None
) -> list[Event]:
    """Every event of the debt: its payments and its rate changes (kept on the debt)."""
    return _events(debt, await _payments(db, debt, session))


def _stored_state(debt: Doc, loan: LoanTerms) -> LoanState | None:
    """The state the debt document holds, to continue from; None when it holds none yet."""
    if "remaining_tenure_months" not in debt or "last_event" not in debt:
        return None
    paid, interest = quantize(debt["total_paid"]), quantize(debt["total_interest_paid"])
    return LoanState(
        principal=loan.principal,
        balance=quantize(debt["remaining_amount"]),
        annual_rate=debt["interest_rate"],
        emi=quantize(debt["monthly_emi"]),
        remaining_tenure=debt["remaining_tenure_months"],
        instalments_paid=debt["due_offset"],
        next_due=as_day(debt["next_payment_date"]),
        total_paid=paid,
        total_interest=interest,
        total_principal=paid - interest,
        rows=(),
    )


def _after_everything(debt: Doc, event: Event) -> bool:
    last = debt.get("last_event")
    return last is None or event_key(event) > (as_day(last["date"]), last["kind"], last["id"])


@dataclass(frozen=True)
class Booked:
    state: LoanState
    rows: dict[str, EventRow]  # event id -> its row: the new event's, or every replayed one


def _refused(exc: Exception, new: Event | None) -> Exception:
    """The engine's refusal as the API says it: about the new event (422/409 as before), or
    about a recorded one the change would break (409, naming its date)."""
    event = getattr(exc, "event", None)
    ours = new is not None and event is not None and event.id == new.id
    if isinstance(exc, TenureExtensionRefused):
        return Unprocessable(
            "Keeping the EMI and extending the tenure is refused: the EMI must be at least "
            f"{exc.minimum_emi} (this month's interest at the new rate is {exc.interest})",
            code=ErrorCode.emi_below_minimum,
            loc=("body", "treatment"),
        )
    if ours and isinstance(exc, PaymentTooSmall):
        return Unprocessable(
            f"An EMI payment must at least cover this month's interest of {exc.interest}",
            code=ErrorCode.payment_too_small,
            loc=("body", "amount"),
        )
    if ours and isinstance(exc, Overpayment):
        return Conflict(
            f"Payment exceeds what is owed: the remaining amount is {exc.remaining}"
            f" ({exc.clears} clears the debt)",
            code=ErrorCode.overpayment,
        )
    when = event.date.isoformat() if event is not None else "a recorded day"
    return Conflict(
        f"This change conflicts with the payment of {when}: with it, that payment would "
        f"{'exceed what is owed' if isinstance(exc, Overpayment) else 'not cover its interest'}",
        code=ErrorCode.conflicts_with_history,
    )


async def book(
    db: AsyncDatabase,
    debt: Doc,
    session: AsyncClientSession,
    *,
    add: Event | None = None,
    remove: str | None = None,
    rate_changes: list[Doc] | None = None,
) -> Booked:
    """Apply a change to the debt's book (`add` an event, `remove` one by id, or set the
    debt's `rate_changes`) and write back the debt's state and the payments' splits; the
    caller stores a new payment itself, with its row's split. A refusal is a domain error."""
    loan = terms(debt)
    stored = _stored_state(debt, loan)
    fields: Doc = {} if rate_changes is None else {"rate_changes": rate_changes}
    try:
        if (
            add is not None
            and not remove
            and not fields
            and stored
            and _after_everything(debt, add)
        ):
            state = resume(loan, stored, [add])  # type: ignore[arg-type, list-item]
            payments = debt.get("payments_count", 0) + isinstance(add, Payment)
            last: Event | None = add
        else:
            recorded = await _payments(db, debt, session)
            history = [e for e in _events(debt | fields, recorded) if e.id != remove]
            history += [add] if add is not None else []
            state = replay(loan, history)
            payments = sum(isinstance(e, Payment) for e in history)
            last = max(history, key=event_key, default=None)
            await _rewrite_splits(db, recorded, state, session)
    except (PaymentTooSmall, Overpayment, TenureExtensionRefused) as exc:
        raise _refused(exc, add) from exc
    fields |= _state_fields(debt, state, payments, last)
    await db.debts.update_one({"_id": debt["_id"]}, {"$set": fields}, session=session)
    return Booked(state, {row.id: row for row in state.rows})


async def _rewrite_splits(
    db: AsyncDatabase, recorded: list[Doc], state: LoanState, session: AsyncClientSession
) -> None:
    """Every recorded payment whose split the replay changed gets its new one."""
    rows = {row.id: row for row in state.rows}
    for doc in recorded:
        row = rows.get(str(doc["_id"]))
        if row is None:  # the payment being deleted
            continue
        split = split_fields(row)
        if any(doc.get(k) is None or quantize(doc[k]) != v for k, v in split.items()):
            await db.payments.update_one({"_id": doc["_id"]}, {"$set": split}, session=session)


async def record(
    db: AsyncDatabase,
    debt: Doc,
    event: Payment,
    session: AsyncClientSession,
    *,
    method: str,
    effect: str | None = None,
    notes: str | None = None,
    extra: Doc | None = None,
) -> Doc:
    """Book a payment on the debt (as read in the caller's transaction) and store it with its
    split: POST /api/payments and a statement import record payments only through this.
    `extra` fields are stored with it (an import's id)."""
    booked = await book(db, debt, session, add=event)
    payment = {
        "_id": ObjectId(event.id),
        "user_id": debt["user_id"],
        "debt_id": debt["_id"],
        "debt_name": debt["name"],
        "amount": event.amount,
        "payment_date": event.date,
        "payment_type": event.payment_type,
        "prepayment_effect": effect,
        "payment_method": method,
        "status": "completed",
        "notes": notes,
        **split_fields(booked.rows[event.id]),
        "transaction_id": str(uuid.uuid4()),
        "created_at": now_ms(),
        **(extra or {}),
    }
    await db.payments.insert_one(payment, session=session)
    return payment


def split_fields(row: Any) -> Doc:
    """A payment's stored split, from its replayed row."""
    return {
        "interest_component": row.interest,
        "principal_component": row.principal,
        "remaining_after": row.remaining_after,
        "interest_rate": row.annual_rate,
    }


def _state_fields(debt: Doc, state: LoanState, payments: int, last: Event | None) -> Doc:
    at = now_ms()
    fields: Doc = {
        "remaining_amount": state.balance,
        "interest_rate": state.annual_rate,
        "monthly_emi": state.emi,
        "remaining_tenure_months": state.remaining_tenure,
        "total_paid": state.total_paid,
        "total_interest_paid": state.total_interest,
        "payments_count": payments,
        "due_offset": state.instalments_paid,
        "next_payment_date": state.next_due,
        "last_event": None,
        "updated_at": at,
    }
    if last is not None:
        on, kind, ident = event_key(last)
        fields["last_event"] = {"date": on, "kind": kind, "id": ident}
    # Repaid is completed; a closed debt (the user's word) stays closed until it is repaid.
    if state.balance == 0 and payments:
        if debt["status"] != "completed":
            fields |= {"status": "completed", "completed_at": at}
    elif debt["status"] == "completed":
        fields |= {"status": "active", "completed_at": None}
    return fields


def opening_fields(debt: Doc) -> Doc:
    """A new debt's state before any event: what the terms give."""
    state = replay(terms(debt), [])
    return {"remaining_tenure_months": state.remaining_tenure, "last_event": None}


def carried_state(debt: Doc, latest: Doc | None) -> Doc:
    """A debt whose history the engine refuses keeps its stored figures as the start of its
    book: the tenure its EMI needs from the stored balance, and its latest payment as the
    point later payments continue from."""
    left = max(debt["tenure_months"] - debt.get("due_offset", 0), 1)
    carried = LoanTerms(
        principal=quantize(debt["remaining_amount"]),
        annual_rate=debt["interest_rate"],
        tenure_months=left,
        emi=quantize(debt["monthly_emi"]),
        first_due=as_day(debt["next_payment_date"]),
    )
    state = replay(carried, []) if carried.principal > 0 else None
    fields: Doc = {"remaining_tenure_months": state.remaining_tenure if state else 0}
    fields["last_event"] = None
    if latest is not None:
        on, kind, ident = event_key(payment_event(latest))
        fields["last_event"] = {"date": on, "kind": kind, "id": ident}
    return fields
