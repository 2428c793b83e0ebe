"""Bank statement import: upload a statement for a preview (nothing is written to your books),
correct its rows, commit it (expenses, income and loan payments, deduplicated), undo it."""

import logging
from functools import partial
from typing import Annotated, Any

import anyio
from bson import ObjectId
from fastapi import APIRouter, Form, Query, Response, UploadFile, status
from pydantic import ValidationError
from pymongo.asynchronous.client_session import AsyncClientSession

from core.dates import now_ms
from core.errors import (
    AppError,
    Conflict,
    ErrorCode,
    NotFound,
    PayloadTooLarge,
    Unprocessable,
    UnsupportedMediaType,
)
from core.idempotency import digest_of, peek, write_once
from database import Doc, get_owned, object_id, paginate
from imports import rule_store
from imports import store as import_store
from imports.rules import (
    MAX_ROWS,
    HandMatcher,
    counts,
    day_range,
    period,
    preview_rows,
    suggested_rule,
)
from imports.statements import ColumnMapping, Statement, StatementError, parse_statement
from routes.deps import (
    NO_CONTENT,
    CurrentUser,
    Db,
    IdempotencyKey,
    Pagination,
    SettingsDep,
    responses,
)
from schemas import (
    ColumnMappingIn,
    CommitResult,
    ImportFormat,
    ImportOut,
    ImportRowChange,
    ImportRowOut,
    ImportRowUpdate,
    ImportStatus,
    ImportTemplateOut,
    Page,
    RowStatus,
    RuleOut,
    RuleSuggestion,
    UndoResult,
)
from security import User

log = logging.getLogger("cleero.imports")
router = APIRouter(prefix="/imports", tags=["imports"])
E401 = responses(401)
E404 = responses((404, "Import not found (or not yours)"))
E404_ROW = responses((404, "Import, row or debt not found (or not yours)"))
E409 = responses((409, "Not possible in the import's state"))
NEWEST_FIRST = [("created_at", -1), ("_id", -1)]
IN_FILE_ORDER = [("line", 1), ("_id", 1)]
# A name: letters, digits, spaces and a little punctuation, 1-100 characters.
TEMPLATE_NAME = r"^[A-Za-z0-9][A-Za-z0-9 _.()&/-]{0,99}$"


# ---------------------------------------------------------------- the upload


def refusal(exc: StatementError) -> AppError:
    """A statement the parser refused, as the API says it: 415 for a file that is not a
    statement at all, 413 past the row limit, else a 422 naming the field to change."""
    code = ErrorCode.__members__.get(exc.code, ErrorCode.unknown_layout)
    if exc.http_status == 415:
        return UnsupportedMediaType(exc.message, code=code)
    if exc.http_status == 413:
        return PayloadTooLarge(exc.message, code=code)
    field = "file"
    if exc.code in ("unknown_format", "format_mismatch"):
        field = "format"
    elif "mapping" in exc.code:
        field = "mapping"
    return Unprocessable(exc.message, code=code, loc=("body", field))


def _bad_mapping(message: str) -> Unprocessable:
    return Unprocessable(
        f"mapping: {message}. Expected JSON like "
        '{"date": "Txn Date", "narration": "Particulars", "debit": "Withdrawals", '
        '"credit": "Deposits"}',
        code=ErrorCode.invalid_mapping,
        loc=("body", "mapping"),
    )


def column_mapping(text: str) -> tuple[ColumnMapping, Doc]:
    """The `mapping` form field (JSON) as the parser takes it, and as it is saved."""
    try:
        parsed = ColumnMappingIn.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise _bad_mapping(f"{where + ': ' if where else ''}{first['msg']}") from exc
    fields = parsed.model_dump(exclude_none=True)
    try:
        return ColumnMapping(**fields), fields
    except StatementError as exc:
        raise refusal(exc) from exc


async def chosen_mapping(
    db: Db, user: User, mapping: str | None, template: str | None
) -> tuple[ColumnMapping | None, Doc | None]:
    """A mapping sent now (saved under `template` later, if named), else the saved one."""
    if mapping is not None:
        return column_mapping(mapping)
    if template is None:
        return None, None
    saved = await db.import_templates.find_one({"user_id": user.id, "name": template})
    if saved is None:
        raise Unprocessable(
            f"You have no saved column mapping named {template!r}",
            code=ErrorCode.template_not_found,
            loc=("body", "template"),
        )
    return ColumnMapping(**saved["mapping"]), None


