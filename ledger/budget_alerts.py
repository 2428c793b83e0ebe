"""Every write of expenses moves the spend counters (`ledger.store`) in its own transaction,
and in that same transaction records and sends the budget alerts the spend as of that write
calls for. Writes on one counter are serialised by their transactions, so each sees the
spend exactly as of itself: whatever the concurrency, each level (the alert threshold, the
limit) of a budget goes out once a month, from the write that reaches it."""

from collections.abc import Iterable
from decimal import Decimal

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import current_month, month_key
from database import Doc
from ledger import store
from ledger.rules import (
    BudgetLevel,
    alert_level,
    budget_alert,
    budget_line,
    levels_reached,
    spend_changes,
)
from schemas import NotificationType
from security import User
from services import notify


async def expenses_written(
    db: AsyncDatabase,
    user: User,
    session: AsyncClientSession,
    *,
    removed: Iterable[Doc] = (),
    added: Iterable[Doc] = (),
    app_url: str = "",
) -> list[BudgetLevel]:
    """After expenses were written in `session`: `removed` as they were (deleted, or before
    an edit), `added` as they are now (created, or after an edit). Moves each (category,
    month) counter they touch, and where spend went up in this month (the user's timezone)
    sends the budget alert the spend as of this write has reached, if no write sent it
    before. Returns the levels alerted. Spend taken out of a category, or added in another
    month, alerts nothing: no current budget went up."""
    this_month = current_month(user.timezone)
    changes = spend_changes(removed, added)
    # Spend going up this month may reach a budget level: its counter answers the new spend.
    alerting = {
        key: amount for key, amount in changes.items() if amount > 0 and key[1] == this_month
    }
    quiet = {
        (cat, month_key(*ym)): amount
        for (cat, ym), amount in changes.items()
        if (cat, ym) not in alerting
    }
    await store.move_spends(db, user.id, quiet, session)
    alerted = []
    for (category, year_month), amount in sorted(alerting.items()):
        month = month_key(*year_month)
        spent = await store.move_spend(db, user.id, category, month, amount, session)
        alerted += await alert(db, user, category, year_month, spent, session, app_url)
    return alerted


async def alert(
    db: AsyncDatabase,
    user: User,
    category: str,
    year_month: tuple[int, int],
    spent: Decimal,
    session: AsyncClientSession,
    app_url: str,
) -> list[BudgetLevel]:
    """Record every level `spent` reaches against the category's active budget; the write
    that records the highest first sends its alert (in `session`, with its push and email)."""
    budget = await store.active_budget(db, user.id, category, session)
    if budget is None:
        return []
    limit, threshold = budget["monthly_limit"], budget["alert_threshold"]
    reached = levels_reached(spent, limit, threshold)
    line = budget_line(spent, limit, threshold)
    month = month_key(*year_month)
    newly = [
        level
        for level in reached
        if await store.record_alert(db, budget, month, level, line, session)
    ]
    level = alert_level(reached, newly)
    if level is None:
        return []
    text = budget_alert(category, line, threshold, year_month, user.currency, app_url)
    await notify(
        db,
        user,
        NotificationType.expense_alert,
        text.title,
        text.message,
        action_url="/budgets",
        email=("expense_alert", text.context),
        session=session,
    )
    return [level]
