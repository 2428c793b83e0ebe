"""Credit-card statements (PDF only: issuers send no other form): the transaction table
layouts of HDFC, ICICI, SBI Card and Axis, the card number, and the summary block.

A card statement prints one amount column; charges are unmarked and refunds, payments
and reversals end in "Cr" (SBI Card: a bare "C", read as "Cr" by ``pdftable``). The headers
are as LAYOUTS.md ("PDF statements") describes them: not yet checked against real files.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .amounts import CellError, parse_date, read_amount
from .model import CardSummary
from .pdf import Line
from .pdftable import split_cells
from .tables import Column, Layout

_DATES = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d %b %Y", "%d %b %y", "%d-%b-%Y", "%d-%b-%y")


def _card(format: str, label: str, *columns: Column) -> Layout:
    return Layout(format, label, columns, _DATES, _DATES, unsigned="debit")


CARD_LAYOUTS: tuple[Layout, ...] = (
    _card(
        "icici_card",
        "ICICI card (Date, SerNo., Transaction Details, Reward Points, Amount (in Rs.))",
        Column("date", ("date", "transactiondate")),
        Column("serial", ("serno", "serialno")),
        Column("narration", ("transactiondetails",)),
        Column("points", ("rewardpoints",), required=False),
        Column("amount", ("amountinrs", "amountin", "amountinr")),
    ),
    _card(
        "axis_card",
        "Axis card (Date, Transaction Details, Merchant Category, Amount (Rs.))",
        Column("date", ("date", "transactiondate")),
        Column("narration", ("transactiondetails",)),
        Column("category", ("merchantcategory",)),
        Column("amount", ("amountrs", "amountinr")),
    ),
    _card(
        "hdfc_card",
        "HDFC card (Date, Transaction Description, Amount (in Rs.))",
        Column("date", ("date", "datetime")),
        Column("narration", ("transactiondescription",)),
        Column("amount", ("amountinrs", "amountinr")),
    ),
    _card(
        "sbi_card",
        "SBI Card (Date, Transaction Details, Amount (₹ or Rs))",
        Column("date", ("date", "transactiondate")),
        Column("narration", ("transactiondetails",)),
        Column("amount", ("amount", "amountrs", "amountinr")),
    ),
)

# Labels as issuers print them, longest first where one contains another.
_LABELS = (
    ("available_limit", r"available\s+(?:credit\s+)?limit"),
    ("credit_limit", r"(?:total\s+)?credit\s+limit"),
    ("minimum_due", r"minimum\s+(?:amount\s+|payment\s+)?due"),
    ("total_due", r"total\s+(?:amount\s+|payment\s+)?dues?"),
    ("due_date", r"(?:payment\s+)?due\s+date"),
    ("statement_date", r"statement\s+date"),
    ("previous_balance", r"(?:previous|opening)\s+(?:statement\s+)?balance"),
)
_LABEL = [
    (key, re.compile(rf"^{pattern}\s*(?:\((?:rs|inr|₹)\.?\))?\s*:?\s*(.*)$", re.I))
    for key, pattern in _LABELS
]
_CARD_NUMBER = re.compile(
    r"card\s*(?:no|number)\.?\s*:?\s*((?:[0-9Xx*]{4}[ -]?){3}[0-9]{4})", re.IGNORECASE
)
_DAY_KEYS = ("statement_date", "due_date")


def card_number(lines: list[Line]) -> str | None:
    """The card number as printed ("4375 XXXX XXXX 1234" -> "4375XXXXXXXX1234")."""
    for line in lines:
        found = _CARD_NUMBER.search(line.text)
        if found:
            return re.sub(r"[ -]", "", found.group(1))
    return None


def card_summary(lines: list[Line]) -> CardSummary:
    """The summary figures, printed either as "Label : value" or as a row of labels with
    their values in the line below, each under its label."""
    found: dict[str, object] = {}
    for index, line in enumerate(lines):
        cells = split_cells(line)
        below = split_cells(lines[index + 1]) if index + 1 < len(lines) else []
        for position, cell in enumerate(cells):
            text = " ".join(word.text for word in cell)
            for key, label in _LABEL:
                matched = label.match(text)
                if matched is None or key in found:
                    continue
                candidates = [matched.group(1)]
                if position + 1 < len(cells):
                    candidates.append(" ".join(w.text for w in cells[position + 1]))
                candidates.append(_under(cell, below))
                value = _first_value(key, candidates)
                if value is not None:
                    found[key] = value
                break
    return CardSummary(**found)  # type: ignore[arg-type]


def _under(cell: list, below: list[list]) -> str:
    """The text of the cell in the next line whose middle is nearest this one's."""
    if not below:
        return ""
    middle = (cell[0].x0 + cell[-1].x1) / 2
    nearest = min(below, key=lambda c: abs((c[0].x0 + c[-1].x1) / 2 - middle))
    return " ".join(word.text for word in nearest)


def _first_value(key: str, candidates: list[str]) -> object:
    for text in candidates:
        text = text.strip()
        if not text:
            continue
        try:
            if key in _DAY_KEYS:
                return parse_date(text, _DATES)
            value, marker = read_amount(text)
        except CellError:
            continue
        if value is not None:
            return -abs(value) if marker == "credit" else Decimal(value)
    return None


# A card statement's rows beyond what every statement's rules say. Interest, fees and the GST
# on them are the issuer's charges; a credit is a payment of the bill, or else money back (a
# refund, a reversal, cashback). An EMI's rows (its principal, interest and their GST) are left
# to EMI matching.
_CHARGE = re.compile(
    r"\b(?:interest|finance\s+charges?|fees?|charges?|[ics]?gst|service\s+tax)\b", re.I
)
_EMI = re.compile(r"\bemi\b", re.I)
_PAYMENT = re.compile(
    r"\b(?:payments?|thank\s*you|autopay|auto\s*debit|bbps|neft|imps|rtgs)\b", re.I
)


def is_charge(narration: str) -> bool:
    """Interest, a fee, or the GST on them (not an EMI's)."""
    return _CHARGE.search(narration) is not None and _EMI.search(narration) is None


def is_refund(narration: str, direction: str) -> bool:
    """A credit on a card that is not a payment of its bill (nor an EMI's row)."""
    if direction != "credit" or _EMI.search(narration):
        return False
    return _PAYMENT.search(narration) is None