async def parse(data: bytes, file_format: str | None, mapping: ColumnMapping | None) -> Statement:
    """The statement, parsed in a worker thread (about 50 µs a row, CPU-bound)."""
    parser = partial(parse_statement, data, format=file_format, mapping=mapping, max_rows=MAX_ROWS)
    try:
        return await anyio.to_thread.run_sync(parser)
    except StatementError as exc:
        raise refusal(exc) from exc
    except Exception as exc:  # a parser bug on odd input is still the file's 422, not a 500
        log.exception("statement parser failed")
        raise Unprocessable(
            "This file could not be read as a bank statement",
            code=ErrorCode.unreadable_file,
            loc=("body", "file"),
        ) from exc


async def build_preview(
    db: Db, user: User, statement: Statement, account: str | None, filename: str
) -> tuple[Doc, list[Doc]]:
    """The import and its rows, each row checked against what is already in your books."""
    rows_days = day_range([{"date": row.date} for row in statement.rows])
    committed: set[str] = set()
    hand = HandMatcher([], set())
    if rows_days is not None:
        first, last = rows_days
        committed, linked = await import_store.committed_prints(db, user.id, first, last)
        hand = await import_store.hand_matcher(db, user.id, first, last, linked)
    book = await rule_store.rule_book(db, user.id)
    loans = await import_store.active_loans(db, user.id)
    rows = await anyio.to_thread.run_sync(
        preview_rows, statement, account, committed, hand, loans, book
    )
    import_id, at = ObjectId(), now_ms()
    record = {
        "_id": import_id,
        "user_id": user.id,
        "filename": filename,
        "format": statement.format,
        "account": account,
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
    return record, import_store.stored_rows(rows, user.id, import_id)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **E401,
        **responses((413, "File over 10 MB, or more than 50,000 rows")),
        **responses((415, "Not a statement: PDF, image, archive, binary or zip bomb")),
        **responses((422, "Unknown layout, corrupt file, bad mapping, or key reused")),
    },
)
async def create_import(
    file: UploadFile,
    user: CurrentUser,
    db: Db,
    settings: SettingsDep,
    response: Response,
    # Form fields are text: none is nullable (a form has no null), each may be left out.
    account: Annotated[
        str,  # noqa: RUF013
        Form(
            min_length=1,
            max_length=100,
            description="Your label for the bank account; give the same one every time",
        ),
    ] = None,  # type: ignore[assignment]
    file_format: Annotated[
        ImportFormat, Form(alias="format", description="Default: detected from the file")
    ] = None,  # type: ignore[assignment]
    mapping: Annotated[
        str,  # noqa: RUF013
        Form(
            max_length=4000,
            description="For any other bank's file, JSON naming its header cells: "
            '{"date", "narration", "debit" and/or "credit" (or one signed "amount"), '
            'optional "reference", "balance", "value_date", "date_format", "header_row"}',
        ),
    ] = None,  # type: ignore[assignment]
    template: Annotated[
        str,  # noqa: RUF013
        Form(
            pattern=TEMPLATE_NAME,
            description="With `mapping`: save it under this name; alone: use the saved one",
        ),
    ] = None,  # type: ignore[assignment]
    idempotency_key: IdempotencyKey = None,
) -> ImportOut:
    """Upload a bank statement (CSV, XLS, XLSX, OFX/QFX, QIF or Account Aggregator JSON, at
    most 10 MB): a preview of its rows, nothing written to your books until you commit."""
    size = file.size if file.size is not None else len(await file.read())
    if size > settings.max_upload_bytes:
        raise PayloadTooLarge(
            f"Statement exceeds {settings.max_upload_bytes} bytes", code=ErrorCode.file_too_large
        )
    await file.seek(0)
    data = await file.read()
    fields = {"account": account, "format": file_format, "mapping": mapping, "template": template}
    digest = digest_of(data, fields)
    if (stored := await peek(db, user.id, idempotency_key, digest)) is not None:
        response.headers["Idempotent-Replayed"] = "true"
        return ImportOut.model_validate(stored)
    parsed_mapping, to_save = await chosen_mapping(db, user, mapping, template)
    fmt = str(file_format) if file_format is not None else None
    statement = await parse(data, fmt, parsed_mapping)
    label = account.strip() if account and account.strip() else statement.account
    filename = (file.filename or "statement").strip()[:200] or "statement"
    record, rows = await build_preview(db, user, statement, label, filename)
    await import_store.store_rows(db, rows)

    async def work(session: AsyncClientSession) -> Doc:
        await db.imports.insert_one(record, session=session)
        if to_save is not None and template is not None:
            await import_store.save_template(db, user.id, template, to_save, session)
        return ImportOut.model_validate(record).model_dump(by_alias=True)

    answer, replayed = await write_once(db, user.id, idempotency_key, digest, work)
    if replayed:  # a concurrent request with this key stored first
        await import_store.discard(db, user.id, record["_id"])
        response.headers["Idempotent-Replayed"] = "true"
    return ImportOut.model_validate(answer)


