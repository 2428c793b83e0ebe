"""Bank statement import: upload a statement for a preview (nothing is written to your books),
correct its rows, commit it (expenses, income and loan payments, deduplicated), undo it.
The workflows are `imports.service`."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, Query, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse

from database import get_owned, paginate
from imports import corrections, service
from imports.jobs import ImportJobs
from imports.upload import Upload
from routes.deps import (
    NO_CONTENT,
    CurrentUser,
    Db,
    ETagged,
    IdempotencyKey,
    IfMatch,
    IfNoneMatch,
    Pagination,
    SettingsDep,
    check_upload_size,
    responses,
    tagged,
)
from schemas import (
    CommitResult,
    DateOrder,
    ImportFormat,
    ImportOut,
    ImportRowChange,
    ImportRowOut,
    ImportRowUpdate,
    ImportStatus,
    ImportTemplateOut,
    Page,
    PageParams,
    RowStatus,
    UndoResult,
)

router = APIRouter(prefix="/imports", tags=["imports"])
E401 = responses(401)
E404 = responses((404, "Import not found (or not yours)"))
E404_ROW = responses((404, "Import, row, debt or account not found (or not yours)"))
E409 = responses((409, "Not possible in the import's state"))
E404_ACCOUNT = responses((404, "Account not found (or not yours)"))
NEWEST_FIRST = [("created_at", -1), ("_id", -1)]
# A name: letters, digits, spaces and a little punctuation, 1-100 characters.
TEMPLATE_NAME = r"^[A-Za-z0-9][A-Za-z0-9 _.()&/-]{0,99}$"


async def _rows_page(
    skip: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="At most 500")] = 20,
) -> PageParams:
    return PageParams(skip, limit)


# An import's rows are read a statement at a time: pages of up to 500.
RowsPagination = Annotated[PageParams, Depends(_rows_page)]


async def _jobs(request: Request) -> ImportJobs:
    return request.app.state.import_jobs


Jobs = Annotated[ImportJobs, Depends(_jobs)]
Prefer = Annotated[
    str | None,
    Header(
        max_length=1000,
        description="`respond-async` (RFC 7240): answer 202 at once and go on in the "
        "background; GET the import (`Location`) until it is done",
    ),
]


def accepted(what: str) -> dict[int | str, dict[str, Any]]:
    """The 202 of an operation that goes on in the background with `Prefer: respond-async`."""
    return {
        202: {
            "model": ImportOut,
            "description": f"With `Prefer: respond-async`: {what}",
            "headers": {
                "Location": {"description": "The import to poll", "schema": {"type": "string"}},
                "Preference-Applied": {
                    "description": "`respond-async`",
                    "schema": {"type": "string"},
                },
            },
        }
    }


def accepted_answer(record: ImportOut) -> JSONResponse:
    return JSONResponse(
        record.model_dump(mode="json", by_alias=True),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Preference-Applied": "respond-async", "Location": f"/api/imports/{record.id}"},
    )


def wants_async(prefer: str | None) -> bool:
    """Whether a Prefer header (RFC 7240: comma-separated preferences, each a token with an
    optional value and parameters, the token case-insensitive) names `respond-async`."""
    names = (p.split(";")[0].split("=")[0].strip().lower() for p in (prefer or "").split(","))
    return "respond-async" in names


# ---------------------------------------------------------------- the upload

# The upload's form fields.
AccountIdField = Annotated[
    str,
    Form(
        min_length=1,
        max_length=64,
        description="The account the statement is of (GET /api/accounts). Default: the one "
        "account whose number ends as the statement's (created when you have none)",
    ),
]
AccountNameField = Annotated[
    str,
    Form(
        min_length=1,
        max_length=100,
        description="Deprecated (use account_id): the name of the account, created when you "
        "have none of that name",
    ),
]
FormatField = Annotated[
    ImportFormat, Form(alias="format", description="Default: detected from the file")
]
MappingField = Annotated[
    str,
    Form(
        max_length=4000,
        description="For any other bank's file, JSON naming its header cells: "
        '{"date", "narration", "debit" and/or "credit" (or one "amount": signed, or with a '
        '"direction" Dr/Cr column and its "debit_values"/"credit_values"), optional '
        '"reference", "balance", "value_date", "date_format", "header_row"}',
    ),
]
TemplateField = Annotated[
    str,
    Form(
        pattern=TEMPLATE_NAME,
        description="With `mapping`: save it under this name; alone: use the saved one",
    ),
]
PasswordField = Annotated[
    str,
    Form(
        min_length=1,
        max_length=128,
        description="A password-protected PDF statement's password: used to open it, never stored",
        json_schema_extra={"format": "password"},
    ),
]
DateOrderField = Annotated[
    DateOrder, Form(description="How the file's dates are written, when they read both ways")
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportOut,
    responses={
        **tagged(201),
        **accepted(
            "the file is read in the background; the import is `parsing`, with its "
            "`progress` {pages_done, pages}, until it is `preview` (or `failed`, with `error`)"
        ),
        **E401,
        **responses((413, "File over 10 MB, more than 50,000 rows or a PDF over 200 pages")),
        **responses((415, "Not a statement: scanned PDF, image, archive, binary or zip bomb")),
        **E404_ACCOUNT,
        **responses(
            (
                422,
                "Unknown layout, corrupt file, bad mapping, dates that read both ways, a PDF "
                "password missing or wrong, a PDF too slow to read, no account chosen, a "
                "number or currency unlike the account's, or key reused",
            )
        ),
    },
)
async def create_import(
    file: UploadFile,
    user: CurrentUser,
    db: Db,
    settings: SettingsDep,
    response: Response,
    tag: ETagged,
    jobs: Jobs,
    # Form fields are text: none is nullable (a form has no null), each may be left out.
    account_id: AccountIdField = None,  # type: ignore[assignment]
    account: AccountNameField = None,  # type: ignore[assignment]
    file_format: FormatField = None,  # type: ignore[assignment]
    mapping: MappingField = None,  # type: ignore[assignment]
    template: TemplateField = None,  # type: ignore[assignment]
    date_order: DateOrderField = None,  # type: ignore[assignment]
    password: PasswordField = None,  # type: ignore[assignment]
    idempotency_key: IdempotencyKey = None,
    prefer: Prefer = None,
) -> Any:
    """Upload a bank or credit-card statement (PDF, password-protected or not; CSV, XLS,
    XLSX, OFX/QFX, QIF or Account Aggregator JSON; at most 10 MB): a preview of its rows,
    nothing written to your books until you commit. With `Prefer: respond-async` it answers
    202 at once with the import `parsing` and reads the file in the background (a PDF's
    password is checked first, and never kept)."""
    check_upload_size(file, settings.max_upload_bytes, "Statement")
    upload = Upload(
        await file.read(),
        file.filename,
        account,
        file_format,
        mapping,
        template,
        account_id=account_id,
        date_order=date_order,
        password=password,
    )
    if wants_async(prefer):
        answer, replayed = await service.start_preview(db, user, upload, idempotency_key, jobs)
    else:
        answer, replayed = await service.create_preview(db, user, upload, idempotency_key, jobs)
    if answer.status in (ImportStatus.parsing, ImportStatus.failed):
        reply = accepted_answer(answer)
        if replayed:
            reply.headers["Idempotent-Replayed"] = "true"
        return reply
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return tag(answer)


# ---------------------------------------------------------------- reading


@router.get("", responses=E401)
async def list_imports(user: CurrentUser, db: Db, page: Pagination) -> Page[ImportOut]:
    """Your statement imports, newest first."""
    query = {"user_id": user.id}
    return await paginate(db.imports, query, page, ImportOut.model_validate, sort=NEWEST_FIRST)


@router.get("/templates", responses=E401)
async def list_import_templates(
    user: CurrentUser, db: Db, page: Pagination
) -> Page[ImportTemplateOut]:
    """Your saved column mappings (POST /api/imports with `mapping` and `template`)."""
    query = {"user_id": user.id}
    sort = [("name", 1)]
    return await paginate(db.import_templates, query, page, ImportTemplateOut.model_validate, sort)


@router.get("/{import_id}", responses={**tagged(), **responses(304), **E401, **E404})
async def get_import(import_id: str, user: CurrentUser, db: Db, tag: IfNoneMatch) -> ImportOut:
    """One import: its period, row counts and, once committed, what it added."""
    return tag(ImportOut.model_validate(await get_owned(db.imports, import_id, user.id, "import")))


@router.get("/{import_id}/rows", responses={**E401, **E404})
async def list_import_rows(
    import_id: str,
    user: CurrentUser,
    db: Db,
    page: RowsPagination,
    row_status: Annotated[RowStatus | None, Query(alias="status")] = None,
) -> Page[ImportRowOut]:
    """The import's rows in file order; `status` picks new, duplicate, possible_duplicate or
    error rows."""
    return await service.rows_page(db, user.id, import_id, page, row_status)


# ---------------------------------------------------------------- corrections


@router.put(
    "/{import_id}/rows/{row_id}",
    responses={**E401, **E404_ROW, **E409, **responses(422)},
)
async def update_import_row(
    import_id: str, row_id: str, body: ImportRowUpdate, user: CurrentUser, db: Db
) -> ImportRowChange:
    """Correct a row of a preview. A changed kind or category suggests a rule for the payee;
    with `remember: true` it is created and applied to the preview's other rows."""
    return await corrections.update_row(db, user.id, import_id, row_id, body)


