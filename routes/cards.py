"""Credit cards: a card account's cycle in progress, its statements and what is outstanding
against its limit (`cards/`)."""

from fastapi import APIRouter

from cards import service
from routes.deps import CurrentUser, Db, Pagination, responses
from schemas import CardOut, Page, StatementOut

router = APIRouter(prefix="/accounts", tags=["cards"])
ERRORS = responses(
    401,
    (404, "Account not found (or not yours)"),
    (422, "Not a credit card, or its statement day is not set"),
)


@router.get("/{card_id}/card", responses=ERRORS)
async def get_card(card_id: str, user: CurrentUser, db: Db) -> CardOut:
    """The card's cycle in progress, its last statement (what is paid and due, whether past
    due), the next statement's estimate (interest, late fee, GST), what is outstanding
    (billed and unbilled) and the limit left."""
    return await service.card(db, user, card_id)


@router.get("/{card_id}/statements", responses=ERRORS)
async def list_statements(
    card_id: str, user: CurrentUser, db: Db, page: Pagination
) -> Page[StatementOut]:
    """Each closed cycle's statement, newest first: as an imported statement prints it, else
    worked out from the card's entries (`estimated: true`)."""
    return await service.statements_of(db, user, card_id, page)
