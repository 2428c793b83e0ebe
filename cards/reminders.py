"""Card reminders and alerts, a pass of the reminder scheduler (beside the EMI reminders of
`loans/reminders.py`, in the same loop): every credit card with a statement day is worked
out on its user's own today, and each reminder or alert `cards/alerts.py` finds is recorded
in `card_alerts` and notified in one transaction. A unique index on (user_id, account_id,
key, kind) makes each happen once, however many schedulers run."""

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.asynchronous.database import AsyncDatabase

from cards import service
from cards.alerts import Alert, alerts
from config import Settings
from core.dates import now_ms
from core.money import format_money
from database import Doc
from notifications.owners import with_owners
from schemas.users import CARD_UTILISATION_ALERT
from security import User
from services import notify_once

CARDS = {"kind": "credit_card", "statement_day": {"$ne": None}}


def _money(figures: dict, name: str, currency: str) -> str:
    return format_money(figures[name], currency)


def message(card: str, alert: Alert, currency: str) -> tuple[str, str]:
    """The notification's title and text."""
    f = alert.figures
    if alert.kind == "utilisation":
        used, limit = _money(f, "used", currency), _money(f, "credit_limit", currency)
        return (
            f"{card}: {f['utilisation_percent']} % of the limit in use",
            f"{used} of your {limit} limit is in use, above your {f['threshold']} % alert.",
        )
    dues = (
        f"total due {_money(f, 'total_due', currency)}, "
        f"minimum due {_money(f, 'minimum_due', currency)}"
    )
    if f["remaining_due"] < f["total_due"]:  # partly paid: what is left matters
        dues += f", {_money(f, 'remaining_due', currency)} still to pay"
    when = f"{f['due_date']:%d %b %Y}"
    if alert.kind == "past_due":
        fee = f"{_money(f, 'late_fee', currency)} + {_money(f, 'late_fee_gst', currency)} GST"
        brings = (
            f"From {f['fee_from']:%d %b %Y} it brings"
            if f["fee_from"] > f["day"]
            else "It already brings"
        )
        text = (
            f"The minimum due of {_money(f, 'minimum_due', currency)} was not paid by {when}; "
            f"{_money(f, 'remaining_due', currency)} remains."
        )
        if f["late_fee"]:  # the lowest slab may carry no fee
            text += f" {brings} a late fee of {fee} on the next statement."
        return f"{card} bill is past due", text
    if alert.kind == "due_today":
        return f"{card} bill is due today", f"Your {card} bill is due today ({when}): {dues}."
    days = "1 day" if f["days_left"] == 1 else f"{f['days_left']} days"
    return f"{card} bill due in {days}", f"Your {card} bill is due on {when}: {dues}."


async def send_once(
    db: AsyncDatabase, settings: Settings, user: User, account: Doc, alert: Alert
) -> bool:
    """Record the alert and notify in one transaction; False when it was already sent."""
    title, text = message(account["name"], alert, user.currency)
    action_url = f"/accounts/{account['_id']}"
    context: dict[str, Any] = {
        **alert.figures,
        "kind": alert.kind,
        "card_name": account["name"],
        "currency": user.currency,
        "card_url": settings.app_url + action_url,
    }
    record = {
        "user_id": user.id,
        "account_id": account["_id"],
        "key": alert.key.isoformat(),
        "kind": alert.kind,
        "created_at": now_ms(),
    }
    return await notify_once(
        db,
        ("card_alerts", record),
        user,
        alert.notification,
        title,
        text,
        action_url=action_url,
        email=("card_reminder", context),
    )


async def _remind_card(
    db: AsyncDatabase, settings: Settings, user: User, account: Doc, at: datetime
) -> int:
    local_now = at.astimezone(ZoneInfo(user.timezone))
    if local_now.hour < settings.reminder_local_hour:  # quiet night, as for EMIs
        return 0
    day = local_now.date()
    view = await service.view(db, user, account, day)
    profile = user.doc.get("profile") or {}
    threshold = Decimal(profile.get("card_utilisation_alert") or CARD_UTILISATION_ALERT)
    sent = 0
    for alert in alerts(view, day, settings.reminder_days, threshold):
        sent += await send_once(db, settings, user, account, alert)
    return sent


async def run_card_reminders(
    db: AsyncDatabase, settings: Settings, at: datetime | None = None
) -> int:
    """One pass at `at` (default now) over every card with a statement day; returns how many
    reminders and alerts it sent."""
    moment = at or now_ms()

    async def remind(user: User, card: Doc) -> int:
        return await _remind_card(db, settings, user, card, moment)

    return await with_owners(db, db.accounts.find(CARDS), remind)
