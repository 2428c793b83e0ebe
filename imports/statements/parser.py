"""``parse_statement``: bytes in, ``Statement`` out. Detection is from content only."""

from __future__ import annotations

import re
from itertools import chain, islice

from .aa import parse_aa
from .banks import expected_layouts_text, layouts_for
from .dateorder import DateOrder, check_order
from .generic import find_mapped_header, missing_columns_error, with_date_order
from .model import FORMATS, ColumnMapping, Statement, UnknownLayout
from .ofx import parse_ofx
from .pdf import OnPage, PdfLimits
from .pdfstatement import parse_pdf
from .qif import parse_qif
from .readers import DELIMITERS, PREFIX_ROWS, Rows, csv_prefix, csv_rows, open_workbook, sheet_rows
from .sniff import Kind, sniff
from .tables import HeaderMatch, find_header, read_table

_STRUCTURED = ("ofx", "qif", "aa_json")
_QIF_START = re.compile(r"^!(type|account|option|clear)", re.IGNORECASE)
# How an OFX file may begin: its v1 header, an XML declaration, the v2 processing
# instruction, a commented-out header, or straight away with the body.
_OFX_STARTS = ("OFXHEADER", "<?XML", "<?OFX", "<!--", "<OFX>")


def parse_statement(
    data: bytes,
    *,
    format: str | None = None,
    mapping: ColumnMapping | None = None,
    max_rows: int = 50_000,
    date_order: str | None = None,
    password: str | None = None,
    pdf_limits: PdfLimits | None = None,
    on_page: OnPage | None = None,
) -> Statement:
    """Parse a bank statement file.

    ``format`` forces one layout (it must still fit, else ``UnknownLayout``); a ``mapping``
    selects the "generic" layout. ``date_order`` ("dmy" or "mdy") says which way round a
    QIF file's dates, or a generic file's without a mapping ``date_format``, are written;
    without it the order is decided from all the file's dates and a file whose dates read
    both ways is refused (``ambiguous_date_order``). Other formats fix their own order and
    ignore it. ``password`` opens an encrypted PDF; ``pdf_limits`` caps a PDF's pages;
    ``on_page(done, pages)`` is told as a PDF's pages are read (the reading time is capped
    by the process that runs this, ``imports.parsers``). Raises ``UnsupportedFile``,
    ``UnknownLayout``, ``CorruptFile`` or ``TooManyRows`` (all ``StatementError``); rows
    that cannot be read are returned with ``error`` set instead.
    """
    order = check_order(date_order)
    if format is not None and format not in FORMATS:
        raise UnknownLayout(
            "unknown_format", f"Unknown format '{format}'; expected one of {', '.join(FORMATS)}."
        )
    if mapping is not None and format not in (None, "generic"):
        raise UnknownLayout(
            "mapping_conflict", f"A column mapping applies to the generic format, not '{format}'."
        )
    if format == "generic" and mapping is None:
        raise UnknownLayout(
            "mapping_required", "The generic format needs a column mapping (ColumnMapping)."
        )
    sniffed = sniff(data)
    if sniffed.kind == "pdf":
        if mapping is not None or format in (*_STRUCTURED, "generic"):
            raise UnknownLayout("format_mismatch", "A PDF is read by its bank's layout only.")
        return parse_pdf(data, password, format, max_rows, pdf_limits or PdfLimits(), on_page)
    if sniffed.kind == "text":
        assert sniffed.text is not None
        return _parse_text(sniffed.text, format, mapping, max_rows, order)
    if format in _STRUCTURED:
        raise _not_format(format)
    return _parse_spreadsheet(data, sniffed.kind, format, mapping, max_rows, order)


def structured_kind(text: str) -> str | None:
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    upper = head.upper()
    if upper.startswith(_OFX_STARTS) and ("<OFX>" in upper or upper.startswith("OFXHEADER")):
        return "ofx"
    if _QIF_START.match(_after_comments(head)):
        return "qif"
    if head.startswith(("{", "[")):
        return "aa_json"
    if head.lower().startswith(("<!doctype html", "<html", "<table")):
        return "html"
    return None


