"""EMI reminders: a `payment_reminder` in the days before each active debt's due date and a
`payment_due` on the day itself, exactly once per debt, due date and kind, however many
schedulers (API replicas, `python -m ops.worker`) run at the same time: a unique index on
`reminders` (user_id, debt_id, due_date, kind) decides, and only the insert that wins notifies.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from cards.emi_store import PAID_AS_LOANS
from cards.reminders import run_card_reminders
from config import Settings
from core.dates import as_day, now_ms
from core.money import format_money
from database import Doc
from notifications.owners import with_owners
from schemas import NotificationType
from security import User
from services import notify_once

log = logging.getLogger("cleero.scheduler")
DEBT_FIELDS = {"user_id": 1, "name": 1, "monthly_emi": 1, "next_payment_date": 1}


@dataclass(frozen=True)
class Reminder:
    kind: NotificationType
    due: date  # the due date in the user's timezone
    days_left: int


def due_reminder(
    next_payment: date | datetime, tz: str, at: datetime, reminder_days: int, local_hour: int
) -> Reminder | None:
    """Which reminder (if any) a debt due at `next_payment` gets at `at`, in the user's calendar:
    `payment_due` on the due date, `payment_reminder` 1..reminder_days days before it, nothing
    before `local_hour` o'clock (quiet night) or for a due date already past."""
    local_now = at.astimezone(ZoneInfo(tz))
    if local_now.hour < local_hour:
        return None
    due = as_day(next_payment)
    days_left = (due - local_now.date()).days
    if days_left == 0:
        return Reminder(NotificationType.payment_due, due, 0)
    if 0 < days_left <= reminder_days:
        return Reminder(NotificationType.payment_reminder, due, days_left)
    return None


def _message(debt: Doc, reminder: Reminder, currency: str) -> tuple[str, str]:
    amount = format_money(debt["monthly_emi"], currency)
    when = f"{reminder.due:%d %b %Y}"
    if reminder.kind == NotificationType.payment_due:
        return (
            f"{debt['name']} EMI is due today",
            f"Your {debt['name']} EMI of {amount} is due today ({when}).",
        )
    days = "1 day" if reminder.days_left == 1 else f"{reminder.days_left} days"
    return (
        f"{debt['name']} EMI due in {days}",
        f"Your {debt['name']} EMI of {amount} is due on {when}.",
    )


async def send_once(
    db: AsyncDatabase, settings: Settings, user: User, debt: Doc, reminder: Reminder
) -> bool:
    """Record the reminder and notify in one transaction; False when it was already sent."""
    title, message = _message(debt, reminder, user.currency)
    action_url = f"/debts/{debt['_id']}"
    context: dict[str, Any] = {
        "debt_name": debt["name"],
        "amount": debt["monthly_emi"],
        "currency": user.currency,
        "due_date": f"{reminder.due:%d %B %Y}",
        "days_left": reminder.days_left,
        "debt_url": settings.app_url + action_url,
    }
    record = {
        "user_id": user.id,
        "debt_id": debt["_id"],
        "due_date": reminder.due.isoformat(),
        "kind": str(reminder.kind),
        "created_at": now_ms(),
    }
    return await notify_once(
        db,
        ("reminders", record),
        user,
        reminder.kind,
        title,
        message,
        action_url=action_url,
        email=("payment_reminder", context),
    )


async def run_reminders(db: AsyncDatabase, settings: Settings, at: datetime | None = None) -> int:
    """One scheduler pass at `at` (default now); returns how many reminders this pass sent."""
    moment = at or now_ms()
    # Due days from the earliest "today" on Earth to the latest + N: a day either side of the
    # UTC date holds them all; `due_reminder` then decides exactly, in the user's own calendar.
    utc_today = moment.astimezone(UTC).date()
    window = {
        "$gte": utc_today - timedelta(days=1),
        "$lt": utc_today + timedelta(days=settings.reminder_days + 2),
    }
    due = {"status": "active", "next_payment_date": window, **PAID_AS_LOANS}
    cursor = db.debts.find(due, projection=DEBT_FIELDS).sort("next_payment_date", 1)

    async def remind(user: User, debt: Doc) -> int:
        reminder = due_reminder(
            debt["next_payment_date"],
            user.timezone,
            moment,
            settings.reminder_days,
            settings.reminder_local_hour,
        )
        return 0 if reminder is None else await send_once(db, settings, user, debt, reminder)

    return await with_owners(db, cursor, remind)


async def run_all(db: AsyncDatabase, settings: Settings, at: datetime | None = None) -> int:
    """Every reminder pass at `at`: the EMIs', then the cards' (cards/reminders.py)."""
    return await run_reminders(db, settings, at) + await run_card_reminders(db, settings, at)


async def run_forever(db: AsyncDatabase, settings: Settings) -> None:
    """The scheduler loop (app lifespan or `python -m ops.worker`): a pass now, then every
    interval."""
    while True:
        try:
            sent = await run_all(db, settings)
            if sent:
                log.info("sent %d EMI and card reminders", sent)
        except PyMongoError as exc:  # database away: try again next interval
            log.warning("reminder scheduler waiting for the database: %s", exc)
        except Exception:  # a bug must not stop reminders for good: log it, keep the schedule
            log.exception("reminder pass failed")
        await asyncio.sleep(settings.scheduler_interval_seconds)
