"""CSV exports: the columns of each kind, named as the API names the fields, and cells no
spreadsheet will run as a formula.

Pure: it writes whatever documents it is handed, one batch and one small buffer in memory."""

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from core.dates import as_day
from core.money import quantize

Doc = dict[str, Any]


class Cursor(Protocol):
    """A database cursor: its documents, and a close for when the client goes away."""

    def __aiter__(self) -> AsyncIterator[Doc]: ...

    async def close(self) -> None: ...


# OWASP "CSV injection": a spreadsheet runs a cell that starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_BATCH = 500  # documents per database round trip
CHUNK_BYTES = 64 * 1024  # flush the text buffer to the client at about this size
MONEY = frozenset({"amount", "interest_component", "principal_component", "remaining_after"})


def safe_cell(value: Any) -> str:
    """Text for a CSV cell that no spreadsheet will execute as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class ExportKind:
    collection: str
    day_field: str  # the calendar day the rows are filtered and sorted on (the first column)
    columns: tuple[str, ...]  # after the day: the API's field names, plus `currency`

    @property
    def header(self) -> tuple[str, ...]:
        return (self.day_field, *self.columns)

    def row(self, doc: Doc, currency: str) -> list[str]:
        return [
            as_day(doc[self.day_field]).isoformat(),
            *(_cell(doc, c, currency) for c in self.columns),
        ]


def _cell(doc: Doc, column: str, currency: str) -> str:
    if column in MONEY:
        return f"{quantize(doc[column]):.2f}"  # a plain number, never neutralised
    if column == "currency":
        return currency
    if column == "id":
        return str(doc["_id"])
    if column == "refund":  # money back: its amount is taken off spending
        return "yes" if doc.get("refund") else ""
    if column == "tags":
        return safe_cell("; ".join(doc.get("tags") or []))
    return safe_cell(doc.get(column))


EXPORTS: dict[str, ExportKind] = {
    "expenses": ExportKind(
        "expenses",
        "date",
        ("title", "category", "amount", "refund", "currency", "tags", "description", "id"),
    ),
    "income": ExportKind(
        "income",
        "date",
        ("source", "income_type", "frequency", "amount", "currency", "tags", "description", "id"),
    ),
    "payments": ExportKind(
        "payments",
        "payment_date",
        (
            "debt_name",
            "payment_type",
            "payment_method",
            "status",
            "amount",
            "currency",
            "interest_component",
            "principal_component",
            "remaining_after",
            "notes",
            "transaction_id",
            "id",
        ),
    ),
}


async def csv_rows(cursor: Cursor, kind: str, currency: str) -> AsyncIterator[bytes]:
    """The CSV as UTF-8 chunks: one batch of documents and one small text buffer in memory,
    whatever the number of rows."""
    spec = EXPORTS[kind]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(spec.header)
    try:
        async for doc in cursor:
            writer.writerow(spec.row(doc, currency))
            if buffer.tell() >= CHUNK_BYTES:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()
    finally:
        await cursor.close()