# ---------------------------------------------------------------- reading


@router.get("", responses=E401)
async def list_imports(user: CurrentUser, db: Db, page: Pagination) -> Page[ImportOut]:
    """Your statement imports, newest first."""
    query = {"user_id": user.id}
    return await paginate(db.imports, query, page, ImportOut.model_validate, sort=NEWEST_FIRST)


@router.get("/templates", responses=E401)
async def list_templates(user: CurrentUser, db: Db, page: Pagination) -> Page[ImportTemplateOut]:
    """Your saved column mappings (POST /api/imports with `mapping` and `template`)."""
    query = {"user_id": user.id}
    sort = [("name", 1)]
    return await paginate(db.import_templates, query, page, ImportTemplateOut.model_validate, sort)


@router.get("/{import_id}", responses={**E401, **E404})
async def get_import(import_id: str, user: CurrentUser, db: Db) -> ImportOut:
    """One import: its period, row counts and, once committed, what it added."""
    return ImportOut.model_validate(await get_owned(db.imports, import_id, user.id, "import"))


@router.get("/{import_id}/rows", responses={**E401, **E404})
async def list_rows(
    import_id: str,
    user: CurrentUser,
    db: Db,
    page: Pagination,
    row_status: Annotated[RowStatus | None, Query(alias="status")] = None,
) -> Page[ImportRowOut]:
    """The import's rows in file order; `status` picks new, duplicate, possible_duplicate or
    error rows."""
    record = await get_owned(db.imports, import_id, user.id, "import")
    query: dict[str, Any] = {"user_id": user.id, "import_id": record["_id"]}
    if row_status is not None:
        query["status"] = str(row_status)
    rows = await paginate(db.import_rows, query, page, lambda doc: doc, IN_FILE_ORDER)
    items = await import_store.outcomes(db, record, rows.items)
    return Page[ImportRowOut](
        items=[ImportRowOut.model_validate(doc) for doc in items],
        total=rows.total,
        skip=rows.skip,
        limit=rows.limit,
    )


# ---------------------------------------------------------------- corrections


async def _preview(db: Db, user: User, import_id: str) -> Doc:
    record = await get_owned(db.imports, import_id, user.id, "import")
    if record["status"] != ImportStatus.preview:
        raise Conflict(
            f"This import is {record['status']}: rows change only in a preview",
            code=ErrorCode.import_not_in_preview,
        )
    return record


async def row_changes(db: Db, user: User, row: Doc, body: ImportRowUpdate) -> Doc:
    """The body as stored fields: a payment names one of your debts, an expense has a
    category, income a type; sending `kind` makes it yours (created, never linked)."""
    changes = body.model_dump(exclude_unset=True, exclude={"remember"})
    if row["status"] in (RowStatus.duplicate, RowStatus.error) and changes:
        raise Conflict(
            f"A {row['status']} row is never imported", code=ErrorCode.row_not_importable
        )
    kind = changes.get("kind", row["kind"])
    if kind == "payment":
        debt_ref = changes.get("debt_id", row.get("debt_id"))
        if debt_ref is None:
            raise Unprocessable(
                "A payment row needs the debt it pays (debt_id)",
                code=ErrorCode.payment_needs_debt,
                loc=("body", "debt_id"),
            )
        changes["debt_id"] = (await get_owned(db.debts, debt_ref, user.id, "debt"))["_id"]
    elif "debt_id" in changes or "kind" in changes:
        changes["debt_id"] = None
    if kind == "expense" and not changes.get("category", row.get("category")):
        changes["category"] = "other"
    if kind == "income" and not changes.get("income_type", row.get("income_type")):
        changes["income_type"] = "other"
    if "kind" in changes:
        changes["kind_set"] = True
    return changes


