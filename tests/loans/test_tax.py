"""Golden tests for tax.py: loan deductions for FY 2025-26 (Income-tax Act, 1961) and
tax year 2026-27 (Income-tax Act, 2025), both regimes. Each expected figure is the
plain arithmetic written beside it (min of what was paid and the cap)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from loans.tax import Deduction, TaxCaps, TaxLoanInput, TaxResult, tax_summary
from loans.tax_law import ACT_1961, ACT_2025

D = Decimal
CAPS = TaxCaps()
IN_WINDOW = datetime.date(2020, 6, 15)  # s.80EEA / s.131: sanctioned 1 Apr 2019 - 31 Mar 2022


def home(
    loan_id: str,
    interest: str,
    principal: str = "0",
    use: str = "self_occupied",
    sanctioned: datetime.date | None = None,
) -> TaxLoanInput:
    return TaxLoanInput(
        loan_id,
        f"Home {loan_id}",
        "home_loan",
        D(interest),
        D(principal),
        use,
        sanctioned,  # type: ignore[arg-type]
    )


def edu(loan_id: str, interest: str) -> TaxLoanInput:
    return TaxLoanInput(loan_id, "Education", "education_loan", D(interest), D("40000"))


def by_key(result: TaxResult) -> dict[str, Deduction]:
    return {d.key: d for d in result.deductions}


def figures(result: TaxResult) -> dict[str, tuple[Decimal, Decimal | None, Decimal]]:
    return {d.key: (d.paid, d.cap, d.deductible) for d in result.deductions}


# --- FY 2025-26, Income-tax Act 1961 ------------------------------------------------------


def test_fy_2025_26_old_regime_caps_not_biting() -> None:
    r = tax_summary(2025, "old", [home("h", "180000", "100000"), edu("e", "45000")], CAPS)
    assert (r.fy, r.label, r.law, r.regime) == ("2025-26", "FY 2025-26", ACT_1961, "old")
    assert (r.start, r.end) == (datetime.date(2025, 4, 1), datetime.date(2026, 3, 31))
    assert figures(r) == {
        "self_occupied_interest": (D("180000"), D("200000"), D("180000")),  # under 2,00,000
        "home_loan_principal": (D("100000"), D("150000"), D("100000")),  # under 1,50,000
        "education_loan_interest": (D("45000"), None, D("45000")),  # s.80E: no cap
    }
    assert [d.section for d in r.deductions] == ["24(b)", "80C", "80E"]
    assert {d.law for d in r.deductions} == {ACT_1961}
    assert r.total_deductible == D("325000")  # 180000 + 100000 + 45000
    sections = {loan.loan_id: loan.sections for loan in r.loans}
    assert sections == {"h": ("24(b)", "80C"), "e": ("80E",)}
    assert r.loans[0].notes == ("s.80EEA: no sanction date recorded.",)


def test_fy_2025_26_old_regime_caps_biting() -> None:
    loans = [home("a", "160000", "90000"), home("b", "100000", "120000")]
    r = tax_summary(2025, "old", loans, CAPS)
    assert figures(r) == {
        # one cap for all self-occupied houses: min(160000 + 100000, 200000)
        "self_occupied_interest": (D("260000"), D("200000"), D("200000")),
        # min(90000 + 120000, 150000)
        "home_loan_principal": (D("210000"), D("150000"), D("150000")),
    }
    assert r.total_deductible == D("350000")
    assert by_key(r)["self_occupied_interest"].loan_ids == ("a", "b")
    # other 80C investments of 1,00,000 leave 50,000 of the cap
    shared = tax_summary(2025, "old", loans, CAPS, other_section_80c=D("100000"))
    assert by_key(shared)["home_loan_principal"].deductible == D("50000")  # 150000 - 100000
    assert "Rs 1,00,000 of it is already used" in by_key(shared)["home_loan_principal"].notes[0]
    full = tax_summary(2025, "old", loans, CAPS, other_section_80c=D("175000"))
    assert by_key(full)["home_loan_principal"].deductible == 0  # cap already used up


def test_80eea_eligible_cap_biting_and_not() -> None:
    biting = tax_summary(2025, "old", [home("h", "380000", sanctioned=IN_WINDOW)], CAPS)
    assert figures(biting)["self_occupied_interest"] == (D("380000"), D("200000"), D("200000"))
    # the 1,80,000 left after s.24(b), capped at 1,50,000
    assert figures(biting)["affordable_housing_interest"] == (
        D("180000"),
        D("150000"),
        D("150000"),
    )
    assert biting.total_deductible == D("350000")
    assert biting.loans[0].sections == ("24(b)", "80C", "80EEA")
    notes = by_key(biting)["affordable_housing_interest"].notes
    assert any("stamp-duty value" in n and "45 lakh" in n for n in notes)
    below = tax_summary(2025, "old", [home("h", "290000", sanctioned=IN_WINDOW)], CAPS)
    assert figures(below)["affordable_housing_interest"] == (D("90000"), D("150000"), D("90000"))
    under_cap = tax_summary(2025, "old", [home("h", "150000", sanctioned=IN_WINDOW)], CAPS)
    assert figures(under_cap)["affordable_housing_interest"] == (D("0"), D("150000"), D("0"))


@pytest.mark.parametrize(
    ("sanctioned", "eligible"),
    [
        (datetime.date(2019, 3, 31), False),
        (datetime.date(2019, 4, 1), True),
        (datetime.date(2022, 3, 31), True),
        (datetime.date(2022, 4, 1), False),
    ],
)
def test_80eea_sanction_window(sanctioned: datetime.date, eligible: bool) -> None:
    r = tax_summary(2025, "old", [home("h", "300000", sanctioned=sanctioned)], CAPS)
    assert ("affordable_housing_interest" in by_key(r)) is eligible
    assert ("80EEA" in r.loans[0].sections) is eligible
    if not eligible:
        assert r.loans[0].notes == (
            f"s.80EEA: sanctioned {sanctioned.isoformat()}, outside 1 Apr 2019 - 31 Mar 2022.",
        )
        assert r.total_deductible == D("200000")  # s.24(b) only


def test_80eea_not_before_fy_2019_20() -> None:
    r = tax_summary(2018, "old", [home("h", "300000", sanctioned=IN_WINDOW)], CAPS)
    assert "affordable_housing_interest" not in by_key(r)
    assert r.loans[0].notes == ("s.80EEA: applies from FY 2019-20.",)
    assert (
        r.fy == "2018-19" and "The default caps are those in force from FY 2014-15." not in r.notes
    )
    assert (
        "The default caps are those in force from FY 2014-15."
        in tax_summary(2012, "old", [], CAPS).notes
    )


def test_ineligible_loan_takes_the_24b_cap_first() -> None:
    # 1,20,000 (not 80EEA) + 80,000 of the eligible loan fill the 2,00,000 cap; the
    # eligible loan's other 70,000 goes to s.80EEA.
    loans = [home("old", "120000"), home("new", "150000", sanctioned=IN_WINDOW)]
    r = tax_summary(2025, "old", loans, CAPS)
    assert figures(r)["self_occupied_interest"] == (D("270000"), D("200000"), D("200000"))
    assert figures(r)["affordable_housing_interest"] == (D("70000"), D("150000"), D("70000"))
    assert by_key(r)["affordable_housing_interest"].loan_ids == ("new",)
    assert r.total_deductible == D("270000")


def test_let_out_old_regime_set_off_biting() -> None:
    loans = [home("own", "100000", "50000"), home("rent", "300000", "80000", "let_out")]
    r = tax_summary(2025, "old", loans, CAPS)
    assert figures(r) == {
        "self_occupied_interest": (D("100000"), D("200000"), D("100000")),
        "let_out_interest": (D("300000"), None, D("300000")),  # no cap on let-out interest
        # loss if no rent: 100000 + 300000, set off up to 2,00,000 (s.71(3A))
        "house_property_set_off": (D("400000"), D("200000"), D("200000")),
        "home_loan_principal": (D("130000"), D("150000"), D("130000")),  # both houses count
    }
    lines = by_key(r)
    assert lines["house_property_set_off"].section == "71(3A)"
    assert not lines["self_occupied_interest"].counts_in_total
    assert not lines["let_out_interest"].counts_in_total
    assert r.total_deductible == D("330000")  # set-off 200000 + principal 130000
    assert any("rent" in n and "not tracked" in n for n in lines["let_out_interest"].notes)
    assert any("eight years" in n for n in lines["house_property_set_off"].notes)
    assert {loan.loan_id: loan.sections for loan in r.loans} == {
        "own": ("24(b)", "80C"),
        "rent": ("24(b)", "80C"),
    }


def test_let_out_old_regime_set_off_not_biting() -> None:
    r = tax_summary(2025, "old", [home("rent", "50000", use="let_out")], CAPS)
    assert figures(r)["house_property_set_off"] == (D("50000"), D("200000"), D("50000"))
    assert r.total_deductible == D("50000")


def test_fy_2025_26_new_regime() -> None:
    loans = [
        home("own", "180000", "100000", sanctioned=IN_WINDOW),
        home("rent", "120000", "60000", "let_out"),
        edu("e", "45000"),
    ]
    r = tax_summary(2025, "new", loans, CAPS)
    assert figures(r) == {
        "self_occupied_interest": (D("180000"), D("0"), D("0")),  # s.115BAC(2)(i)
        "let_out_interest": (D("120000"), None, D("120000")),  # against that rent only
        "affordable_housing_interest": (D("0"), D("0"), D("0")),
        "home_loan_principal": (D("160000"), D("0"), D("0")),
        "education_loan_interest": (D("45000"), D("0"), D("0")),
    }
    assert r.total_deductible == 0
    lines = by_key(r)
    assert not lines["let_out_interest"].counts_in_total
    assert "house_property_set_off" not in lines
    assert any("115BAC(2)(ii)(b)" in n for n in lines["let_out_interest"].notes)
    assert any("115BAC(2)(i)" in n for n in lines["self_occupied_interest"].notes)
    assert {loan.loan_id: loan.sections for loan in r.loans} == {
        "own": (),
        "rent": ("24(b)",),
        "e": (),
    }


# --- tax year 2026-27, Income-tax Act 2025 --------------------------------------------


def test_tax_year_2026_27_old_regime_labels_and_figures() -> None:
    loans = [
        home("own", "380000", "200000", sanctioned=IN_WINDOW),
        home("rent", "90000", "30000", "let_out"),
        edu("e", "60000"),
    ]
    r = tax_summary(2026, "old", loans, CAPS)
    assert (r.fy, r.label, r.law) == ("2026-27", "tax year 2026-27", ACT_2025)
    assert {d.law for d in r.deductions} == {ACT_2025}
    assert {d.key: d.section for d in r.deductions} == {
        "self_occupied_interest": "22(1)(b)",
        "let_out_interest": "22(1)(b)",
        "house_property_set_off": "109(1)(b)",
        "affordable_housing_interest": "131",
        "home_loan_principal": "123 (Schedule XV)",
        "education_loan_interest": "129",
    }
    assert figures(r) == {
        "self_occupied_interest": (D("380000"), D("200000"), D("200000")),  # s.22(2)
        "let_out_interest": (D("90000"), None, D("90000")),
        "house_property_set_off": (D("290000"), D("200000"), D("200000")),  # 200000 + 90000
        "affordable_housing_interest": (D("180000"), D("150000"), D("150000")),  # s.131
        "home_loan_principal": (D("230000"), D("150000"), D("150000")),  # s.123
        "education_loan_interest": (D("60000"), None, D("60000")),  # s.129
    }
    assert r.total_deductible == D("560000")  # 200000 + 150000 + 150000 + 60000
    assert r.loans[0].sections == ("22(1)(b)", "123 (Schedule XV)", "131")
    assert any("22(2)(a)" in n for n in by_key(r)["self_occupied_interest"].notes)
    assert any("s.110" in n for n in by_key(r)["house_property_set_off"].notes)
    assert "2026-27 falls under the Income-tax Act, 2025 (in force from 1 April 2026)." in r.notes


def test_tax_year_2026_27_old_regime_not_biting_and_ineligible() -> None:
    loans = [home("own", "150000", "90000", sanctioned=datetime.date(2023, 1, 10))]
    r = tax_summary(2026, "old", loans, CAPS)
    assert figures(r) == {
        "self_occupied_interest": (D("150000"), D("200000"), D("150000")),
        "home_loan_principal": (D("90000"), D("150000"), D("90000")),
    }
    assert r.loans[0].sections == ("22(1)(b)", "123 (Schedule XV)")
    assert r.loans[0].notes == ("s.131: sanctioned 2023-01-10, outside 1 Apr 2019 - 31 Mar 2022.",)


def test_tax_year_2026_27_new_regime() -> None:
    loans = [home("own", "150000", "90000"), home("rent", "90000", "30000", "let_out")]
    r = tax_summary(2026, "new", loans, CAPS)
    assert figures(r) == {
        "self_occupied_interest": (D("150000"), D("0"), D("0")),  # s.202(2)(a)(v)
        "let_out_interest": (D("90000"), None, D("90000")),
        "home_loan_principal": (D("120000"), D("0"), D("0")),  # s.202(2)(a)(xii)
    }
    assert r.total_deductible == 0
    lines = by_key(r)
    assert any("202(2)(a)(v)" in n for n in lines["self_occupied_interest"].notes)
    assert any("202(2)(b)(ii)" in n for n in lines["let_out_interest"].notes)
    assert any("202(2)(a)(xii)" in n for n in lines["home_loan_principal"].notes)
    assert {loan.loan_id: loan.sections for loan in r.loans} == {
        "own": (),
        "rent": ("22(1)(b)",),
    }


# --- parameters and validation --------------------------------------------------------


def test_caps_are_parameters() -> None:
    caps = TaxCaps(
        self_occupied_interest=D("30000"),  # e.g. a house not completed within five years
        principal=D("100000"),
        affordable_housing_interest=D("50000"),
        house_property_set_off=D("100000"),
    )
    loans = [
        home("own", "100000", "120000", sanctioned=IN_WINDOW),
        home("rent", "90000", use="let_out"),
    ]
    r = tax_summary(2025, "old", loans, caps)
    assert figures(r) == {
        "self_occupied_interest": (D("100000"), D("30000"), D("30000")),
        "let_out_interest": (D("90000"), None, D("90000")),
        "house_property_set_off": (D("120000"), D("100000"), D("100000")),  # 30000 + 90000
        "affordable_housing_interest": (D("70000"), D("50000"), D("50000")),  # 100000 - 30000
        "home_loan_principal": (D("120000"), D("100000"), D("100000")),
    }
    assert by_key(r)["house_property_set_off"].notes  # explains the assumption
    assert "Rs 1,00,000" in by_key(r)["let_out_interest"].notes[1]


def test_other_loans_count_nowhere() -> None:
    car = TaxLoanInput("c", "Car", "car_loan", D("50000"), D("100000"))
    r = tax_summary(2025, "old", [car], CAPS)
    assert r.deductions == () and r.total_deductible == 0
    assert r.loans[0].sections == () and r.loans[0].notes == ()


def test_validation() -> None:
    with pytest.raises(ValueError):
        tax_summary(2025, "middle", [], CAPS)
    with pytest.raises(ValueError):
        tax_summary(2019, "new", [], CAPS)  # s.115BAC starts with FY 2020-21
    with pytest.raises(ValueError):
        tax_summary(2025, "old", [home("x", "1"), home("x", "2")], CAPS)
    with pytest.raises(ValueError):
        tax_summary(2025, "old", [home("x", "-1")], CAPS)
    with pytest.raises(ValueError):
        tax_summary(2025, "old", [home("x", "1", use="vacant")], CAPS)
    with pytest.raises(ValueError):
        tax_summary(2025, "old", [], TaxCaps(principal=D("-1")))
    with pytest.raises(ValueError):
        tax_summary(2025, "old", [], CAPS, other_section_80c=D("0.001"))
    assert tax_summary(2020, "new", [], CAPS).regime == "new"
