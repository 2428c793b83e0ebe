"""Statement import workflows, whichever entry point asks: a preview built from an upload
(`imports.parsing`: in the request, or in the background as `parsing` until it is a preview
or `failed`; stored with its Idempotency-Key), the commit, the undo, the discard. A
preview's rows corrected by hand are `imports.corrections`.

An import moves (parsing ->) preview -> committing -> committed -> undoing -> undone; each
move is one atomic update on the import, so a commit, an undo and a discard never run on
one import at once. A background read and a commit run under their lease (`imports.jobs`):
one runner at a time, taken over by another process if its own dies; an interrupted undo
is finished by asking again."""

from typing import Any

import anyio
from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from core.dates import now_ms
from core.errors import AppError, Conflict, ErrorCode, NotFound
from core.idempotency import peek, write_once
from core.sync import Expected, check_version, owned, stamp, tombstone
from database import Doc, get_owned, in_transaction, object_id, paginate, update_stamped
from imports import parsing, preview_store, template_store
from imports import store as import_store
from imports.jobs import ImportJobs
from imports.upload import Upload, chosen_mapping
from schemas import (
    CommitResult,
    ImportOut,
    ImportRowOut,
    ImportStatus,
    Page,
    PageParams,
    RowStatus,
    UndoResult,
)
from security import User

IN_FILE_ORDER = [("line", 1), ("_id", 1)]
COMMIT_WAIT_SECONDS = 0.25  # how often a commit request looks at one another runner holds


# ---------------------------------------------------------------- the preview


async def create_preview(
    db: AsyncDatabase, user: User, upload: Upload, key: str | None, jobs: ImportJobs
) -> tuple[ImportOut, bool]:
    """(the upload's preview, whether it replays an earlier request with this key). The rows
    are stored before the import, so a reader never sees an import without all its rows; the
    import and a mapping to save are written with the key, in one transaction."""
    digest = upload.digest()
    if (stored := await peek(db, user.id, key, digest)) is not None:
        return await _as_it_stands(db, user.id, stored), True
    record, rows, to_save = await parsing.build_preview(db, user, upload, jobs.parsers)
    await preview_store.store_rows(db, rows)

    async def work(session: AsyncClientSession) -> Doc:
        record["sync_seq"] = await stamp(db, user.id, session)
        await db.imports.insert_one(record, session=session)
        if to_save is not None and upload.template is not None:
            await template_store.save_template(db, user.id, upload.template, to_save, session)
        return ImportOut.model_validate(record).stored(by_alias=True)

    answer, replayed = await write_once(db, user.id, key, digest, work)
    if replayed:  # a concurrent request with this key stored first
        await preview_store.discard(db, user.id, record["_id"])
        return await _as_it_stands(db, user.id, answer), True
    await preview_store.pair_previews(db, rows)
    return ImportOut.model_validate(answer), False


async def start_preview(
    db: AsyncDatabase, user: User, upload: Upload, key: str | None, jobs: ImportJobs
) -> tuple[ImportOut, bool]:
    """(the upload's import, `parsing`, whether it replays an earlier request with this key):
    its file read in the background of this process (`imports.parsing.run_job`, under the
    job's lease). What can be told at once is answered at once, as without the job: a bad
    mapping, a PDF's missing or wrong password, too many pages, a damaged PDF."""
    digest = upload.digest()
    if (stored := await peek(db, user.id, key, digest)) is not None:
        return await _as_it_stands(db, user.id, stored), True
    await chosen_mapping(db, user.id, upload.mapping, upload.template)
    data, pages = await parsing.opened(upload, jobs.parsers, jobs.max_file_bytes)
    import_id = ObjectId()
    await db.import_uploads.insert_one(parsing.stored_upload(import_id, user.id, upload, data))
    record = parsing.parsing_record(import_id, user, upload, pages, jobs.new_lease())

    async def work(session: AsyncClientSession) -> Doc:
        record["sync_seq"] = await stamp(db, user.id, session)
        await db.imports.insert_one(record, session=session)
        return ImportOut.model_validate(record).stored(by_alias=True)

    try:
        answer, replayed = await write_once(db, user.id, key, digest, work)
    finally:  # unless its import was written, the file is nobody's
        if await db.imports.find_one({"_id": import_id, "user_id": user.id}) is None:
            await db.import_uploads.delete_one({"_id": import_id, "user_id": user.id})
    if replayed:
        return await _as_it_stands(db, user.id, answer), True
    jobs.start(user, record)
    return ImportOut.model_validate(answer), False


async def _as_it_stands(db: AsyncDatabase, user_id: ObjectId, stored: Doc) -> ImportOut:
    """A replayed upload's answer: as stored, but for an upload read in the background the
    import as it is now (unless discarded since), which has moved on from `parsing`."""
    if stored["status"] == ImportStatus.parsing:
        oid = object_id(stored["id"])
        if (now := await db.imports.find_one({"_id": oid, "user_id": user_id})) is not None:
            return ImportOut.model_validate(now)
    return ImportOut.model_validate(stored)