@router.put(
    "/{import_id}/rows/{row_id}",
    responses={**E401, **E404_ROW, **E409, **responses(422)},
)
async def update_row(
    import_id: str, row_id: str, body: ImportRowUpdate, user: CurrentUser, db: Db
) -> ImportRowChange:
    """Correct a row of a preview. A changed kind or category suggests a rule for the payee;
    with `remember: true` it is created and applied to the preview's other rows."""
    record = await _preview(db, user, import_id)
    owned = {"_id": object_id(row_id), "user_id": user.id, "import_id": record["_id"]}
    row = await db.import_rows.find_one(owned) if owned["_id"] else None
    if row is None:
        raise NotFound("row")
    body.check_echo(ImportRowOut.model_validate(row))
    changes = await row_changes(db, user, row, body)
    suggestion = suggested_rule(row, changes)
    if changes:
        row = await db.import_rows.find_one_and_update(
            owned, {"$set": changes}, return_document=True
        )
        if row is None:
            raise NotFound("row")
    answer = ImportRowChange(row=ImportRowOut.model_validate(row))
    if suggestion is not None and body.remember:
        rule = await rule_store.create_rule(db, user.id, suggestion)
        answer.rule = RuleOut.model_validate(rule)
        answer.applied = await rule_store.apply_to_preview(
            db, user.id, record["_id"], rule, row["_id"]
        )
    elif suggestion is not None:
        answer.suggested_rule = RuleSuggestion.model_validate(suggestion)
    return answer


# ---------------------------------------------------------------- commit, undo, discard


async def _move(
    db: Db, user: User, import_id: str, allowed: tuple[str, ...], to: str
) -> tuple[bool, Doc]:
    """(whether the import went from one of the `allowed` statuses to `to`, the import): one
    atomic update, so a commit, an undo and a discard never run on the same import at once."""
    oid = object_id(import_id)
    if oid is not None:
        moved = await db.imports.find_one_and_update(
            {"_id": oid, "user_id": user.id, "status": {"$in": list(allowed)}},
            {"$set": {"status": to, "updated_at": now_ms()}},
            return_document=True,
        )
        if moved is not None:
            return True, moved
    return False, await get_owned(db.imports, import_id, user.id, "import")


@router.post("/{import_id}/commit", responses={**E401, **E404, **E409})
async def commit_import(
    import_id: str, user: CurrentUser, db: Db, settings: SettingsDep
) -> CommitResult:
    """Write the preview to your books: expenses, income and loan payments (each EMI split
    into interest and principal). Rows already imported are skipped; a row that looks like
    an entry you typed in is linked to it. Repeating it changes nothing."""
    moved, record = await _move(db, user, import_id, ("preview", "committing"), "committing")
    if not moved:
        if record["status"] == ImportStatus.committed:
            return CommitResult.model_validate(record["result"])
        raise Conflict(
            f"This import is {record['status']}; upload the statement again to re-import it",
            code=ErrorCode.import_not_in_preview,
        )
    return CommitResult.model_validate(
        await import_store.commit(db, user, record, settings.app_url)
    )


@router.post("/{import_id}/undo", responses={**E401, **E404, **E409})
async def undo_import(import_id: str, user: CurrentUser, db: Db) -> UndoResult:
    """Remove exactly what the commit added: its payments reversed on their debts, its
    expenses and income deleted (budgets and reports follow). Repeating it removes nothing."""
    moved, record = await _move(db, user, import_id, ("committed", "undoing"), "undoing")
    if not moved:
        if record["status"] == ImportStatus.undone:
            return UndoResult.model_validate({"removed": {}})
        raise Conflict(
            f"This import is {record['status']}: only a committed import can be undone",
            code=ErrorCode.import_not_committed,
        )
    try:
        removed = await import_store.undo(db, user, record["_id"])
    except AppError:  # a payment's reversal was refused: nothing of the undo happened
        back = {"status": str(ImportStatus.committed), "updated_at": now_ms()}
        await db.imports.update_one({"_id": record["_id"]}, {"$set": back})
        raise
    at = now_ms()
    done = {"status": str(ImportStatus.undone), "undone_at": at, "updated_at": at}
    await db.imports.update_one({"_id": record["_id"]}, {"$set": done})
    return UndoResult.model_validate(removed)


@router.delete("/{import_id}", **NO_CONTENT, responses={**E401, **E404, **E409})
async def delete_import(import_id: str, user: CurrentUser, db: Db) -> None:
    """Discard a preview (or the record of an undone import). A committed import is undone
    instead."""
    oid = object_id(import_id)
    deleted = None
    if oid is not None:
        deleted = await db.imports.find_one_and_delete(
            {"_id": oid, "user_id": user.id, "status": {"$in": ["preview", "undone"]}}
        )
    if deleted is None:
        record = await get_owned(db.imports, import_id, user.id, "import")
        raise Conflict(
            f"This import is {record['status']}: undo it (POST .../undo) instead",
            code=ErrorCode.import_committed,
        )
    await db.import_rows.delete_many({"user_id": user.id, "import_id": oid})
