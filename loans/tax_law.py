"""The income-tax law behind loan deductions, as tables: which Act governs a year, the
sections it numbers each rule under, and the notes that hold for every year.

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
docs/tax-law.md. Pure: no I/O.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from core.dates import fy_label

ACT_1961 = "Income-tax Act, 1961"
ACT_2025 = "Income-tax Act, 2025"
NEW_ACT_FROM = 2026  # tax year 2026-27 onwards
NEW_REGIME_FROM = 2020  # s.115BAC: FY 2020-21 (AY 2021-22) onwards
EEA_FIRST_FY = 2019  # s.80EEA(2): AY 2020-21 onwards
EEA_SANCTIONED = (datetime.date(2019, 4, 1), datetime.date(2022, 3, 31))
CAPS_SINCE = 2014  # the default caps are those in force from FY 2014-15


@dataclass(frozen=True)
class Law:
    """An Act, and the section (or provision) it numbers each rule under."""

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


LAW_1961 = Law(
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
LAW_2025 = Law(
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


def law_for(fy_start_year: int) -> Law:
    """The Act that governs the fiscal (tax) year starting in April of `fy_start_year`."""
    return LAW_2025 if fy_start_year >= NEW_ACT_FROM else LAW_1961


def year_label(fy_start_year: int) -> str:
    """ "FY 2025-26" under the 1961 Act, "tax year 2026-27" under the 2025 Act."""
    prefix = "tax year " if law_for(fy_start_year) is LAW_2025 else "FY "
    return prefix + fy_label(fy_start_year)


def eea_eligible(sanctioned_on: datetime.date | None, fy: int) -> bool:
    """Whether a loan sanctioned on that day counts under s.80EEA / s.131 in year `fy`."""
    first, last = EEA_SANCTIONED
    on = sanctioned_on
    return fy >= EEA_FIRST_FY and on is not None and first <= on <= last


def rs(amount: Decimal) -> str:
    """Indian digit grouping: 150000 -> Rs 1,50,000; paise shown only when there are any."""
    whole, paise = f"{amount:.2f}".split(".")
    head, tail = whole[:-3], whole[-3:]
    groups: list[str] = []
    while len(head) > 2:
        head, groups = head[:-2], [head[-2:], *groups]
    text = ",".join([g for g in [head, *groups] if g] + [tail])
    return "Rs " + text + ("" if paise == "00" else "." + paise)


def year_notes(law: Law, old: bool, fy: int) -> tuple[str, ...]:
    """What holds for every loan in the year: the Act, the evidence, what is assumed."""
    notes = [
        "Estimates for guidance; consult a tax adviser.",
        f"{fy_label(fy)} falls under the {law.name}"
        + (" (in force from 1 April 2026)." if law is LAW_2025 else "."),
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


# ---------------------------------------------------------------- each deduction's notes


def self_occupied_notes(law: Law, old: bool) -> list[str]:
    if not old:
        return [f"Not allowed under the new regime: {law.new_regime_hp}."]
    return [
        f"The cap is for all self-occupied houses together (up to two), and only if "
        f"the house was bought or built with a loan and completed within five "
        f"years from the end of the year of borrowing, with the lender's interest "
        f"certificate ({law.so_cap_rule}); otherwise, or for a repair loan, it is "
        f"Rs 30,000. The app cannot check these conditions.",
        "Interest for the years before the house was completed is deductible in "
        "five equal parts from the year of completion, within the same cap; the "
        "app does not track it.",
    ]


def let_out_notes(law: Law, old: bool, set_off_cap: Decimal) -> list[str]:
    set_off = (
        f"A resulting loss is set off against other income up to "
        f"{rs(set_off_cap)} a year (s.{law.set_off}); the rest "
        f"is carried forward for eight years against house-property income only "
        f"({law.carry_forward}). See the set-off line."
        if old
        else "Under the new regime a loss from house property cannot be set off "
        f"against other income ({law.new_regime_set_off}): the interest only "
        "reduces this house's rent, so it is not in the total."
    )
    return [
        "No cap on interest for a let-out house. It is deducted from the rent "
        f"after the 30% standard deduction ({law.annual_value}); rent received is "
        "not tracked, so the app cannot compute the income from the house.",
        set_off,
    ]


def set_off_notes(law: Law) -> list[str]:
    return [
        "Assumes the let-out houses earned no rent (rent is not tracked): the "
        "loss is then the self-occupied interest allowed plus all let-out "
        "interest. Rent received reduces the loss first.",
        f"Loss beyond the cap is carried forward for eight years against "
        f"house-property income only ({law.carry_forward}).",
    ]


def affordable_notes(law: Law) -> list[str]:
    return [
        f"Only the interest not already deducted as house-property interest: the "
        f"same interest is never deducted twice ({law.affordable_once}).",
        "Conditions the app cannot check: the house's stamp-duty value is at most "
        "Rs 45 lakh; you owned no residential house on the sanction date; the "
        "lender is a bank or housing finance company; you do not claim the "
        "FY 2016-17 first-home deduction (s.80EE / s.130).",
        "Counted for self-occupied houses only: a let-out house's interest is "
        "already deductible in full.",
    ]


def principal_notes(other_80c: Decimal) -> list[str]:
    used = f"; {rs(other_80c)} of it is already used by them." if other_80c else ""
    return [
        "The cap is shared with your other investments in this section (PPF, "
        "EPF, ELSS, life insurance, tuition fees...)" + (used or "; none are counted here."),
        "Only repayments to a bank, co-operative bank, LIC, NHB, a housing finance "
        "company or certain employers count; stamp duty and registration also "
        "count but are not tracked. Selling the house within five years from the "
        "end of the year of possession reverses the deduction.",
    ]


EDUCATION_NOTES = (
    "No cap. Allowed for the year interest payments start and the seven "
    "after it; the app does not know your first year.",
    "The loan must be from a bank, a notified financial institution or an "
    "approved charitable institution, for the higher education of you, your "
    "spouse or children, or a student you are the legal guardian of.",
)
