"""CSV exports: the columns of each kind, and cells no spreadsheet will run as a formula.

Pure: it writes whatever documents it is handed, one batch and one small buffer in memory."""

import csv
import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from dates import local_date
from money import quantize

Doc = dict[str, Any]


class Cursor(Protocol):
    """A database cursor: its documents, and a close for when the client goes away."""

    def __aiter__(self) -> AsyncIterator[Doc]: ...

    async def close(self) -> None: ...


# OWASP "CSV injection": a spreadsheet runs a cell that starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_BATCH = 500  # documents per database round trip
CHUNK_BYTES = 64 * 1024  # flush the text buffer to the client at about this size


def safe_cell(value: Any) -> str:
    """Text for a CSV cell that no spreadsheet will execute as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _amount_cell(value: Decimal) -> str:
    return f"{quantize(value):.2f}"  # a plain number, never neutralised


def _tags_cell(doc: Doc) -> str:
    return safe_cell("; ".join(doc.get("tags") or []))


@dataclass(frozen=True)
class ExportKind:
    collection: str
    date_field: str
    header: tuple[str, ...]
    cells: Callable[[Doc, str], list[str]]  # (document, currency) -> the cells after the date


def _expense_cells(d: Doc, currency: str) -> list[str]:
    return [
        safe_cell(d["title"]),
        safe_cell(d["category"]),
        _amount_cell(d["amount"]),
        currency,
        _tags_cell(d),
        safe_cell(d.get("description")),
        str(d["_id"]),
    ]


def _income_cells(d: Doc, currency: str) -> list[str]:
    return [
        safe_cell(d["source"]),
        safe_cell(d["income_type"]),
        safe_cell(d["frequency"]),
        _amount_cell(d["amount"]),
        currency,
        _tags_cell(d),
        safe_cell(d.get("description")),
        str(d["_id"]),
    ]


def _payment_cells(d: Doc, currency: str) -> list[str]:
    return [
        safe_cell(d["debt_name"]),
        safe_cell(d["payment_type"]),
        safe_cell(d["payment_method"]),
        _amount_cell(d["amount"]),
        currency,
        _amount_cell(d["interest_component"]),
        _amount_cell(d["principal_component"]),
        _amount_cell(d["remaining_after"]),
        safe_cell(d.get("notes")),
        safe_cell(d["transaction_id"]),
        str(d["_id"]),
    ]


EXPORTS: dict[str, ExportKind] = {
    "expenses": ExportKind(
        "expenses",
        "date",
        (
            "date",
            "title",
            "category",
            "amount",
            "currency",
            "tags",
            "description",
            "id",
        ),
        _expense_cells,
    ),
    "income": ExportKind(
        "income",
        "date",
        (
            "date",
            "source",
            "income_type",
            "frequency",
            "amount",
            "currency",
            "tags",
            "description",
            "id",
        ),
        _income_cells,
    ),
    "payments": ExportKind(
        "payments",
        "payment_date",
        (
            "date",
            "debt_name",
            "payment_type",
            "payment_method",
            "amount",
            "currency",
            "interest",
            "principal",
            "remaining_after",
            "notes",
            "transaction_id",
            "id",
        ),
        _payment_cells,
    ),
}


async def csv_rows(cursor: Cursor, kind: str, tz: str, currency: str) -> AsyncIterator[bytes]:
    """The CSV as UTF-8 chunks: one batch of documents and one small text buffer in memory,
    whatever the number of rows."""
    spec = EXPORTS[kind]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(spec.header)
    try:
        async for doc in cursor:
            day = local_date(doc[spec.date_field], tz).isoformat()
            writer.writerow([day, *spec.cells(doc, currency)])
            if buffer.tell() >= CHUNK_BYTES:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()
    finally:
        await cursor.close()
