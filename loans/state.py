"""What a change to a debt's events makes of its documents: the state written back on the
debt, the split each payment keeps, and a refusal as the API says it. Pure: loans/store.py
reads what this needs and writes what it gives, in the caller's transaction.

Recording an event dated after every other one continues from the state stored on the debt
(it costs that event); anything else (a backdated payment, a deletion, a rate reset)
replays the history and rewrites the splits it changes.
"""

from dataclasses import dataclass
from typing import Any

from core.dates import now_ms
from core.errors import AppError, Conflict, ErrorCode, Unprocessable
from core.money import quantize
from loans.debt import debt_of, events_of, payment_event
from loans.events import (
    Event,
    EventRow,
    LoanState,
    Payment,
    TenureExtensionRefused,
    event_key,
    replay,
    resume,
)
from loans.rules import Overpayment, PaymentTooSmall

Doc = dict[str, Any]


@dataclass(frozen=True)
class Change:
    """A change to a debt's events: `add` one, `remove` one by id, or set the debt's
    `rate_changes`."""

    add: Event | None = None
    remove: str | None = None
    rate_changes: list[Doc] | None = None


@dataclass(frozen=True)
class Booked:
    state: LoanState
    rows: dict[str, EventRow]  # event id -> its row: the new event's, or every replayed one
    fields: Doc  # the debt's new fields


def resumes(debt: Doc, change: Change) -> bool:
    """Whether the change only adds an event dated after every other one, to a debt that
    holds the state to continue from: then its payments need not be read."""
    found = debt_of(debt)
    if change.add is None or change.remove or change.rate_changes is not None:
        return False
    if found.stored_state() is None:
        return False
    return found.last_event is None or event_key(change.add) > found.last_event


def rebook(debt: Doc, change: Change, recorded: list[Doc] | None) -> Booked:
    """The debt after `change`: continued from its stored state when `recorded` is None (see
    `resumes`), else replayed from its `recorded` payments. A refusal is a domain error."""
    found = debt_of(debt)
    fields: Doc = {} if change.rate_changes is None else {"rate_changes": change.rate_changes}
    last: Event | None
    try:
        if recorded is None:
            stored = found.stored_state()
            if stored is None or change.add is None:
                raise ValueError("only a new event continues from a stored state (`resumes`)")
            state = resume(found.terms, stored, [change.add])
            payments = debt.get("payments_count", 0) + isinstance(change.add, Payment)
            last = change.add
        else:
            history = [e for e in events_of(debt | fields, recorded) if e.id != change.remove]
            history += [change.add] if change.add is not None else []
            state = replay(found.terms, history)
            payments = sum(isinstance(e, Payment) for e in history)
            last = max(history, key=event_key, default=None)
    except (PaymentTooSmall, Overpayment, TenureExtensionRefused) as exc:
        raise refusal(exc, change.add) from exc
    fields |= state_fields(debt, state, payments, last)
    return Booked(state, {row.id: row for row in state.rows}, fields)


def refusal(exc: Exception, new: Event | None) -> AppError:
    """The engine's refusal as the API says it: about the new event (422/409), or about a
    recorded one the change would break (409, naming its date)."""
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
            loc=("body", "amount"),
        )
    when = event.date.isoformat() if event is not None else "a recorded day"
    return Conflict(
        f"This change conflicts with the payment of {when}: with it, that payment would "
        f"{'exceed what is owed' if isinstance(exc, Overpayment) else 'not cover its interest'}",
        code=ErrorCode.conflicts_with_history,
    )


def split_fields(row: EventRow) -> Doc:
    """A payment's stored split, from its replayed row."""
    return {
        "interest_component": row.interest,
        "principal_component": row.principal,
        "remaining_after": row.remaining_after,
        "interest_rate": row.annual_rate,
    }


def changed_splits(recorded: list[Doc], state: LoanState) -> list[tuple[Any, Doc]]:
    """(payment id, its new split) for every recorded payment whose split the replay changed;
    a payment the replay left out (the one being deleted) keeps its own."""
    rows = {row.id: row for row in state.rows}
    changed = []
    for doc in recorded:
        row = rows.get(str(doc["_id"]))
        if row is None:
            continue
        split = split_fields(row)
        if any(doc.get(k) is None or quantize(doc[k]) != v for k, v in split.items()):
            changed.append((doc["_id"], split))
    return changed


def _last_event(event: Event) -> Doc:
    on, kind, ident = event_key(event)
    return {"date": on, "kind": kind, "id": ident}


def state_fields(debt: Doc, state: LoanState, payments: int, last: Event | None) -> Doc:
    """The debt's fields the events derive, and its status: repaid is completed; a closed
    debt (the user's word) stays closed until it is repaid."""
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
        "last_event": None if last is None else _last_event(last),
        "updated_at": at,
    }
    if state.balance == 0 and payments:
        if debt["status"] != "completed":
            fields |= {"status": "completed", "completed_at": at}
    elif debt["status"] == "completed":
        fields |= {"status": "active", "completed_at": None}
    return fields


def carried_state(debt: Doc, latest: Doc | None) -> Doc:
    """A debt whose history the engine refuses keeps its stored figures as the start of its
    events: the tenure its EMI needs from the stored balance, and its latest payment as the
    point later payments continue from."""
    found = debt_of(debt)
    state = replay(found.carried_terms(), []) if found.balance > 0 else None
    return {
        "remaining_tenure_months": state.remaining_tenure if state else 0,
        "last_event": None if latest is None else _last_event(payment_event(latest)),
    }
