"""An uploaded statement read into a preview, the one path for both ways of asking: in the
upload's request, or as a background job (`Prefer: respond-async`: the import `parsing`,
its file kept in `import_uploads` until it is read, run under the job's lease by
`imports.jobs`).

A job's rows carry the lease owner that stored them (`job`): the runner whose import turns
`preview` removes every other runner's rows, and a runner that lost its lease removes its
own, so a job run twice (a runner stalled past its lease) still leaves one set of rows."""

from collections.abc import Awaitable, Callable

import anyio
from bson import Binary, ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from accounts import service as accounts
from core.dates import now_ms
from core.errors import AppError, ErrorCode, PayloadTooLarge, Unprocessable
from core.http_errors import status_of
from database import Doc, in_transaction, update_stamped
from imports import preview_store, template_store
from imports.parsers import Parsers
from imports.rules import card_summary, counts, day_range, period, preview_rows
from imports.statements import StatementError, is_pdf
from imports.statements.pdf import MAX_PAGES
from imports.upload import Upload, chosen_mapping, parse, refusal
from schemas import ImportStatus
from security import User

NO_ROWS = {"rows": 0, "new": 0, "duplicate": 0, "possible_duplicate": 0, "error": 0}
Advance = Callable[[Doc], Awaitable[bool]]  # record the job's progress; False: lease lost


class LeaseLost(BaseException):
    """Another runner holds the job now: this one stops. A BaseException, as a cancellation
    is: no handler of the parser's errors may take it for a refusal of the file."""


async def build_preview(
    db: AsyncDatabase,
    user: User,
    upload: Upload,
    parsers: Parsers,
    advance: Advance | None = None,
    import_id: ObjectId | None = None,
) -> tuple[Doc, list[Doc], Doc | None]:
    """(the import, its rows, a column mapping to save under the upload's `template`): the
    file parsed (`advance` told each page of a PDF), its account chosen or created, and each
    row checked against what is already in your books."""
    mapping, to_save = await chosen_mapping(db, user.id, upload.mapping, upload.template)
    fmt = str(upload.file_format) if upload.file_format is not None else None
    order = str(upload.date_order) if upload.date_order is not None else None

    async def on_page(done: int, pages: int) -> None:
        if advance is not None and not await advance({"pages_done": done, "pages": pages}):
            raise LeaseLost

    statement = await parse(
        upload.data, fmt, mapping, order, upload.password, parsers=parsers, on_page=on_page
    )
    label = upload.account.strip() if upload.account else None
    chosen, created = await accounts.statement_account(
        db, user, upload.account_id, label, statement
    )
    days = day_range([{"date": row.date} for row in statement.rows])
    books = await preview_store.preview_books(db, user.id, chosen["_id"], days)
    rows = await anyio.to_thread.run_sync(preview_rows, statement, str(chosen["_id"]), books)
    at = now_ms()
    record = {
        "_id": import_id or ObjectId(),
        "user_id": user.id,
        "filename": filename_of(upload),
        "format": statement.format,
        "account_id": chosen["_id"],
        "account_created": created,
        "account": statement.account,
        "number_last4": statement.number_last4,
        "currency": statement.currency,
        "opening_balance": statement.opening_balance,
        "closing_balance": statement.closing_balance,
        "card_summary": card_summary(statement),
        "balance_gap": await accounts.opening_gap(db, chosen, statement),
        "status": str(ImportStatus.preview),
        "period": period(statement),
        "counts": counts(rows),
        "last_line": max((row["line"] for row in rows), default=0),  # the commit's batches
        "result": None,
        "created_at": at,
        "updated_at": at,
        "committed_at": None,
        "undone_at": None,
    }
    return record, preview_store.stored_rows(rows, record), to_save


def filename_of(upload: Upload) -> str:
    return (upload.filename or "statement").strip()[:200] or "statement"


# ---------------------------------------------------------------- the job's file


async def opened(upload: Upload, parsers: Parsers, max_bytes: int) -> tuple[bytes, int]:
    """(the file as the job keeps it, its pages): a PDF opened now with its password (a
    wrong or missing one, a damaged file, too many pages answer at once, as without the
    job) and kept without it, so the password is never written anywhere; any other file as
    it is, one page."""
    if not is_pdf(upload.data):
        return upload.data, 1
    try:
        plain, pages = await parsers.run(
            "decrypt", data=upload.data, password=upload.password, max_pages=MAX_PAGES
        )
    except StatementError as exc:
        raise refusal(exc) from exc
    if len(plain) > max_bytes:
        raise PayloadTooLarge(
            f"Statement over {max_bytes // (1024 * 1024)} MB once opened",
            code=ErrorCode.file_too_large,
        )
    return plain, pages