def _after_comments(head: str) -> str:
    """The text from its first line that is neither blank nor a "#" comment (some QIF
    exporters start with "# Exported by ..." lines)."""
    for line in head.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped
    return ""


def _parse_text(
    text: str,
    format: str | None,
    mapping: ColumnMapping | None,
    max_rows: int,
    order: DateOrder | None,
) -> Statement:
    kind = structured_kind(text)
    if kind == "html":
        raise UnknownLayout(
            "html",
            "This is a web page (HTML) saved with a spreadsheet name. Open it in a spreadsheet "
            "program and save it as CSV or XLSX, or download the CSV/XLS statement instead.",
        )
    if format in _STRUCTURED and kind != format:
        raise _not_format(format)
    if kind is not None and mapping is None and format in (None, kind):
        if kind == "ofx":
            return parse_ofx(text, max_rows)
        if kind == "qif":
            return parse_qif(text, max_rows, order)
        return parse_aa(text, max_rows)
    missing: list[str] | None = None
    for delimiter in DELIMITERS:
        prefix = csv_prefix(text, delimiter)
        match = _header(prefix, format, mapping)
        if isinstance(match, HeaderMatch):
            preamble = prefix[: match.index]
            if mapping is not None:
                cells = (cells for _, cells in csv_rows(text, delimiter))
                rest = islice(cells, match.index + 1, None)
                match = with_date_order(match, mapping, preamble, rest, order)
            body = islice(csv_rows(text, delimiter), match.index + 1, None)
            return read_table(match, preamble, body, max_rows, text_source=True)
        if match is not None and (missing is None or len(match) < len(missing)):
            missing = match
    raise _unknown(mapping, missing)


def _parse_spreadsheet(
    data: bytes,
    kind: Kind,
    format: str | None,
    mapping: ColumnMapping | None,
    max_rows: int,
    order: DateOrder | None,
) -> Statement:
    workbook = open_workbook(data, kind)
    missing: list[str] | None = None
    for index in range(len(workbook.sheet_names)):
        rows: Rows = sheet_rows(workbook, index, kind)
        prefix = list(islice(rows, PREFIX_ROWS))
        match = _header([cells for _, cells in prefix], format, mapping)
        if isinstance(match, HeaderMatch):
            preamble = [cells for _, cells in prefix[: match.index]]
            if mapping is not None:
                cells = (cells for _, cells in sheet_rows(workbook, index, kind))
                rest = islice(cells, match.index + 1, None)
                match = with_date_order(match, mapping, preamble, rest, order)
            body = chain(prefix[match.index + 1 :], rows)
            return read_table(match, preamble, body, max_rows)
        if match is not None and (missing is None or len(match) < len(missing)):
            missing = match
    raise _unknown(mapping, missing)


def _header(
    prefix: list[list[object]], format: str | None, mapping: ColumnMapping | None
) -> HeaderMatch | list[str] | None:
    """The header found in ``prefix``; for a mapping without one, the names it misses."""
    if mapping is None:
        return find_header(prefix, layouts_for(format))
    return find_mapped_header(prefix, mapping)


def _unknown(mapping: ColumnMapping | None, missing: list[str] | None) -> UnknownLayout:
    if mapping is not None:
        return missing_columns_error(mapping, missing or list(mapping.columns().values()))
    return UnknownLayout(
        "unknown_layout",
        "No known statement layout was found. Expected a header row from one of: "
        + expected_layouts_text()
        + "; or an OFX/QFX, QIF or Account Aggregator JSON file; or a column mapping for "
        "any other CSV/XLS/XLSX.",
    )


def _not_format(format: str) -> UnknownLayout:
    names = {"ofx": "an OFX/QFX file", "qif": "a QIF file", "aa_json": "Account Aggregator JSON"}
    return UnknownLayout("format_mismatch", f"The file is not {names[format]}.")
