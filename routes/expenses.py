"""Expenses: record spending by category, search it, monthly totals, and receipt uploads."""

import os
import re
import uuid
from typing import Annotated, Any, BinaryIO

import anyio
from botocore.exceptions import BotoCoreError, ClientError
from fastapi import APIRouter, Query, Request, Response, UploadFile, status
from fastapi.responses import FileResponse
from pymongo.asynchronous.client_session import AsyncClientSession

from core.dates import now_ms, stats_period
from core.errors import (
    ErrorCode,
    Forbidden,
    Gone,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
)
from core.sync import stamp
from database import Doc, get_owned, in_transaction, paginate
from ledger import service as ledger
from ledger.categories import SUGGESTED_CATEGORIES
from ledger.receipts import EXTENSION_TYPES, HEAD_BYTES, detect_file_type
from ledger.store import date_query, monthly_stats, monthly_totals
from routes.deps import (
    NO_CONTENT,
    CurrentUser,
    Db,
    ETagged,
    FromDate,
    IdempotencyKey,
    IfMatch,
    IfNoneMatch,
    Pagination,
    SettingsDep,
    ToDate,
    Year,
    responses,
    tagged,
)
from schemas import (
    ExpenseCategories,
    ExpenseCreate,
    ExpenseOut,
    ExpenseUpdate,
    MonthlyStats,
    Page,
    ReceiptLink,
)
from security import User
from services import RECEIPT_LINK_SECONDS, LocalStorage, enqueue, receipt_link

router = APIRouter(prefix="/expenses", tags=["expenses"])
E401 = responses(401)
E404 = responses((404, "Expense (or the account named) not found"))
E422 = responses((422, "Invalid input or date range"))
# A create that takes an Idempotency-Key.
E_KEYED = responses(
    (409, "A request with this Idempotency-Key is still being processed"),
    (422, "Invalid input, or the Idempotency-Key was used with another request"),
)
NEWEST_FIRST = [("date", -1), ("_id", -1)]
E304, E412 = responses(304), responses(412)


# ---------------------------------------------------------------- receipts


def _file_size(file: BinaryIO) -> int:
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size


def _storage(request: Request) -> Any:
    return request.app.state.backends.storage


# ---------------------------------------------------------------- rules


def expense_query(
    user: User,
    category: str | None,
    tag: str | None,
    q: str | None,
    start: Any,
    end: Any,
) -> dict[str, Any]:
    """The list filters. `q` is a case-insensitive substring of the title, escaped (never a
    user regex); it is checked per document within the user's index range."""
    query: dict[str, Any] = {"user_id": user.id, **date_query(start, end)}
    if category:
        query["category"] = category.strip().lower()
    if tag:
        query["tags"] = tag.strip().lower()
    if q:
        query["title"] = {"$regex": re.escape(q), "$options": "i"}
    return query


# ---------------------------------------------------------------- routes


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **tagged(201),
        **E401,
        **E_KEYED,
        **responses((404, "Account not found (or not yours)")),
    },
)
async def create_expense(
    body: ExpenseCreate,
    user: CurrentUser,
    db: Db,
    settings: SettingsDep,
    response: Response,
    tag: ETagged,
    idempotency_key: IdempotencyKey = None,
) -> ExpenseOut:
    """Record an expense; reaching a budget's threshold or limit this month alerts you, once."""
    expense, replayed = await ledger.create_expense(
        db, user, body, idempotency_key, settings.app_url
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return tag(expense)


@router.get("", responses={**E401, **E422})
async def list_expenses(
    user: CurrentUser,
    db: Db,
    page: Pagination,
    category: Annotated[str | None, Query(max_length=40)] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=100, description="Text in the title")] = None,
    start: FromDate = None,
    end: ToDate = None,
) -> Page[ExpenseOut]:
    """Your expenses, newest first; filter by category, tag, title text and date range."""
    query = expense_query(user, category, tag, q, start, end)
    return await paginate(db.expenses, query, page, ExpenseOut.model_validate, sort=NEWEST_FIRST)


@router.get("/categories", responses=E401)
async def list_expense_categories(user: CurrentUser, db: Db) -> ExpenseCategories:
    """Suggested categories plus the ones you have used."""
    used = await db.expenses.distinct("category", {"user_id": user.id})
    custom = sorted(set(used) - set(SUGGESTED_CATEGORIES))
    return ExpenseCategories(
        suggested=list(SUGGESTED_CATEGORIES),
        custom=custom,
        all=[*SUGGESTED_CATEGORIES, *custom],
    )


@router.get("/stats/monthly", responses={**E401, **E422})
async def get_expense_stats(
    user: CurrentUser, db: Db, year: Year = None, start: FromDate = None, end: ToDate = None
) -> MonthlyStats:
    """Spending per month, split by category, for `year` or `from`..`to` (this year by
    default)."""
    period = stats_period(year, start, end, user.timezone)
    totals = await monthly_totals(db.expenses, user.id, period, "category")
    return monthly_stats(period, user.currency, "category", totals)


