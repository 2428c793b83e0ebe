"""Recognising a loan EMI among statement debits.

A debit is a candidate for a loan when either

* its amount is within ±1 % of the loan's monthly EMI **and** its date is within ±7 days
  of the loan's next due date, or
* its narration names the lender (``bank_name`` as whole words, case-insensitive) or
  contains the loan's ``account_hint`` (its letters and digits, in the narration's letters
  and digits, case-insensitive: "P402-PHR-1234567" is found in "...-P402PHR1234567"; hints
  of fewer than 4 are ignored as too ambiguous).

The lender name is searched in the narration with the *counterparty bank* field removed:
an ICICI UPI narration "UPI/.../swiggy@axisbank/HDFC BANK LTD/..." names the payee's bank,
not a lender, and must not turn a food order into an HDFC loan EMI. Lender names are
escaped before searching, so they match literally.

Several candidates: the closest amount wins, then the closest date. Candidates equal on
both are genuinely ambiguous and nothing is matched (None), so an EMI is never booked
against the wrong loan.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from .model import Narration, StatementRow

AMOUNT_TOLERANCE = Decimal("0.01")
DATE_WINDOW_DAYS = 7
MIN_HINT_LENGTH = 4


@dataclass(frozen=True)
class LoanForMatching:
    id: str
    name: str
    bank_name: str
    monthly_emi: Decimal
    next_payment_date: dt.date
    account_hint: str | None = None


def _names_lender(text: str, loan: LoanForMatching) -> bool:
    words = loan.bank_name.split()
    if words:
        pattern = r"(?<![A-Za-z0-9])" + r"\s+".join(map(re.escape, words)) + r"(?![A-Za-z0-9])"
        if re.search(pattern, text, re.IGNORECASE):
            return True
    hint = _alnum(loan.account_hint or "")
    return len(hint) >= MIN_HINT_LENGTH and hint in _alnum(text)


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def match_emi(row: StatementRow, narration: Narration, debts: list[LoanForMatching]) -> str | None:
    """The id of the loan this debit pays, or None (see the module docstring)."""
    if row.direction != "debit" or row.error is not None:
        return None
    text = row.narration
    if narration.bank:
        text = text.replace(narration.bank, " ")
    candidates = []
    for loan in debts:
        amount_gap = abs(row.amount - loan.monthly_emi)
        day_gap = abs((row.date - loan.next_payment_date).days)
        by_amount = (
            amount_gap <= loan.monthly_emi * AMOUNT_TOLERANCE and day_gap <= DATE_WINDOW_DAYS
        )
        if by_amount or _names_lender(text, loan):
            candidates.append((amount_gap, day_gap, loan.id))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0], c[1]))
    if len(candidates) > 1 and candidates[0][:2] == candidates[1][:2]:
        return None
    return candidates[0][2]
