"""The balance watch: after detection, the next WATCH_DAYS of the forecast are checked, and
the user is warned once of each EMI or card due the projected balance cannot pay, and once
per episode when it goes below their threshold (`profile.low_balance_threshold`): an episode
ends when a projection stays above the threshold, and the next dip warns again. Without a
threshold and without EMIs or card dues there is nothing to watch, and the balances are not
read."""

from decimal import Decimal

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import now_ms
from core.money import format_money, quantize
from database import Doc
from recurring import forecast, store
from schemas import NotificationType
from security import User
from services import notify_once

WATCH_DAYS = 30
LOW_BALANCE = "low_balance"  # the record of the episode under way
FORECAST = "/forecast"  # where the app shows it


async def alert(
    db: AsyncDatabase,
    user: User,
    key: tuple[ObjectId | None, str],
    title: str,
    message: str,
    action_url: str,
) -> None:
    """A recurring notification, once per `key` (item id or None for the user's, event):
    the unique record in `recurring_alerts` decides."""
    item_id, event = key
    record = {"user_id": user.id, "item_id": item_id, "event": event, "created_at": now_ms()}
    await notify_once(
        db,
        ("recurring_alerts", record),
        user,
        NotificationType.recurring,
        title,
        message,
        action_url=action_url,
    )


def threshold_of(user: User) -> Decimal | None:
    value = (user.doc.get("profile") or {}).get("low_balance_threshold")
    return None if value is None else quantize(value)


def watching(user: User, items: list[Doc]) -> bool:
    """Whether there is anything to watch: a threshold set, or an EMI or card due expected."""
    return threshold_of(user) is not None or any(item["source"] in forecast.DUES for item in items)


async def warn(db: AsyncDatabase, user: User, result: forecast.Projection) -> None:
    """The warnings `result` (the projection of every account, WATCH_DAYS ahead) calls for."""

    def money(amount: Decimal) -> str:
        return format_money(amount, user.currency)

    for day, move, balance in forecast.uncovered(result):
        card = move.source == "card"
        what = move.title if card else f"the {move.title} EMI"
        line = f"Your balance may not cover {what} of {money(-move.amount)} "
        line += f"on {day.isoformat()}: {money(balance)} projected"
        key = f"{move.source}:{move.item_id}:{day}" if card else f"emi:{move.item_id}:{day}"
        title = "Card bill at risk" if card else "EMI at risk"
        await alert(db, user, (None, key), title, line, FORECAST)
    threshold = threshold_of(user)
    low = None if threshold is None else forecast.first_below(result, threshold)
    if low is None:
        await store.close_episode(db, user.id, LOW_BALANCE)
        return
    day, balance = low
    line = f"Your balance is projected to fall to {money(balance)} on {day.isoformat()}, "
    line += f"below {money(threshold)}"
    await alert(db, user, (None, LOW_BALANCE), "Low balance ahead", line, FORECAST)
