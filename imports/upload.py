"""An uploaded statement, read: the form fields sent with it, the column mapping (sent now or
saved before), the parser run in a worker thread (a PDF in a parser process), and the
parser's refusals as the API answers them."""

import logging
from dataclasses import dataclass, field
from functools import partial

import anyio
from bson import ObjectId
from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase

from core.errors import AppError, ErrorCode, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from core.idempotency import digest_of
from database import Doc
from imports import template_store
from imports.parsers import OnPage, Parsers
from imports.rules import MAX_ROWS
from imports.statements import ColumnMapping, Statement, StatementError, is_pdf, parse_statement
from schemas import ColumnMappingIn, DateOrder, ImportFormat

log = logging.getLogger("cleero.imports")


def refusal(exc: StatementError, mapped: bool = False) -> AppError:
    """A statement the parser refused, as the API says it: 415 for a file that is not a
    statement at all, 413 past the row limit, else a 422 naming the field to change (a file
    whose dates read both ways: `date_order`, or for a mapped file its `mapping`, whose
    `date_format` says it too)."""
    code = ErrorCode.__members__.get(exc.code, ErrorCode.unknown_layout)
    if exc.http_status == 415:
        return UnsupportedMediaType(exc.message, code=code)
    if exc.http_status == 413:
        return PayloadTooLarge(exc.message, code=code)
    field = "file"
    if exc.code in ("unknown_format", "format_mismatch"):
        field = "format"
    elif exc.code == "ambiguous_date_order":
        field = "mapping" if mapped else "date_order"
    elif exc.code == "invalid_date_order":
        field = "date_order"
    elif "mapping" in exc.code:
        field = "mapping"
    elif exc.code.startswith("pdf_password"):
        field = "password"
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
    db: AsyncDatabase, user_id: ObjectId, mapping: str | None, template: str | None
) -> tuple[ColumnMapping | None, Doc | None]:
    """A mapping sent now (saved under `template` later, if named), else the saved one."""
    if mapping is not None:
        return column_mapping(mapping)
    if template is None:
        return None, None
    saved = await template_store.find_template(db, user_id, template)
    if saved is None:
        raise Unprocessable(
            f"You have no saved column mapping named {template!r}",
            code=ErrorCode.template_not_found,
            loc=("body", "template"),
        )
    return ColumnMapping(**saved["mapping"]), None


async def parse(
    data: bytes,
    file_format: str | None,
    mapping: ColumnMapping | None,
    date_order: str | None,
    password: str | None,
    *,
    parsers: Parsers,
    on_page: OnPage | None = None,
) -> Statement:
    """The statement, parsed in a worker thread (about 50 µs a row, CPU-bound); a PDF in a
    parser process (about 20 ms a page; `on_page` told as they are read), whose Python work
    would otherwise hold the GIL against the event loop (`/health` p99 near 100 ms while one
    parsed, bench/RESULTS-pdf.md), and which is killed at the time limit."""
    kwargs = {
        "data": data,
        "format": file_format,
        "mapping": mapping,
        "max_rows": MAX_ROWS,
        "date_order": date_order,
        "password": password,
    }
    try:
        if is_pdf(data):
            return await parsers.run("parse", on_page, **kwargs)
        return await anyio.to_thread.run_sync(partial(parse_statement, **kwargs))
    except StatementError as exc:
        raise refusal(exc, mapped=mapping is not None) from exc
    except Exception as exc:  # a parser bug on odd input (or a crashed process): a 422
        log.exception("statement parser failed")
        raise unreadable() from exc


def unreadable() -> Unprocessable:
    return Unprocessable(
        "This file could not be read as a bank statement",
        code=ErrorCode.unreadable_file,
        loc=("body", "file"),
    )


@dataclass(frozen=True)
class Upload:
    """An uploaded statement and the form fields sent with it, as sent."""

    data: bytes
    filename: str | None
    account: str | None = None  # the name of the account (found, or created)
    file_format: ImportFormat | None = None
    mapping: str | None = None
    template: str | None = None
    account_id: str | None = None
    date_order: DateOrder | None = None
    # A PDF's password: used to open the file, then dropped. Never stored, logged or part of
    # the digest (the same file opens the same with any right password).
    password: str | None = field(default=None, repr=False)

    def digest(self) -> str:
        """What tells two uploads apart under one Idempotency-Key."""
        fields = {
            "account": self.account,
            "format": self.file_format,
            "mapping": self.mapping,
            "template": self.template,
        }
        # Only when sent: a key's record from before these fields keeps its digest.
        if self.account_id is not None:
            fields["account_id"] = self.account_id
        if self.date_order is not None:
            fields["date_order"] = str(self.date_order)
        return digest_of(self.data, fields)
