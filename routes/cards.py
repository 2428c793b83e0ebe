"""Credit cards: a card account's cycle in progress, its statements, what is outstanding
against its limit, and its EMIs (`cards/`)."""

from fastapi import APIRouter, Response, status

from cards import emi_service, service
from routes.deps import CurrentUser, Db, IdempotencyKey, Pagination, responses
from schemas import (
    CardEmiCreate,
    CardEmiDetail,
    CardEmiOut,
    CardOut,
    ForecloseCreate,
    Page,
    StatementOut,
)

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


# ---------------------------------------------------------------- EMIs

EMI_ERRORS = responses(
    401,
    (404, "Card, EMI or expense not found (or not yours)"),
    (
        409,
        "The purchase is already an EMI, the EMI is foreclosed or fully billed, or this "
        "Idempotency-Key is in use",
    ),
    (422, "Not a credit card, its statement day not set, or the EMI's terms are invalid"),
)


@router.post("/{card_id}/emis", status_code=status.HTTP_201_CREATED, responses=EMI_ERRORS)
async def create_emi(
    card_id: str,
    body: CardEmiCreate,
    user: CurrentUser,
    db: Db,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> CardEmiDetail:
    """Convert a purchase on the card (`expense_id`) or an amount into monthly instalments:
    a debt of type `credit_card` on the loans' reducing-balance schedule, each instalment
    billed on a statement with GST on its interest, the processing fee and its GST on the
    first; its principal not billed yet is blocked from the card's limit."""
    emi, replayed = await emi_service.create(db, user, card_id, body, idempotency_key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return emi


@router.get("/{card_id}/emis", responses=EMI_ERRORS)
async def list_emis(card_id: str, user: CurrentUser, db: Db, page: Pagination) -> Page[CardEmiOut]:
    """The card's EMIs, newest first."""
    return await emi_service.emis_of(db, user, card_id, page)


@router.get("/{card_id}/emis/{emi_id}", responses=EMI_ERRORS)
async def get_emi(card_id: str, emi_id: str, user: CurrentUser, db: Db) -> CardEmiDetail:
    """One EMI with its schedule: each instalment's principal, interest, discount, GST and
    the statement that bills it."""
    return await emi_service.one(db, user, card_id, emi_id)


@router.post("/{card_id}/emis/{emi_id}/foreclose", responses=EMI_ERRORS)
async def foreclose_emi(
    card_id: str, emi_id: str, body: ForecloseCreate, user: CurrentUser, db: Db
) -> CardEmiDetail:
    """Foreclose the EMI: its principal not billed yet, a fee of `fee_percent` of it and GST
    on the fee billed on the next statement; nothing blocked any more; its debt closed."""
    return await emi_service.foreclose_emi(db, user, card_id, emi_id, body)