def stored_upload(import_id: ObjectId, user_id: ObjectId, upload: Upload, data: bytes) -> Doc:
    """The file and its form fields as the job reads them (`import_uploads`): no password."""
    fields = ("filename", "account", "file_format", "mapping", "template", "account_id")
    doc = {name: getattr(upload, name) for name in fields}
    doc["date_order"] = str(upload.date_order) if upload.date_order is not None else None
    doc["file_format"] = str(upload.file_format) if upload.file_format is not None else None
    return {
        "_id": import_id,
        "user_id": user_id,
        "data": Binary(data),
        "created_at": now_ms(),
    } | doc


def parsing_record(import_id: ObjectId, user: User, upload: Upload, pages: int, lease: Doc) -> Doc:
    """The import while its file is read: `parsing`, with its pages and the job's lease."""
    at = now_ms()
    return {
        "_id": import_id,
        "user_id": user.id,
        "filename": filename_of(upload),
        "format": str(upload.file_format) if upload.file_format is not None else None,
        "status": str(ImportStatus.parsing),
        "counts": NO_ROWS,
        "progress": {"pages_done": 0, "pages": pages},
        "lease": lease,
        "result": None,
        "created_at": at,
        "updated_at": at,
    }


# ---------------------------------------------------------------- running the job


async def run_job(
    db: AsyncDatabase, user: User, record: Doc, parsers: Parsers, advance: Advance
) -> Doc | None:
    """Read a `parsing` import's file into its preview, or record why it can't be (the
    status, code, sentence and field the upload would have answered); the import, or None
    when another runner took the job over."""
    owned = {"_id": record["_id"], "user_id": user.id}
    saved = await db.import_uploads.find_one(owned)
    try:
        if saved is None:  # only a run that ended removes the file
            raise Unprocessable("The uploaded file is gone", code=ErrorCode.unreadable_file)
        upload = upload_of(saved)
        built, rows, to_save = await build_preview(
            db, user, upload, parsers, advance, record["_id"]
        )
    except LeaseLost:
        return None
    except AppError as exc:
        return await _ended(db, record, {"status": "failed", "error": failure(exc)})
    owner = record["lease"]["owner"]
    for row in rows:
        row["job"] = owner
    await preview_store.store_rows(db, rows)
    keep = ("_id", "user_id", "created_at")
    change = {k: v for k, v in built.items() if k not in keep} | {"error": None}
    save = (upload.template, to_save) if to_save is not None and upload.template else None
    done = await _ended(db, record, change, save)
    mine = {"user_id": user.id, "import_id": record["_id"]}
    if done is None:  # lost the lease before the end: the winner keeps its own rows
        await db.import_rows.delete_many(mine | {"job": owner})
        return None
    await db.import_rows.delete_many(mine | {"job": {"$ne": owner}})
    await preview_store.pair_previews(db, rows)
    return done


async def _ended(
    db: AsyncDatabase, record: Doc, change: Doc, save: tuple[str, Doc] | None = None
) -> Doc | None:
    """The job's end written, if this runner still holds its lease (else None): the import
    `preview` (with a mapping `save`d under its template name) or `failed`; its file gone."""
    user_id, owner = record["user_id"], record["lease"]["owner"]
    mine = {"_id": record["_id"], "user_id": user_id, "status": "parsing", "lease.owner": owner}
    update = {"$set": change | {"updated_at": now_ms(), "progress": None, "lease": None}}

    async def work(session: AsyncClientSession) -> Doc | None:
        ended = await update_stamped(db.imports, user_id, mine, update, session)
        if ended is not None and save is not None:
            await template_store.save_template(db, user_id, *save, session)
        return ended

    ended = await in_transaction(db, work)
    if ended is not None:
        owned = {"user_id": user_id, "import_id": record["_id"]}
        await db.import_uploads.delete_one({"_id": record["_id"], "user_id": user_id})
        if change["status"] == "failed":  # rows of an earlier runner that stalled
            await db.import_rows.delete_many(owned)
    return ended


def upload_of(saved: Doc) -> Upload:
    fields = ("filename", "account", "file_format", "mapping", "template", "account_id")
    values = {name: saved[name] for name in fields}
    return Upload(bytes(saved["data"]), **values, date_order=saved["date_order"])


def failure(exc: AppError) -> Doc:
    """A refusal as the import keeps it: what the upload would have answered."""
    field = exc.locs[0][-1] if exc.locs else None
    return {"status": status_of(exc), "code": str(exc.code), "detail": exc.detail, "field": field}
