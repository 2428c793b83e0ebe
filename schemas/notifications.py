"""The notifications inbox and the per-type channel preferences."""

from enum import StrEnum

from schemas.base import OutModel, RequestModel, ResponseModel
from schemas.types import Instant, StrictBool


class NotificationType(StrEnum):
    payment_due = "payment_due"
    payment_reminder = "payment_reminder"
    payment_overdue = "payment_overdue"  # a card's minimum due unpaid after its due date
    payment_received = "payment_received"
    debt_completed = "debt_completed"
    goal_milestone = "goal_milestone"
    expense_alert = "expense_alert"
    card_utilisation = "card_utilisation"  # a card used above the user's threshold
    income_received = "income_received"
    recurring = "recurring"  # bills and subscriptions: new, price changed, missed, income late
    system = "system"


class ChannelPrefs(RequestModel):
    email: StrictBool = True
    push: StrictBool = True


NotificationPreferences = dict[NotificationType, ChannelPrefs]


class NotificationOut(OutModel):
    title: str
    message: str
    notification_type: NotificationType
    is_read: bool
    action_url: str | None = None  # null once what it pointed at was deleted
    read_at: Instant | None = None
    created_at: Instant


class UnreadCount(ResponseModel):
    count: int


class ReadAllResult(ResponseModel):
    updated: int
