"""Any other bank's CSV/XLS/XLSX, read through a user-supplied ``ColumnMapping``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from .amounts import DATE_FORMATS
from .dateorder import (
    DateOrder,
    NumericDate,
    dates_in_text,
    decide_order,
    formats_for,
    numeric_date,
)
from .model import ColumnMapping, UnknownLayout
from .tables import HEADER_SCAN_ROWS, Column, HeaderMatch, Layout, header_key

_SAY_ORDER = (
    "set the column mapping's date_format, e.g. '%d/%m/%Y' (day first) or '%m/%d/%Y' (month first)"
)


def mapping_layout(mapping: ColumnMapping) -> Layout:
    columns = tuple(Column(role, (header_key(name),)) for role, name in mapping.columns().items())
    date_formats = (mapping.date_format,) if mapping.date_format else DATE_FORMATS
    return Layout(
        "generic",
        "your column mapping",
        columns,
        date_formats,
        drcr_values=mapping.direction_markers() if mapping.direction else None,
        currency=None,  # any bank, any country: only the file can say
    )


def with_date_order(
    match: HeaderMatch,
    mapping: ColumnMapping,
    preamble: list[list[object]],
    body: Iterable[list[object]],
    order: DateOrder | None,
) -> HeaderMatch:
    """The match with the file's one date order applied (``dateorder.py``): the mapping's
    ``date_format`` wins, then the caller's ``order``, else the order all the file's dates
    (rows and the preamble's period) agree on."""
    if mapping.date_format is not None:
        return match
    if order is None:
        order = decide_order(_dates(match, preamble, body), _SAY_ORDER)
    formats = formats_for(order)
    layout = replace(match.layout, date_formats=formats, period_formats=formats)
    return replace(match, layout=layout)


def _dates(
    match: HeaderMatch, preamble: list[list[object]], body: Iterable[list[object]]
) -> Iterator[NumericDate]:
    for cells in preamble:  # "Period: 01/02/2024 to 29/02/2024" is the same file's order
        for cell in cells:
            if isinstance(cell, str):
                yield from dates_in_text(cell)
    positions = [match.columns[role] for role in ("date", "value_date") if role in match.columns]
    for cells in body:
        for position in positions:
            found = numeric_date(cells[position]) if position < len(cells) else None
            if found is not None:
                yield found


def find_mapped_header(rows: list[list[object]], mapping: ColumnMapping) -> HeaderMatch | list[str]:
    """The header row for a mapping: the given ``header_row``, or the first row holding
    every named column. Without one, the names missing from the row that came closest."""
    layout = mapping_layout(mapping)
    if mapping.header_row is not None:
        index = mapping.header_row - 1
        candidates = [(index, rows[index] if index < len(rows) else [])]
    else:
        candidates = list(enumerate(rows[:HEADER_SCAN_ROWS]))
    best_missing = list(mapping.columns().values())
    for index, cells in candidates:
        columns = layout.match(cells)
        if columns is not None:
            return HeaderMatch(layout, index, columns, len(cells))
        present = {header_key(cell) for cell in cells}
        missing = [name for name in mapping.columns().values() if header_key(name) not in present]
        if len(missing) < len(best_missing):
            best_missing = missing
    return best_missing


def missing_columns_error(mapping: ColumnMapping, missing: list[str]) -> UnknownLayout:
    where = (
        f"row {mapping.header_row}"
        if mapping.header_row is not None
        else f"the first {HEADER_SCAN_ROWS} rows"
    )
    missing_text = ", ".join(f"'{name}'" for name in missing)
    return UnknownLayout(
        "mapping_columns_missing",
        f"The column mapping names columns that are not in the file's header ({where}): "
        f"{missing_text}.",
    )