# ---------------------------------------------------------------- commit, undo, discard


@router.post(
    "/{import_id}/commit",
    response_model=CommitResult,
    responses={
        **accepted(
            "the commit goes on in the background; the import is `committing`, with its `progress`"
        ),
        **E401,
        **E404,
        **E409,
    },
)
async def commit_import(
    import_id: str, user: CurrentUser, db: Db, jobs: Jobs, prefer: Prefer = None
) -> Any:
    """Write the preview to your books: expenses, income and loan payments (each EMI split
    into interest and principal). Rows already imported are skipped; a row that looks like
    an entry you typed in is linked to it. Repeating it changes nothing. With `Prefer:
    respond-async` it answers 202 at once and commits in the background (a committed import
    answers 200 with what it added, as without it)."""
    if not wants_async(prefer):
        return await service.commit_import(db, user, import_id, jobs)
    record = await service.start_commit(db, user, import_id, jobs)
    if record.status == ImportStatus.committed:
        return record.result
    return accepted_answer(record)


@router.post("/{import_id}/undo", responses={**E401, **E404, **E409})
async def undo_import(import_id: str, user: CurrentUser, db: Db) -> UndoResult:
    """Remove exactly what the commit added: its payments reversed on their debts, its
    expenses and income deleted (budgets and reports follow). Repeating it removes nothing."""
    return await service.undo_import(db, user, import_id)


@router.delete("/{import_id}", **NO_CONTENT, responses={**E401, **E404, **E409, **responses(412)})
async def delete_import(import_id: str, user: CurrentUser, db: Db, if_match: IfMatch) -> None:
    """Discard a preview (or the record of an undone import). A committed import is undone
    instead."""
    await service.delete_import(db, user.id, import_id, if_match)
