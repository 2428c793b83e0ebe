"""``parse_pdf``: a PDF statement (a bank account's or a credit card's) as a ``Statement``.

The bank layouts are the ones their XLS/CSV downloads use (the emailed PDF prints the same
columns), so a month read from either gives the same rows and the same fingerprints.
"""

from __future__ import annotations

from dataclasses import replace

from .banks import expected_layouts_text, layouts_for
from .cards import CARD_LAYOUTS, card_number, card_summary
from .model import CARD_FORMATS, Statement, UnknownLayout
from .pdf import OnPage, PdfLimits, pdf_lines
from .pdftable import Columns, find_pdf_header, table_lines
from .preamble import last_four
from .tables import Layout, read_table


def pdf_layouts(format: str | None) -> tuple[Layout, ...]:
    cards = tuple(layout for layout in CARD_LAYOUTS if format in (None, layout.format))
    if format in CARD_FORMATS:
        return cards
    return layouts_for(format) + cards


def parse_pdf(
    data: bytes,
    password: str | None,
    format: str | None,
    max_rows: int,
    limits: PdfLimits,
    on_page: OnPage | None = None,
) -> Statement:
    lines = list(pdf_lines(data, password, limits, on_page))
    found = find_pdf_header(lines, pdf_layouts(format))
    if found is None:
        raise UnknownLayout(
            "unknown_layout",
            "No known statement layout was found in this PDF. Expected the transaction table "
            "of one of: "
            + expected_layouts_text()
            + "; "
            + "; ".join(layout.label for layout in CARD_LAYOUTS)
            + ".",
        )
    match, header = found
    body = table_lines(lines, match)
    columns = Columns(header, body)
    preamble: list[list[object]] = [[line.text] for line in lines[: match.index]]
    rows = ((number, columns.cells(line)) for number, line in enumerate(body, match.index + 2))
    statement = read_table(match, preamble, rows, max_rows)
    if match.layout.format not in CARD_FORMATS:
        return statement
    number = card_number(lines[: match.index]) or card_number(lines)
    return replace(
        statement,
        account=number,
        account_number=number,
        number_last4=last_four(number),
        card=card_summary(lines),
    )
