"""Income-tax deductions for loan repayments in an Indian fiscal (tax) year.

Pure functions only (no I/O, no floats). The law is the one in force for the year
(loans/tax_law.py: the Income-tax Act, 1961 up to FY 2025-26, the Income-tax Act, 2025
from tax year 2026-27). Caps are parameters (``TaxCaps``), the statutory figures are
only defaults.

What the app cannot know is said in the notes: rent received (not tracked), whether a
house was completed within five years, co-ownership shares, the stamp-duty value and
other-house conditions of s.80EEA/131, the lender's type, and other 80C investments
unless passed in. Amounts are what was paid in the year, as recorded.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from core.dates import fy_label
from core.money import ZERO
from core.money import quantize as money
from loans.rules import check_money
from loans.tax_law import (
    EDUCATION_NOTES,
    EEA_FIRST_FY,
    NEW_REGIME_FROM,
    Law,
    affordable_notes,
    eea_eligible,
    law_for,
    let_out_notes,
    principal_notes,
    self_occupied_notes,
    set_off_notes,
    year_label,
    year_notes,
)

Regime = Literal["old", "new"]
PropertyUse = Literal["self_occupied", "let_out"]


@dataclass(frozen=True)
class TaxCaps:
    self_occupied_interest: Decimal = Decimal("200000")  # s.24(b) / s.22(2)
    principal: Decimal = Decimal("150000")  # s.80C / s.123, shared with other investments
    affordable_housing_interest: Decimal = Decimal("150000")  # s.80EEA / s.131
    house_property_set_off: Decimal = Decimal("200000")  # s.71(3A) / s.109(1)(b)


@dataclass(frozen=True)
class TaxLoanInput:
    loan_id: str
    name: str
    debt_type: str  # only "home_loan" and "education_loan" count
    interest_paid: Decimal  # in the fiscal year
    principal_paid: Decimal  # in the fiscal year, prepayments included
    property_use: PropertyUse = "self_occupied"  # home loans only
    sanctioned_on: datetime.date | None = None


@dataclass(frozen=True)
class Deduction:
    key: str  # stable: self_occupied_interest, let_out_interest, house_property_set_off, ...
    section: str  # e.g. "24(b)", "123 (Schedule XV)"
    law: str
    description: str
    paid: Decimal  # what the rule applies to
    cap: Decimal | None  # None: no cap; 0.00: not allowed in this regime
    deductible: Decimal
    counts_in_total: bool  # False where another line already carries the amount
    loan_ids: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class LoanSections:
    loan_id: str
    name: str
    debt_type: str
    interest_paid: Decimal
    principal_paid: Decimal
    sections: tuple[str, ...]  # the sections this loan counts under, in this regime
    notes: tuple[str, ...]


@dataclass(frozen=True)
class TaxResult:
    fy: str  # "2025-26"
    label: str  # "FY 2025-26" under the 1961 Act, "tax year 2026-27" under the 2025 Act
    law: str
    regime: Regime
    start: datetime.date
    end: datetime.date
    deductions: tuple[Deduction, ...]
    loans: tuple[LoanSections, ...]
    total_deductible: Decimal  # sum of the lines that count in the total
    notes: tuple[str, ...]


# ---------------------------------------------------------------- the year and its loans


@dataclass(frozen=True)
class _Year:
    """The year summarised: its law, whether the old regime applies, the caps in paise, and
    what other investments already claim of the principal's cap."""

    law: Law
    old: bool
    caps: TaxCaps
    other_80c: Decimal

    def not_allowed(self) -> list[str]:
        return [f"Not allowed under the new regime: {self.law.new_regime_chapter}."]

    def line(
        self,
        key: str,
        section: str,
        description: str,
        group: list[TaxLoanInput],
        amounts: tuple[Decimal, Decimal | None, Decimal],
        counts: bool,
        notes: Sequence[str],
    ) -> Deduction:
        """A deduction line: `amounts` are (paid, cap, deductible)."""
        paid, cap, deductible = amounts
        return Deduction(
            key=key,
            section=section,
            law=self.law.name,
            description=description,
            paid=paid,
            cap=cap,
            deductible=deductible,
            counts_in_total=counts,
            loan_ids=tuple(loan.loan_id for loan in group),
            notes=tuple(notes),
        )


@dataclass(frozen=True)
class _Groups:
    home: list[TaxLoanInput]
    own: list[TaxLoanInput]  # self-occupied home loans
    let: list[TaxLoanInput]  # let-out home loans
    eea: list[TaxLoanInput]  # self-occupied, and eligible for s.80EEA / s.131
    edu: list[TaxLoanInput]