@router.get(
    "/receipts/download",
    response_class=FileResponse,
    responses={
        **responses((403, "Bad signature")),
        **responses((404, "Receipt not found")),
        **responses((410, "Link expired")),
    },
)
async def download_receipt(
    request: Request,
    key: Annotated[str, Query(max_length=300)],
    expires: int,
    sig: Annotated[str, Query(max_length=128)],
) -> FileResponse:
    """A receipt through a signed, expiring link (local storage; S3 links go to S3)."""
    storage = _storage(request)
    if not isinstance(storage, LocalStorage):
        raise NotFound("receipt")
    if not storage.verify(key, expires, sig):
        raise Forbidden("Invalid download link", code=ErrorCode.invalid_signature)
    if expires < now_ms().timestamp():
        raise Gone("This download link has expired", code=ErrorCode.link_expired)
    try:
        path = storage.path(key)
    except ValueError as exc:
        raise Forbidden("Invalid download link", code=ErrorCode.invalid_signature) from exc
    if not await anyio.to_thread.run_sync(path.is_file):
        raise NotFound("receipt")
    return FileResponse(
        path,
        media_type=EXTENSION_TYPES.get(path.suffix.lstrip("."), "application/octet-stream"),
        content_disposition_type="inline",
        filename=path.name,
    )


@router.get("/{expense_id}", responses={**tagged(), **E304, **E401, **E404})
async def get_expense(expense_id: str, user: CurrentUser, db: Db, tag: IfNoneMatch) -> ExpenseOut:
    """One expense."""
    doc = await get_owned(db.expenses, expense_id, user.id, "expense")
    return tag(ExpenseOut.model_validate(doc))


@router.put("/{expense_id}", responses={**tagged(), **E401, **E404, **E412, **E422})
async def update_expense(
    expense_id: str,
    body: ExpenseUpdate,
    user: CurrentUser,
    db: Db,
    settings: SettingsDep,
    if_match: IfMatch,
    tag: ETagged,
) -> ExpenseOut:
    """Change an expense; fields left out keep their value. Its spend moves with it, and
    what it adds this month may alert a budget."""
    doc = await ledger.update_entry(
        db, user, "expenses", expense_id, body, if_match, settings.app_url
    )
    return tag(ExpenseOut.model_validate(doc))


@router.delete("/{expense_id}", **NO_CONTENT, responses={**E401, **E404, **E412})
async def delete_expense(expense_id: str, user: CurrentUser, db: Db, if_match: IfMatch) -> None:
    """Delete an expense and its receipt; its spend leaves its budget's month."""
    await ledger.delete_entry(db, user, "expenses", expense_id, if_match)


@router.post(
    "/{expense_id}/receipt",
    responses={
        **tagged(),
        **E401,
        **E404,
        **responses((413, "File larger than 10 MB")),
        **responses((415, "Not a JPEG, PNG, WebP, HEIC or PDF file")),
        **responses((503, "File storage unavailable")),
    },
)
async def upload_receipt(
    expense_id: str,
    file: UploadFile,
    request: Request,
    user: CurrentUser,
    db: Db,
    settings: SettingsDep,
    tag: ETagged,
) -> ExpenseOut:
    """Attach a receipt (JPEG, PNG, WebP, HEIC or PDF, at most 10 MB), replacing any old one."""
    expense = await get_owned(db.expenses, expense_id, user.id, "expense")
    size = file.size if file.size is not None else _file_size(file.file)
    if size > settings.max_upload_bytes:
        raise PayloadTooLarge(
            f"Receipt exceeds {settings.max_upload_bytes} bytes", code=ErrorCode.file_too_large
        )
    head = await file.read(HEAD_BYTES)
    await file.seek(0)
    ext = detect_file_type(head)
    if ext is None:
        raise UnsupportedMediaType(
            "Receipts must be JPEG, PNG, WebP, HEIC or PDF files",
            code=ErrorCode.unsupported_file_type,
        )
    key = f"attachments/{user.id}/{uuid.uuid4().hex}.{ext}"
    content_type = EXTENSION_TYPES[ext]
    try:
        await _storage(request).put(key, file.file, content_type)
    except (BotoCoreError, ClientError, OSError) as exc:
        raise ServiceUnavailable(
            "Could not store the receipt, try again shortly", code=ErrorCode.storage_unavailable
        ) from exc
    changes = {"receipt_key": key, "receipt_content_type": content_type, "updated_at": now_ms()}

    async def swap(session: AsyncClientSession) -> Doc | None:
        # The old object (or, if the expense vanished meanwhile, the new one) is removed
        # later by the outbox, so a storage outage never leaves the database inconsistent.
        changes["sync_seq"] = await stamp(db, user.id, session)
        old = await db.expenses.find_one_and_update(
            {"_id": expense["_id"], "user_id": user.id}, {"$set": changes}, session=session
        )
        orphan = old.get("receipt_key") if old else key
        if orphan:
            await enqueue(db, "storage_delete", {"key": orphan}, session=session)
        return old

    old = await in_transaction(db, swap)
    if old is None:
        raise NotFound("expense")
    return tag(ExpenseOut.model_validate(old | changes))


@router.get("/{expense_id}/receipt", responses={**E401, **E404})
async def get_receipt_link(
    expense_id: str, request: Request, user: CurrentUser, db: Db
) -> ReceiptLink:
    """A fresh link to the expense's receipt, valid for one hour."""
    expense = await get_owned(db.expenses, expense_id, user.id, "expense")
    if not expense.get("receipt_key"):
        raise NotFound("receipt")
    url = await receipt_link(_storage(request), expense["receipt_key"], str(request.base_url))
    return ReceiptLink(url=url, expires_in=RECEIPT_LINK_SECONDS)