async def rows_page(
    db: AsyncDatabase,
    user_id: ObjectId,
    import_id: str,
    page: PageParams,
    row_status: RowStatus | None,
) -> Page[ImportRowOut]:
    """A page of the import's rows in file order, each with what the commit made of it."""
    record = await get_owned(db.imports, import_id, user_id, "import")
    if record["status"] in (ImportStatus.parsing, ImportStatus.failed):  # no rows (yet)
        return Page[ImportRowOut](items=[], total=0, skip=page.skip, limit=page.limit)
    query: dict[str, Any] = {"user_id": user_id, "import_id": record["_id"]}
    if row_status is not None:
        query["status"] = str(row_status)
    rows = await paginate(db.import_rows, query, page, lambda doc: doc, IN_FILE_ORDER)
    items = await preview_store.outcomes(db, record, rows.items)
    return Page[ImportRowOut](
        items=[ImportRowOut.model_validate(doc) for doc in items],
        total=rows.total,
        skip=rows.skip,
        limit=rows.limit,
    )


# ---------------------------------------------------------------- commit, undo, discard


async def _move(
    db: AsyncDatabase, user_id: ObjectId, import_id: str, allowed: tuple[str, ...], to: str
) -> tuple[bool, Doc]:
    """(whether the import went from one of the `allowed` statuses to `to`, the import): one
    atomic update, so a commit, an undo and a discard never run on the same import at once."""
    oid = object_id(import_id)
    if oid is not None:
        moved = await update_stamped(
            db.imports,
            user_id,
            {"_id": oid, "user_id": user_id, "status": {"$in": list(allowed)}},
            {"$set": {"status": to, "updated_at": now_ms()}},
        )
        if moved is not None:
            return True, moved
    return False, await get_owned(db.imports, import_id, user_id, "import")


async def _settle(
    db: AsyncDatabase, record: Doc, status: ImportStatus, stamp: str | None = None
) -> None:
    """The import's status once an undo has ended (`stamp`: a field to set to the time)."""
    at = now_ms()
    change = {"status": str(status), "updated_at": at} | ({stamp: at} if stamp else {})
    owned = {"_id": record["_id"], "user_id": record["user_id"]}
    await update_stamped(db.imports, record["user_id"], owned, {"$set": change})


async def _commit_state(db: AsyncDatabase, user_id: ObjectId, import_id: str) -> Doc:
    """The import to commit: a preview, a commit under way, or committed (409 otherwise)."""
    record = await get_owned(db.imports, import_id, user_id, "import")
    if record["status"] not in ("preview", "committing", "committed"):
        raise Conflict(
            f"This import is {record['status']}; upload the statement again to re-import it",
            code=ErrorCode.import_not_in_preview,
        )
    return record


async def commit_import(
    db: AsyncDatabase, user: User, import_id: str, jobs: ImportJobs
) -> CommitResult:
    """Write the preview to the books now (`imports.store.commit`, through the commit's
    lease); a commit another request or process is running is waited for (and taken over if
    its lease expires); a committed import answers what it added, again."""
    while True:
        record = await _commit_state(db, user.id, import_id)
        if record["status"] == ImportStatus.committed:
            return CommitResult.model_validate(record["result"])
        claimed = await jobs.claim(user.id, record)
        if claimed is None:
            await anyio.sleep(COMMIT_WAIT_SECONDS)
            continue
        result = await jobs.run(user, claimed)
        if result is not None:
            return CommitResult.model_validate(result)


async def start_commit(
    db: AsyncDatabase, user: User, import_id: str, jobs: ImportJobs
) -> ImportOut:
    """Start writing the preview to the books in the background of this process: the import
    `committing`, with its progress (GET it until `committed`). A commit under way is left
    to its runner (or taken over if its lease expired); a committed import is as it is."""
    record = await _commit_state(db, user.id, import_id)
    if record["status"] != ImportStatus.committed:
        claimed = await jobs.claim(user.id, record)
        if claimed is not None:
            jobs.start(user, claimed)
            record = claimed
        else:  # started by another request meanwhile: as it stands now
            record = await _commit_state(db, user.id, import_id)
    return ImportOut.model_validate(record)


async def undo_import(db: AsyncDatabase, user: User, import_id: str) -> UndoResult:
    """Remove what the commit added (`imports.store.undo`); an undone import removes
    nothing more. A refused payment reversal leaves the import committed, unchanged."""
    moved, record = await _move(db, user.id, import_id, ("committed", "undoing"), "undoing")
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
        await _settle(db, record, ImportStatus.committed)
        raise
    await _settle(db, record, ImportStatus.undone, stamp="undone_at")
    return UndoResult.model_validate(removed)


async def delete_import(
    db: AsyncDatabase, user_id: ObjectId, import_id: str, expected: Expected = None
) -> None:
    """Discard a preview, or the record of an undone or failed import, with its rows; a
    committed import (or one being read or committed) is a 409 (undo it instead), one at
    another version than an If-Match's `expected` a 412."""
    oid = object_id(import_id)
    if oid is None:
        raise NotFound("import")

    async def work(session: AsyncClientSession) -> None:
        deleted = await db.imports.find_one_and_delete(
            owned(oid, user_id, expected) | {"status": {"$in": ["preview", "undone", "failed"]}},
            session=session,
        )
        if deleted is None:
            record = await get_owned(db.imports, oid, user_id, "import", session=session)
            check_version(record, expected, "import")
            raise Conflict(
                f"This import is {record['status']}: undo it (POST .../undo) instead",
                code=ErrorCode.import_committed,
            )
        await tombstone(db, user_id, "imports", [oid], session)

    await in_transaction(db, work)
    await db.import_rows.delete_many({"user_id": user_id, "import_id": oid})
