"""Which reminders and alerts a card gets on a day, pure: from its card view (as
`GET /api/accounts/{id}/card` answers it on that day) and the user's utilisation threshold.

- the last statement's due date approaching (1..`reminder_days` days before) and due today,
  while something of its total due remains;
- past due (less than its minimum due paid after the due date), with the late fee its
  outstanding amount would bring after 3 days past due, and the GST on it;
- the card used above the threshold, once per cycle.

Each is sent once: its `key` (the statement date, or the cycle's end) with its kind is the
unique record that decides."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from cards.rules import LATE_FEE_GRACE_DAYS, gst
from schemas import CardOut, NotificationType


@dataclass(frozen=True)
class Alert:
    kind: str  # due_soon | due_today | past_due | utilisation: the once-only record's kind
    notification: NotificationType
    key: date  # the statement date (dues) or the cycle's end (utilisation)
    figures: dict  # what the message and the email show


def _dues(view: CardOut, day: date, reminder_days: int) -> list[Alert]:
    last = view.last_statement
    if last is None or last.remaining_due <= 0:
        return []
    figures = {
        "total_due": last.total_due,
        "minimum_due": last.minimum_due,
        "remaining_due": last.remaining_due,
        "due_date": last.due_date,
        "days_left": (last.due_date - day).days,
        "day": day,
    }
    key = last.statement_date
    if last.status == "overdue":
        fee = view.next_statement.late_fee  # the slab of what was outstanding after the due date
        figures |= {
            "days_past_due": last.days_past_due,
            "late_fee": fee,
            "late_fee_gst": gst(fee),
            "fee_from": last.due_date + timedelta(days=LATE_FEE_GRACE_DAYS + 1),
        }
        return [Alert("past_due", NotificationType.payment_overdue, key, figures)]
    if figures["days_left"] == 0:
        return [Alert("due_today", NotificationType.payment_due, key, figures)]
    if 0 < figures["days_left"] <= reminder_days:
        return [Alert("due_soon", NotificationType.payment_reminder, key, figures)]
    return []


def _utilisation(view: CardOut, threshold: Decimal) -> list[Alert]:
    used = view.utilisation_percent
    if used is None or used <= threshold or view.credit_limit is None:
        return []
    figures = {
        "utilisation_percent": used,
        "threshold": threshold,
        "used": view.credit_limit - (view.available_limit or 0),
        "credit_limit": view.credit_limit,
    }
    return [Alert("utilisation", NotificationType.card_utilisation, view.current_cycle.to, figures)]


def alerts(view: CardOut, day: date, reminder_days: int, threshold: Decimal) -> list[Alert]:
    """The reminders and alerts the card's view on `day` calls for."""
    return _dues(view, day, reminder_days) + _utilisation(view, threshold)
