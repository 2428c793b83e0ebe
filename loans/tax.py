"""Income-tax deductions for loan repayments in an Indian fiscal (tax) year.

Pure functions only (no I/O, no floats). The law is the one in force for the year:
    * up to FY 2025-26, the Income-tax Act, 1961: home-loan interest s.24(b) (self-
      occupied: aggregate cap Rs 2,00,000, second and last provisos), principal s.80C
      (cap Rs 1,50,000, s.80C(1), repayment under s.80C(2)(xviii)(c)), education-loan
      interest s.80E (no cap), affordable-housing interest s.80EEA (Rs 1,50,000, loans
      sanctioned 1 Apr 2019 - 31 Mar 2022, AY 2020-21 onwards), house-property loss
      set off against other heads capped at Rs 2,00,000 by s.71(3A), carried forward
      eight years by s.71B; new regime s.115BAC(2) and (3).
    * from tax year 2026-27, the Income-tax Act, 2025 (30 of 2025, in force 1 Apr 2026):
      s.22(1)(b) interest with the self-occupied cap in s.22(2)(a) and (5), s.123 with
      Schedule XV, s.129, s.131, set-off cap s.109(1)(b), carry forward s.110; new
      regime s.202(2)(a)(v), (xii) and (b)(ii).
Each figure was read in the Acts' text; the sources, and the two provisions that could
not be read there (s.71B, and the s.202 counterpart of s.115BAC(3)), are in
docs/tax-law.md. Caps are parameters (``TaxCaps``), the statutory figures are
only defaults.

What the app cannot know is said in the notes: rent received (not tracked), whether a
house was completed within five years, co-ownership shares, the stamp-duty value and
other-house conditions of s.80EEA/131, the lender's type, and other 80C investments
unless passed in. Amounts are what was paid in the year, as recorded.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from core.dates import fy_label
from loans.rules import ZERO, _check_money, money

Regime = Literal["old", "new"]
PropertyUse = Literal["self_occupied", "let_out"]

ACT_1961 = "Income-tax Act, 1961"
ACT_2025 = "Income-tax Act, 2025"
NEW_ACT_FROM = 2026  # tax year 2026-27 onwards
NEW_REGIME_FROM = 2020  # s.115BAC: FY 2020-21 (AY 2021-22) onwards
EEA_FIRST_FY = 2019  # s.80EEA(2): AY 2020-21 onwards
EEA_SANCTIONED = (datetime.date(2019, 4, 1), datetime.date(2022, 3, 31))
CAPS_SINCE = 2014  # the default caps are those in force from FY 2014-15


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


@dataclass(frozen=True)
class _Law:
    name: str
    interest: str
    so_cap_rule: str
    annual_value: str
    principal: str
    education: str
    affordable: str
    affordable_once: str
    set_off: str
    carry_forward: str
    new_regime_hp: str
    new_regime_chapter: str
    new_regime_set_off: str


_1961 = _Law(
    name=ACT_1961,
    interest="24(b)",
    so_cap_rule="s.24(b) second and last provisos",
    annual_value="s.24(a)",
    principal="80C",
    education="80E",
    affordable="80EEA",
    affordable_once="s.80EEA(4)",
    set_off="71(3A)",
    carry_forward="s.71B",
    new_regime_hp="s.115BAC(2)(i) (s.24(b) for a property under s.23(2))",
    new_regime_chapter="s.115BAC(2)(i) (Chapter VI-A except s.80CCD(2), 80CCH(2), 80JJAA)",
    new_regime_set_off="s.115BAC(2)(ii)(b), and s.115BAC(3) treats it as given full effect",
)
_2025 = _Law(
    name=ACT_2025,
    interest="22(1)(b)",
    so_cap_rule="s.22(2)(a) and (5)",
    annual_value="s.22(1)(a)",
    principal="123 (Schedule XV)",
    education="129",
    affordable="131",
    affordable_once="s.131(3)",
    set_off="109(1)(b)",
    carry_forward="s.110",
    new_regime_hp="s.202(2)(a)(v) (s.22(1)(b) for properties under s.21(6))",
    new_regime_chapter="s.202(2)(a)(xii) (Chapter VIII except s.124(1), 125(3), 146)",
    new_regime_set_off=(
        "s.202(2)(b)(ii); this summary also assumes, as s.115BAC(3) of the 1961 Act "
        "provides, that it cannot be carried forward"
    ),
)


def _rs(amount: Decimal) -> str:
    """Indian digit grouping: 150000 -> Rs 1,50,000; paise shown only when there are any."""
    whole, paise = f"{amount:.2f}".split(".")
    head, tail = whole[:-3], whole[-3:]
    groups: list[str] = []
    while len(head) > 2:
        head, groups = head[:-2], [head[-2:], *groups]
    text = ",".join([g for g in [head, *groups] if g] + [tail])
    return "Rs " + text + ("" if paise == "00" else "." + paise)


def _eea_eligible(loan: TaxLoanInput, fy: int) -> bool:
    first, last = EEA_SANCTIONED
    on = loan.sanctioned_on
    return fy >= EEA_FIRST_FY and on is not None and first <= on <= last


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
        _check_money(name, getattr(caps, name))
    _check_money("other_section_80c", other)
    if len({loan.loan_id for loan in loans}) != len(loans):
        raise ValueError("loan ids must be unique")
    for loan in loans:
        _check_money(f"interest_paid of {loan.loan_id}", loan.interest_paid)
        _check_money(f"principal_paid of {loan.loan_id}", loan.principal_paid)
        if loan.property_use not in ("self_occupied", "let_out"):
            raise ValueError(f"unknown property_use {loan.property_use!r}")


def _total(loans: list[TaxLoanInput], attr: str) -> Decimal:
    return sum((getattr(loan, attr) for loan in loans), ZERO)


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
    law = _2025 if fy_start_year >= NEW_ACT_FROM else _1961
    old = regime == "old"
    home = [loan for loan in loans if loan.debt_type == "home_loan"]
    own = [loan for loan in home if loan.property_use == "self_occupied"]
    let = [loan for loan in home if loan.property_use == "let_out"]
    eea = [loan for loan in own if _eea_eligible(loan, fy_start_year)]
    edu = [loan for loan in loans if loan.debt_type == "education_loan"]
    lines: list[Deduction] = []

    def line(
        key: str,
        section: str,
        description: str,
        group: list[TaxLoanInput],
        paid: Decimal,
        cap: Decimal | None,
        deductible: Decimal,
        counts: bool,
        notes: list[str],
    ) -> None:
        lines.append(
            Deduction(
                key=key,
                section=section,
                law=law.name,
                description=description,
                paid=paid,
                cap=cap,
                deductible=deductible,
                counts_in_total=counts,
                loan_ids=tuple(loan.loan_id for loan in group),
                notes=tuple(notes),
            )
        )

    not_allowed = f"Not allowed under the new regime: {law.new_regime_chapter}."

    # Self-occupied interest, one cap for all such houses. Loans that can't use s.80EEA
    # take the cap first, so eligible interest beyond it is left for s.80EEA (optimal).
    own_paid = _total(own, "interest_paid")
    eea_paid = _total(eea, "interest_paid")
    cap = caps.self_occupied_interest
    own_other = min(own_paid - eea_paid, cap)
    own_eea = min(eea_paid, cap - own_other)
    own_allowed = own_other + own_eea if old else ZERO
    if own:
        line(
            "self_occupied_interest",
            law.interest,
            "Home-loan interest, self-occupied house",
            own,
            own_paid,
            cap if old else ZERO,
            own_allowed,
            not let or not old,
            [
                f"The cap is for all self-occupied houses together (up to two), and only if "
                f"the house was bought or built with a loan and completed within five "
                f"years from the end of the year of borrowing, with the lender's interest "
                f"certificate ({law.so_cap_rule}); otherwise, or for a repair loan, it is "
                f"Rs 30,000. The app cannot check these conditions.",
                "Interest for the years before the house was completed is deductible in "
                "five equal parts from the year of completion, within the same cap; the "
                "app does not track it.",
            ]
            if old
            else [f"Not allowed under the new regime: {law.new_regime_hp}."],
        )
    let_paid = _total(let, "interest_paid")
    if let:
        line(
            "let_out_interest",
            law.interest,
            "Home-loan interest, let-out house (deducted from that house's rent)",
            let,
            let_paid,
            None,
            let_paid,
            False,
            [
                "No cap on interest for a let-out house. It is deducted from the rent "
                f"after the 30% standard deduction ({law.annual_value}); rent received is "
                "not tracked, so the app cannot compute the income from the house.",
                f"A resulting loss is set off against other income up to "
                f"{_rs(caps.house_property_set_off)} a year (s.{law.set_off}); the rest "
                f"is carried forward for eight years against house-property income only "
                f"({law.carry_forward}). See the set-off line."
                if old
                else "Under the new regime a loss from house property cannot be set off "
                f"against other income ({law.new_regime_set_off}): the interest only "
                "reduces this house's rent, so it is not in the total.",
            ],
        )
        if old:
            loss = own_allowed + let_paid
            line(
                "house_property_set_off",
                law.set_off,
                "Loss from house property set off against other income",
                own + let,
                loss,
                caps.house_property_set_off,
                min(loss, caps.house_property_set_off),
                True,
                [
                    "Assumes the let-out houses earned no rent (rent is not tracked): the "
                    "loss is then the self-occupied interest allowed plus all let-out "
                    "interest. Rent received reduces the loss first.",
                    f"Loss beyond the cap is carried forward for eight years against "
                    f"house-property income only ({law.carry_forward}).",
                ],
            )
    if eea:
        eea_left = eea_paid - own_eea
        eea_cap = caps.affordable_housing_interest
        line(
            "affordable_housing_interest",
            law.affordable,
            "Additional home-loan interest, loan sanctioned 1 Apr 2019 - 31 Mar 2022",
            eea,
            eea_left,
            eea_cap if old else ZERO,
            min(eea_left, eea_cap) if old else ZERO,
            True,
            [
                f"Only the interest not already deducted as house-property interest: the "
                f"same interest is never deducted twice ({law.affordable_once}).",
                "Conditions the app cannot check: the house's stamp-duty value is at most "
                "Rs 45 lakh; you owned no residential house on the sanction date; the "
                "lender is a bank or housing finance company; you do not claim the "
                "FY 2016-17 first-home deduction (s.80EE / s.130).",
                "Counted for self-occupied houses only: a let-out house's interest is "
                "already deductible in full.",
            ]
            if old
            else [not_allowed],
        )
    home_principal = _total(home, "principal_paid")
    if home:
        room = max(caps.principal - other_section_80c, ZERO)
        line(
            "home_loan_principal",
            law.principal,
            "Home-loan principal repaid",
            home,
            home_principal,
            caps.principal if old else ZERO,
            min(home_principal, room) if old else ZERO,
            True,
            [
                "The cap is shared with your other investments in this section (PPF, "
                "EPF, ELSS, life insurance, tuition fees...)"
                + (
                    f"; {_rs(other_section_80c)} of it is already used by them."
                    if other_section_80c
                    else "; none are counted here."
                ),
                "Only repayments to a bank, co-operative bank, LIC, NHB, a housing finance "
                "company or certain employers count; stamp duty and registration also "
                "count but are not tracked. Selling the house within five years from the "
                "end of the year of possession reverses the deduction.",
            ]
            if old
            else [not_allowed],
        )
    if edu:
        edu_paid = _total(edu, "interest_paid")
        line(
            "education_loan_interest",
            law.education,
            "Education-loan interest",
            edu,
            edu_paid,
            None if old else ZERO,
            edu_paid if old else ZERO,
            True,
            [
                "No cap. Allowed for the year interest payments start and the seven "
                "after it; the app does not know your first year.",
                "The loan must be from a bank, a notified financial institution or an "
                "approved charitable institution, for the higher education of you, your "
                "spouse or children, or a student you are the legal guardian of.",
            ]
            if old
            else [not_allowed],
        )

    return TaxResult(
        fy=fy_label(fy_start_year),
        label=("tax year " if law is _2025 else "FY ") + fy_label(fy_start_year),
        law=law.name,
        regime="old" if old else "new",
        start=datetime.date(fy_start_year, 4, 1),
        end=datetime.date(fy_start_year + 1, 3, 31),
        deductions=tuple(lines),
        loans=tuple(_loan_sections(loan, law, old, fy_start_year) for loan in loans),
        total_deductible=sum((d.deductible for d in lines if d.counts_in_total), ZERO),
        notes=_notes(law, old, fy_start_year),
    )


def _loan_sections(loan: TaxLoanInput, law: _Law, old: bool, fy: int) -> LoanSections:
    sections: list[str] = []
    notes: list[str] = []
    if loan.debt_type == "home_loan":
        if old or loan.property_use == "let_out":
            sections.append(law.interest)
        if old:
            sections.append(law.principal)
        if old and loan.property_use == "self_occupied":
            if _eea_eligible(loan, fy):
                sections.append(law.affordable)
            elif loan.sanctioned_on is None:
                notes.append(f"s.{law.affordable}: no sanction date recorded.")
            elif fy < EEA_FIRST_FY:
                notes.append(f"s.{law.affordable}: applies from FY 2019-20.")
            else:
                notes.append(
                    f"s.{law.affordable}: sanctioned {loan.sanctioned_on.isoformat()}, "
                    "outside 1 Apr 2019 - 31 Mar 2022."
                )
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


def _notes(law: _Law, old: bool, fy: int) -> tuple[str, ...]:
    notes = [
        "Estimates for guidance; consult a tax adviser.",
        f"{fy_label(fy)} falls under the {law.name}"
        + (" (in force from 1 April 2026)." if law is _2025 else "."),
        "Figures are what you paid in the year as recorded here; the lender's interest "
        "certificate is the evidence. Caps are per taxpayer across all your loans, and "
        "co-borrowers each claim their own share: this summary assumes each loan is "
        "wholly yours.",
        "Only loans recorded as home or education loans are considered (a personal loan "
        "used to buy or build a house can qualify with proof of its use).",
    ]
    if not old:
        notes.append(
            "New regime: no deduction for a self-occupied home loan, home-loan principal, "
            "education-loan or affordable-housing interest; a let-out house's interest "
            "only reduces its own rent."
        )
    if fy < CAPS_SINCE:
        notes.append("The default caps are those in force from FY 2014-15.")
    return tuple(notes)