def _groups(loans: list[TaxLoanInput], fy: int) -> _Groups:
    home = [loan for loan in loans if loan.debt_type == "home_loan"]
    own = [loan for loan in home if loan.property_use == "self_occupied"]
    return _Groups(
        home=home,
        own=own,
        let=[loan for loan in home if loan.property_use == "let_out"],
        eea=[loan for loan in own if eea_eligible(loan.sanctioned_on, fy)],
        edu=[loan for loan in loans if loan.debt_type == "education_loan"],
    )


def _check(fy: int, regime: str, loans: list[TaxLoanInput], caps: TaxCaps, other: Decimal) -> None:
    if regime not in ("old", "new"):
        raise ValueError(f"unknown regime {regime!r}")
    if regime == "new" and fy < NEW_REGIME_FROM:
        raise ValueError("the new regime (s.115BAC) applies from FY 2020-21")
    for name in (
        "self_occupied_interest",
        "principal",
        "affordable_housing_interest",
        "house_property_set_off",
    ):
        check_money(name, getattr(caps, name))
    check_money("other_section_80c", other)
    if len({loan.loan_id for loan in loans}) != len(loans):
        raise ValueError("loan ids must be unique")
    for loan in loans:
        check_money(f"interest_paid of {loan.loan_id}", loan.interest_paid)
        check_money(f"principal_paid of {loan.loan_id}", loan.principal_paid)
        if loan.property_use not in ("self_occupied", "let_out"):
            raise ValueError(f"unknown property_use {loan.property_use!r}")


def _total(loans: list[TaxLoanInput], attr: str) -> Decimal:
    return sum((getattr(loan, attr) for loan in loans), ZERO)


# ---------------------------------------------------------------- the deduction lines


@dataclass(frozen=True)
class _SelfOccupied:
    """Self-occupied interest under its one cap for all such houses. Loans that can't use
    s.80EEA take the cap first, so eligible interest beyond it is left for s.80EEA
    (optimal)."""

    paid: Decimal
    eea_paid: Decimal
    eea_within_cap: Decimal  # the s.80EEA loans' interest deducted under this cap
    allowed: Decimal  # deductible in this regime

    @classmethod
    def of(cls, year: _Year, groups: _Groups) -> _SelfOccupied:
        paid, eea_paid = _total(groups.own, "interest_paid"), _total(groups.eea, "interest_paid")
        cap = year.caps.self_occupied_interest
        other = min(paid - eea_paid, cap)
        eea = min(eea_paid, cap - other)
        return cls(paid, eea_paid, eea, other + eea if year.old else ZERO)


def _self_occupied_line(year: _Year, groups: _Groups, own: _SelfOccupied) -> Deduction:
    law, cap = year.law, year.caps.self_occupied_interest
    return year.line(
        "self_occupied_interest",
        law.interest,
        "Home-loan interest, self-occupied house",
        groups.own,
        (own.paid, cap if year.old else ZERO, own.allowed),
        not groups.let or not year.old,
        self_occupied_notes(law, year.old),
    )


def _let_out_line(year: _Year, groups: _Groups) -> Deduction:
    law, paid = year.law, _total(groups.let, "interest_paid")
    return year.line(
        "let_out_interest",
        law.interest,
        "Home-loan interest, let-out house (deducted from that house's rent)",
        groups.let,
        (paid, None, paid),
        False,
        let_out_notes(law, year.old, year.caps.house_property_set_off),
    )


def _set_off_line(year: _Year, groups: _Groups, own: _SelfOccupied) -> Deduction:
    loss, cap = own.allowed + _total(groups.let, "interest_paid"), year.caps.house_property_set_off
    return year.line(
        "house_property_set_off",
        year.law.set_off,
        "Loss from house property set off against other income",
        groups.own + groups.let,
        (loss, cap, min(loss, cap)),
        True,
        set_off_notes(year.law),
    )


def _affordable_line(year: _Year, groups: _Groups, own: _SelfOccupied) -> Deduction:
    law, cap = year.law, year.caps.affordable_housing_interest
    left = own.eea_paid - own.eea_within_cap
    return year.line(
        "affordable_housing_interest",
        law.affordable,
        "Additional home-loan interest, loan sanctioned 1 Apr 2019 - 31 Mar 2022",
        groups.eea,
        (left, cap if year.old else ZERO, min(left, cap) if year.old else ZERO),
        True,
        affordable_notes(law) if year.old else year.not_allowed(),
    )


