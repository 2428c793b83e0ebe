"""Any other bank's CSV/XLS/XLSX, read through a user-supplied ``ColumnMapping``."""

from __future__ import annotations

from .amounts import DATE_FORMATS
from .model import ColumnMapping, UnknownLayout
from .tables import HEADER_SCAN_ROWS, Column, HeaderMatch, Layout, header_key


def mapping_layout(mapping: ColumnMapping) -> Layout:
    columns = tuple(Column(role, (header_key(name),)) for role, name in mapping.columns().items())
    date_formats = (mapping.date_format,) if mapping.date_format else DATE_FORMATS
    return Layout("generic", "your column mapping", columns, date_formats)


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
