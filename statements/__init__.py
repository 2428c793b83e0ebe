"""Bank statement parsing for statement import: pure functions, no web or database code.

``parse_statement(data)`` reads HDFC, ICICI, SBI, Axis and Kotak netbanking downloads,
mapped generic CSV/XLS/XLSX, OFX/QFX, QIF and Account Aggregator JSON into a
``Statement``. ``parse_narration``/``title_for`` read a narration, ``fingerprints`` gives
dedupe keys, ``apply_rules``/``DEFAULT_RULES`` suggest a category, ``match_emi`` spots
loan EMIs. Layout research and measured figures: LAYOUTS.md beside this file.
"""

from .model import (
    FORMATS,
    ColumnMapping,
    CorruptFile,
    Statement,
    StatementError,
    StatementRow,
    TooManyRows,
    UnknownLayout,
    UnsupportedFile,
)
from .parser import parse_statement

__all__ = [
    "FORMATS",
    "ColumnMapping",
    "CorruptFile",
    "Statement",
    "StatementError",
    "StatementRow",
    "TooManyRows",
    "UnknownLayout",
    "UnsupportedFile",
    "parse_statement",
]