def _principal_line(year: _Year, groups: _Groups) -> Deduction:
    paid, cap = _total(groups.home, "principal_paid"), year.caps.principal
    room = max(cap - year.other_80c, ZERO)
    return year.line(
        "home_loan_principal",
        year.law.principal,
        "Home-loan principal repaid",
        groups.home,
        (paid, cap if year.old else ZERO, min(paid, room) if year.old else ZERO),
        True,
        principal_notes(year.other_80c) if year.old else year.not_allowed(),
    )


def _education_line(year: _Year, groups: _Groups) -> Deduction:
    paid = _total(groups.edu, "interest_paid")
    return year.line(
        "education_loan_interest",
        year.law.education,
        "Education-loan interest",
        groups.edu,
        (paid, None if year.old else ZERO, paid if year.old else ZERO),
        True,
        EDUCATION_NOTES if year.old else year.not_allowed(),
    )


def _lines(year: _Year, groups: _Groups) -> list[Deduction]:
    """The year's deduction lines, for the kinds of loan there are."""
    own = _SelfOccupied.of(year, groups)
    lines = [_self_occupied_line(year, groups, own)] if groups.own else []
    if groups.let:
        lines.append(_let_out_line(year, groups))
        lines += [_set_off_line(year, groups, own)] if year.old else []
    lines += [_affordable_line(year, groups, own)] if groups.eea else []
    lines += [_principal_line(year, groups)] if groups.home else []
    lines += [_education_line(year, groups)] if groups.edu else []
    return lines


# ---------------------------------------------------------------- the summary


def tax_summary(
    fy_start_year: int,
    regime: str,
    loans: list[TaxLoanInput],
    caps: TaxCaps,
    other_section_80c: Decimal = ZERO,
) -> TaxResult:
    """Deductions the year's loan repayments allow, per section, and per loan the
    sections it counts under. ``other_section_80c`` is what the taxpayer already claims
    under s.80C / s.123 elsewhere (it shares the cap with home-loan principal)."""
    _check(fy_start_year, regime, loans, caps, other_section_80c)
    caps = TaxCaps(  # settings may hold "200000": show caps in paise like the amounts
        money(caps.self_occupied_interest),
        money(caps.principal),
        money(caps.affordable_housing_interest),
        money(caps.house_property_set_off),
    )
    law, old = law_for(fy_start_year), regime == "old"
    year = _Year(law, old, caps, other_section_80c)
    lines = _lines(year, _groups(loans, fy_start_year))
    return TaxResult(
        fy=fy_label(fy_start_year),
        label=year_label(fy_start_year),
        law=law.name,
        regime="old" if old else "new",
        start=datetime.date(fy_start_year, 4, 1),
        end=datetime.date(fy_start_year + 1, 3, 31),
        deductions=tuple(lines),
        loans=tuple(_loan_sections(loan, law, old, fy_start_year) for loan in loans),
        total_deductible=sum((d.deductible for d in lines if d.counts_in_total), ZERO),
        notes=year_notes(law, old, fy_start_year),
    )


def _eea_note(loan: TaxLoanInput, law: Law, fy: int) -> str | None:
    """Why a self-occupied home loan does not count under s.80EEA / s.131, if it does not."""
    if eea_eligible(loan.sanctioned_on, fy):
        return None
    if loan.sanctioned_on is None:
        return f"s.{law.affordable}: no sanction date recorded."
    if fy < EEA_FIRST_FY:
        return f"s.{law.affordable}: applies from FY 2019-20."
    return (
        f"s.{law.affordable}: sanctioned {loan.sanctioned_on.isoformat()}, "
        "outside 1 Apr 2019 - 31 Mar 2022."
    )


def _loan_sections(loan: TaxLoanInput, law: Law, old: bool, fy: int) -> LoanSections:
    sections: list[str] = []
    notes: list[str] = []
    if loan.debt_type == "home_loan":
        if old or loan.property_use == "let_out":
            sections.append(law.interest)
        if old:
            sections.append(law.principal)
        if old and loan.property_use == "self_occupied":
            note = _eea_note(loan, law, fy)
            sections += [law.affordable] if note is None else []
            notes += [note] if note is not None else []
    elif loan.debt_type == "education_loan" and old:
        sections.append(law.education)
    return LoanSections(
        loan.loan_id,
        loan.name,
        loan.debt_type,
        loan.interest_paid,
        loan.principal_paid,
        tuple(sections),
        tuple(notes),
    )
