"""The dashboard's cards block: every credit card of the user with a statement day, its view
(`cards.service.views`, read once with the look ahead's card dues) added up: outstanding
billed and unbilled, the soonest due date of a statement still owed and what is owed on it,
utilisation against the limits."""

from datetime import date
from decimal import Decimal

from cards.service import Card
from core.money import percent, total
from schemas.cards import CardOut, DashboardCards


def _next_due(views: list[CardOut]) -> tuple[date | None, Decimal | None]:
    """The soonest due date of a statement still owed, and what all the cards still owe on
    that date."""
    owed = [
        (v.last_statement.due_date, v.last_statement.remaining_due)
        for v in views
        if v.last_statement is not None and v.last_statement.remaining_due > 0
    ]
    if not owed:
        return None, None
    soonest = min(day for day, _ in owed)
    return soonest, total(amount for day, amount in owed if day == soonest)


def summary(cards: list[Card]) -> DashboardCards:
    """The cards block of the user's cards and their views (`cards.service.views`)."""
    views = [card.view for card in cards]
    limited = [v for v in views if v.credit_limit is not None]
    limit = total(v.credit_limit for v in limited)
    used = total(v.credit_limit - v.available_limit for v in limited)
    due_date, due_amount = _next_due(views)
    return DashboardCards(
        cards=len(views),
        billed=total(v.outstanding.billed for v in views),
        unbilled=total(v.outstanding.unbilled for v in views),
        next_due_date=due_date,
        next_due_amount=due_amount,
        credit_limit=limit if limited else None,
        utilisation_percent=percent(used, limit) if limit else None,
    )
