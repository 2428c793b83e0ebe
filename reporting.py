"""Report figures: savings, savings rate, month-on-month change, and the loan tax deductions.
Pure: no I/O."""

from dataclasses import dataclass
from decimal import Decimal

from money import ZERO, percent, quantize


def net_savings(income: Decimal, expenses: Decimal) -> Decimal:
    """What is left of the income after the expenses (negative when overspent)."""
    return quantize(income - expenses)


def savings_rate(income: Decimal, expenses: Decimal) -> Decimal | None:
    return percent(net_savings(income, expenses), income)


def change(current: Decimal, previous: Decimal) -> tuple[Decimal, Decimal | None]:
    """(absolute change, percent change); the percent is None after a period of 0."""
    return quantize(current - previous), percent(current - previous, previous)


# ---------------------------------------------------------------- tax deductions

TAX_SECTIONS = {"home_loan": ["24(b)", "80C"], "education_loan": ["80E"]}
TAX_DISCLAIMER = (
    "Estimates for guidance; consult a tax adviser. They assume the old tax regime and a "
    "self-occupied home: the 24(b) and 80C caps apply per taxpayer across all home loans, the "
    "80C cap is shared with your other 80C investments, and co-borrowers each claim their own "
    "share. The new tax regime allows none of these deductions for a self-occupied home."
)


@dataclass(frozen=True)
class LoanRepaid:
    debt_type: str
    interest: Decimal
    principal: Decimal


@dataclass(frozen=True)
class Deduction:
    section: str
    description: str
    paid: Decimal  # across all loans of the kind
    cap: Decimal | None  # per taxpayer; None for no cap
    deductible: Decimal  # min(paid, cap)


def _deduction(section: str, description: str, paid: Decimal, cap: Decimal | None) -> Deduction:
    cap = None if cap is None else quantize(cap)
    return Deduction(section, description, paid, cap, paid if cap is None else min(paid, cap))


def deductions(loans: list[LoanRepaid], cap_24b: Decimal, cap_80c: Decimal) -> list[Deduction]:
    """Home-loan interest (24(b)) and principal (80C) against their caps, education-loan
    interest (80E, no cap). The caps are per taxpayer: all home loans share them."""
    home = [loan for loan in loans if loan.debt_type == "home_loan"]
    education = [loan for loan in loans if loan.debt_type == "education_loan"]
    return [
        _deduction("24(b)", "Home-loan interest", sum((h.interest for h in home), ZERO), cap_24b),
        _deduction(
            "80C", "Home-loan principal repaid", sum((h.principal for h in home), ZERO), cap_80c
        ),
        _deduction(
            "80E",
            "Education-loan interest (no cap)",
            sum((e.interest for e in education), ZERO),
            None,
        ),
    ]
