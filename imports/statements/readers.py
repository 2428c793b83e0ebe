"""Rows out of a file: CSV/TSV text through the stdlib ``csv`` module (streamed record by
record, so memory stays bounded and reading stops at the row cap), spreadsheets through
python-calamine (xls, xlsx, ods)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import islice

from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from .model import CorruptFile, UnsupportedFile
from .sniff import Kind

DELIMITERS = (",", "\t", ";", "|")
PREFIX_ROWS = 150

Rows = Iterator[tuple[int, list[object]]]


def _lines(text: str) -> Iterator[str]:
    """Physical lines with their endings, sliced lazily from the text (a StringIO would
    hold a second, four-bytes-per-character copy of the whole file)."""
    if "\n" not in text and "\r" in text:  # classic Mac line endings
        text = text.replace("\r", "\n")
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        if end == -1:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def csv_rows(text: str, delimiter: str) -> Rows:
    """(line number, cells) per CSV record; the line number is the record's first
    physical line, 1-based."""
    reader = csv.reader(_lines(text), delimiter=delimiter)
    start = 1
    try:
        for record in reader:
            yield start, list(record)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise CorruptFile(
            "corrupt_csv",
            f"The CSV is malformed near line {reader.line_num}: {_csv_problem(exc)}.",
        ) from exc


def _csv_problem(exc: csv.Error) -> str:
    """What a ``csv.Error`` means for the file, in words (its own text names the reader's
    internals, e.g. the field size limit)."""
    text = str(exc).lower()
    if "field larger than field limit" in text:
        return (
            f"a cell is longer than {csv.field_size_limit():,} characters, usually a "
            "quote that is never closed"
        )
    if "new-line character seen in unquoted field" in text:
        return "a line break inside a cell that is not in quotes"
    return "a quote or delimiter is out of place"


def csv_prefix(text: str, delimiter: str) -> list[list[object]]:
    return [cells for _, cells in islice(csv_rows(text, delimiter), PREFIX_ROWS)]


def open_workbook(data: bytes, kind: Kind) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError as exc:
        raise UnsupportedFile(
            "encrypted_spreadsheet",
            "This spreadsheet is password-protected; remove the password or download the "
            "CSV statement instead.",
        ) from exc
    except CalamineError as exc:
        raise _damaged(kind) from exc


def _damaged(kind: Kind) -> CorruptFile:
    return CorruptFile(
        "corrupt_spreadsheet",
        f"The {kind.upper()} file is damaged or truncated and cannot be read; open it in a "
        "spreadsheet program and save it again, or download it again.",
    )


def sheet_rows(workbook: CalamineWorkbook, index: int, kind: Kind) -> Rows:
    """(1-based sheet row, cells) for one worksheet, empty leading rows included so the
    numbers match what a spreadsheet program shows."""
    try:
        sheet = workbook.get_sheet_by_index(index)
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            yield number, list(cells)
    except CalamineError as exc:
        raise _damaged(kind) from exc
