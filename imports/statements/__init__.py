"""Bank statement parsing for statement import: pure functions, no web or database code.

``parse_statement(data)`` reads HDFC, ICICI, SBI, Axis and Kotak netbanking downloads,
mapped generic CSV/XLS/XLSX, OFX/QFX, QIF and Account Aggregator JSON into a
``Statement``. ``parse_narration``/``title_for`` read a narration, ``fingerprints`` gives
dedupe keys, ``apply_rules``/``DEFAULT_RULES`` suggest a category, ``match_emi`` spots
loan EMIs. Layout research and measured figures: LAYOUTS.md beside this file.
"""

from .dateorder import DATE_ORDERS, DateOrder
from .emi import LoanForMatching, match_emi
from .fingerprint import fingerprints
from .model import (
    CHANNELS,
    CREDIT_MARKERS,
    DEBIT_MARKERS,
    FORMATS,
    CardSummary,
    ColumnMapping,
    CorruptFile,
    Narration,
    Statement,
    StatementError,
    StatementRow,
    TooManyRows,
    UnknownLayout,
    UnsupportedFile,
)
from .narration import normalise_narration, parse_narration, title_for
from .parser import parse_statement
from .pdf import PdfLimits
from .rules import (
    CATEGORIES,
    DEFAULT_RULES,
    INCOME_TYPES,
    KINDS,
    Rule,
    RuleMatch,
    RuleSet,
    Suggestion,
    apply_rules,
)
from .sniff import is_pdf

__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "CREDIT_MARKERS",
    "DATE_ORDERS",
    "DEBIT_MARKERS",
    "DEFAULT_RULES",
    "FORMATS",
    "INCOME_TYPES",
    "KINDS",
    "CardSummary",
    "ColumnMapping",
    "CorruptFile",
    "DateOrder",
    "LoanForMatching",
    "Narration",
    "PdfLimits",
    "Rule",
    "RuleMatch",
    "RuleSet",
    "Statement",
    "StatementError",
    "StatementRow",
    "Suggestion",
    "TooManyRows",
    "UnknownLayout",
    "UnsupportedFile",
    "apply_rules",
    "fingerprints",
    "is_pdf",
    "match_emi",
    "normalise_narration",
    "parse_narration",
    "parse_statement",
    "title_for",
]
