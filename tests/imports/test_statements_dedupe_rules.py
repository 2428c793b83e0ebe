"""Fingerprints (dedupe keys), rule suggestions and EMI matching."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imports.statements import (
    DEFAULT_RULES,
    LoanForMatching,
    Rule,
    RuleMatch,
    RuleSet,
    StatementRow,
    apply_rules,
    fingerprints,
    match_emi,
    parse_narration,
)
from imports.statements.fingerprint import base_key

D = Decimal


def row(narration="TEA STALL", amount="20.00", direction="debit", date=dt.date(2024, 1, 7),
        reference=None, balance=None, line=1) -> StatementRow:  # fmt: skip
    return StatementRow(line, date, None, D(amount), direction, narration, reference,
                        D(balance) if balance is not None else None)  # fmt: skip


# --- Fingerprints ---------------------------------------------------------------------


def test_two_identical_fares_on_one_day_stay_two_rows():
    fares = [row(line=1), row(line=2)]
    first, second = fingerprints("XX1234", fares)
    assert first != second
    # Importing the same two rows again gives the same two fingerprints.
    assert fingerprints("XX1234", fares) == [first, second]


def test_reference_key_ignores_narration_and_balance_differences():
    # The same UTR printed by two exports with different narration padding and balance.
    a = row("NEFT DR-X-RENT", "25000.00", reference="N006241234567890", balance="95050.00")
    b = row("NEFT DR-X-RENT  JAN", "25000.00", reference="N006241234567890", balance=None)
    assert fingerprints("acc", [a]) == fingerprints("acc", [b])


def test_upi_rrn_in_the_narration_is_the_reference_without_a_reference_column():
    a = row("UPI/P2M/412345678903/ZOMATO LIMITED/Pay/HDFC BANK", "649.00")
    b = row("UPI-ZOMATO-ZOMATO@HDFCBANK-HDFC0000499-412345678903-ORDER", "649.00")
    assert base_key("acc", a)[1:3] == ("ref", "412345678903")
    assert fingerprints("acc", [a]) == fingerprints("acc", [b])


def test_text_key_uses_normalised_narration_and_balance():
    a = row("  tea   stall ", balance="100.00")
    b = row("TEA-STALL", balance="100.00")
    c = row("TEA-STALL", balance="80.00")
    assert fingerprints("acc", [a]) == fingerprints("acc", [b])
    assert fingerprints("acc", [b]) != fingerprints("acc", [c])


def test_account_and_direction_separate_keys():
    assert fingerprints("A", [row()]) != fingerprints("B", [row()])
    assert fingerprints("A", [row()]) != fingerprints("A", [row(direction="credit")])
    assert fingerprints(" xx1234 ", [row()]) == fingerprints("XX1234", [row()])


def test_overlapping_statements_share_fingerprints_for_shared_rows():
    january = [row(f"SHOP {i}", f"{10 + i}.00", date=dt.date(2024, 1, 1 + i)) for i in range(20)]
    first_half, second_half = january[:12], january[8:]  # rows 8..11 in both files
    fp_first = fingerprints("acc", first_half)
    fp_second = fingerprints("acc", second_half)
    assert fp_first[8:12] == fp_second[:4]
    assert set(fp_first) & set(fp_second) == set(fp_first[8:12])


_dates = st.sampled_from([dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 3)])
_rows = st.builds(
    row,
    narration=st.sampled_from(["TEA", "BUS", "tea ", "UPI-A-A@YBL-YESB0YBLUPI-400112345678-X"]),
    amount=st.sampled_from(["10.00", "20.00", "450.00"]),
    direction=st.sampled_from(["debit", "credit"]),
    date=_dates,
    reference=st.sampled_from([None, None, "R1", "R2"]),
    balance=st.sampled_from([None, None, "100.00"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_rows, max_size=30))
def test_identical_rows_always_get_distinct_fingerprints(rows):
    digests = fingerprints("acc", rows)
    assert len(set(digests)) == len(rows)
    assert fingerprints("acc", rows) == digests  # deterministic


@settings(max_examples=300, deadline=None)
@given(st.lists(_rows, max_size=30), st.data())
def test_any_window_keeps_fingerprints_of_rows_whose_occurrences_it_holds(rows, data):
    start = data.draw(st.integers(0, len(rows)))
    end = data.draw(st.integers(start, len(rows)))
    window = rows[start:end]
    full_fp = fingerprints("acc", rows)
    window_fp = fingerprints("acc", window)
    keys = [base_key("acc", r) for r in rows]
    in_full = Counter(keys)
    in_window = Counter(keys[start:end])
    for offset, key in enumerate(keys[start:end]):
        if in_window[key] == in_full[key]:  # the window holds every occurrence
            assert window_fp[offset] == full_fp[start + offset]


# --- Rules ----------------------------------------------------------------------------


def suggest(rules, r):
    return apply_rules(rules, r, parse_narration(r.narration))


SWIGGY = row("UPI-SWIGGY-SWIGGY.ORDER@ICICI-ICIC0DC0099-603412345678-PAYMENT", "450.00")


def test_default_rule_for_swiggy():
    s = suggest(DEFAULT_RULES, SWIGGY)
    assert (s.kind, s.title, s.category, s.income_type) == ("expense", "Swiggy", "food", None)
    assert s.rule_name == "Swiggy (SWIGGY)"


def test_user_rule_wins_over_default_even_when_listed_after_it():
    mine = Rule("Instamart", RuleMatch(narration="swiggy"), RuleSet("expense", "Instamart",
                "groceries"), order=1)  # fmt: skip
    for rules in ([mine, *DEFAULT_RULES], [*DEFAULT_RULES, mine]):
        s = suggest(rules, SWIGGY)
        assert (s.rule_name, s.category, s.title) == ("Instamart", "groceries", "Instamart")


def test_lower_order_wins_and_ties_keep_list_order():
    a = Rule("a", RuleMatch(narration="SWIGGY"), RuleSet(category="food"), order=5)
    b = Rule("b", RuleMatch(narration="SWIGGY"), RuleSet(category="gifts"), order=2)
    c = Rule("c", RuleMatch(narration="SWIGGY"), RuleSet(category="household"), order=2)
    assert suggest([a, b, c], SWIGGY).rule_name == "b"
    assert suggest([a, c, b], SWIGGY).rule_name == "c"


@pytest.mark.parametrize(
    ("match", "hits"),
    [
        (RuleMatch(payee="swig"), True),  # payee "Swiggy"
        (RuleMatch(payee="zomato"), False),
        (RuleMatch(vpa="order@icici"), True),  # vpa "SWIGGY.ORDER@ICICI"
        (RuleMatch(vpa="@ybl"), False),
        (RuleMatch(narration="icic0dc0099"), True),
        (RuleMatch(narration="ZOMATO"), False),
        (RuleMatch(direction="debit"), True),
        (RuleMatch(direction="credit"), False),
        (RuleMatch(min_amount=D("450.00")), True),  # bounds are inclusive
        (RuleMatch(min_amount=D("450.01")), False),
        (RuleMatch(max_amount=D("450.00")), True),
        (RuleMatch(max_amount=D("449.99")), False),
        (RuleMatch(payee="swiggy", direction="credit"), False),  # every field must match
        (RuleMatch(), True),  # no fields: matches every row
    ],
)
def test_each_match_field(match, hits):
    rule = Rule("r", match, RuleSet(category="gifts"))
    assert (suggest([rule], SWIGGY).rule_name == "r") is hits


def test_text_matches_are_literal_not_regex():
    star = Rule("star", RuleMatch(narration=".*"), RuleSet(category="gifts"))
    assert suggest([star], SWIGGY).rule_name is None
    literal = row("PAYMENT TO A.*B TRADERS", "10.00")
    assert suggest([star], literal).rule_name == "star"
    bracket = Rule("bracket", RuleMatch(narration="[a-z]+"), RuleSet(category="gifts"))
    assert suggest([bracket], SWIGGY).rule_name is None


def test_no_match_falls_back_by_direction():
    debit = suggest([], row("NBSM/96863804/CRED(RAZORPAY)/", "99.00"))
    assert (debit.kind, debit.category, debit.income_type, debit.title) == (
        "expense", "other", None, "Nbsm Cred Razorpay",
    )  # fmt: skip
    credit = suggest([], row("UPI/P2A/412345678904/PRIYA NAIR/dinner/ICICI Bank", "600.00",
                             "credit"))  # fmt: skip
    assert (credit.kind, credit.category, credit.income_type, credit.title) == (
        "income", None, "other", "Priya Nair",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("narration", "direction", "expected"),
    [
        ("NEFT CR-HDFC0000240-ACME TECH SALARY-RAVI-HDFCN52024010212345678", "credit",
         ("income", None, "salary")),
        ("SB:923010008070086:Int.Pd:01-01-2025 to 31-03-2025", "credit",
         ("income", None, "interest")),
        ("ATW-512967XXXXXX1234-S1ANBY92-MG ROAD", "debit", ("expense", "cash", None)),
        ("BILL PAID TO CREDIT CARD XX0488", "debit", ("payment", None, None)),
        ("POS 512967XXXXXX1234 DMART HSR LAYOUT", "debit", ("expense", "groceries", None)),
        ("UPI-1000129101465-OLACABS@AXISBANK-909120443666-OLACABS", "debit",
         ("expense", "transport", None)),
        ("MHDF3308536362/BILLDKVODAFONEINDIAL", "debit", ("expense", "utilities", None)),
        ("BIL/ONL/000912345678/BESCOM BANGALORE/BILLDESK", "debit",
         ("expense", "utilities", None)),
        ("POS 512967XXXXXX1234 HPCL PETROL PUMP", "debit", ("expense", "fuel", None)),
        ("LIC OF INDIA PREMIUM 123456789", "debit", ("expense", "insurance", None)),
        ("NETFLIX.COM SUBSCRIPTION", "debit", ("expense", "subscriptions", None)),
        ("IRCTC E-TICKET", "debit", ("expense", "travel", None)),
        # "OLA" inside MOTOROLA and "LIC" inside PUBLIC are not Ola or LIC.
        ("POS 512967XXXXXX1234 MOTOROLA STORE", "debit", ("expense", "other", None)),
        ("PUBLIC LIBRARY FEE", "debit", ("expense", "other", None)),
    ],
)  # fmt: skip
def test_shipped_defaults(narration, direction, expected):
    s = suggest(DEFAULT_RULES, row(narration, "100.00", direction))
    assert (s.kind, s.category, s.income_type) == expected


def test_cash_withdrawal_is_tagged():
    s = suggest(DEFAULT_RULES, row("NWD-421424XXXXXX7648-SW002801-MUMBAI", "2000.00"))
    assert (s.title, s.tags) == ("Cash withdrawal", ("cash", "atm"))


def test_skip_rule_and_rule_from_dict():
    stored = {"name": "ignore transfers", "order": 3,
              "match": {"narration": "SELF TRANSFER", "min_amount": "1000"},
              "set": {"kind": "skip", "tags": ["transfer"]}}  # fmt: skip
    rule = Rule.from_dict(stored)
    assert rule.match.min_amount == D("1000")
    s = suggest([rule], row("IMPS SELF TRANSFER TO SAVINGS", "5000.00"))
    assert (s.kind, s.category, s.income_type, s.tags) == ("skip", None, None, ("transfer",))
    assert suggest([rule], row("IMPS SELF TRANSFER TO SAVINGS", "999.00")).rule_name is None


def test_rules_refuse_unknown_categories():
    with pytest.raises(ValueError):
        RuleSet(category="Food")
    with pytest.raises(ValueError):
        RuleSet(kind="transfer")
    with pytest.raises(ValueError):
        RuleMatch(direction="out")


# --- EMI matching ---------------------------------------------------------------------

HOME = LoanForMatching("home", "Home loan", "HDFC Bank", D("25000.00"), dt.date(2024, 2, 5),
                       "LN44556677")  # fmt: skip
PERSONAL = LoanForMatching("personal", "Personal loan", "Bajaj Finance", D("12500.00"),
                           dt.date(2024, 2, 3))  # fmt: skip


def emi(narration, amount, date, direction="debit", debts=(HOME, PERSONAL)):
    r = row(narration, amount, direction, date)
    return match_emi(r, parse_narration(r.narration), list(debts))


def test_emi_by_amount_and_date_window():
    # Exact EMI on the due date.
    assert emi("ACH D- XYZ-123", "25000.00", dt.date(2024, 2, 5)) == "home"
    # 1 % of 25,000.00 is 250.00: 25,250.00 is inside, 7 days early is inside.
    assert emi("ACH D- XYZ-123", "25250.00", dt.date(2024, 1, 29)) == "home"


def test_emi_near_misses_do_not_match():
    # 2 % off: 25,000.00 * 1.02 = 25,500.00.
    assert emi("ACH D- XYZ-123", "25500.00", dt.date(2024, 2, 5)) is None
    # 25,251.00 is 1.004 % off, just outside.
    assert emi("ACH D- XYZ-123", "25251.00", dt.date(2024, 2, 5)) is None
    # 8 days after the due date.
    assert emi("ACH D- XYZ-123", "25000.00", dt.date(2024, 2, 13)) is None


def test_emi_by_lender_name_or_account_hint():
    # Amount and date far off, but the narration names the lender.
    assert emi("NACH-DR-BAJAJ FINANCE LTD-4FRT5678", "9999.00", dt.date(2024, 5, 20)) == "personal"
    assert emi("LOAN RECOVERY LN44556677", "1.00", dt.date(2024, 9, 1)) == "home"
    # The account as the user typed it ("LN-4455 6677") is found without its separators, and
    # a narration that splits it ("LN 44556677") still names it.
    typed = LoanForMatching("typed", "Home loan", "", D("25000.00"), dt.date(2024, 2, 5),
                            "ln-4455 6677")  # fmt: skip
    assert emi("NACH DR LN 44556677", "1.00", dt.date(2024, 9, 1), debts=(typed,)) == "typed"
    # Another loan's account is not this one's.
    assert emi("NACH DR LN44556678", "1.00", dt.date(2024, 9, 1), debts=(typed,)) is None
    # Whole words only: "HDFC0000123" (an IFSC) does not name HDFC Bank.
    assert emi("NEFT DR-HDFC0000123-RENT-N006241234567890", "999.00", dt.date(2024, 9, 1)) is None


def test_emi_ignores_the_counterparty_bank_and_credits():
    # The payee banks with HDFC; this is a food order, not the home loan.
    assert emi("UPI/P2M/412345678903/ZOMATO LIMITED/Pay/HDFC Bank", "649.00",
               dt.date(2024, 6, 1)) is None  # fmt: skip
    assert emi("ACH C- HDFC BANK-REFUND", "25000.00", dt.date(2024, 2, 5), "credit") is None


def test_emi_ambiguity_prefers_closest_amount_then_date():
    car = LoanForMatching("car", "Car loan", "Axis Bank", D("25100.00"), dt.date(2024, 2, 5))
    # 25,050.00: 50.00 from home (25,000), 50.00 from car (25,100); dates equal -> tie -> None.
    assert emi("ACH D- X-1", "25050.00", dt.date(2024, 2, 5), debts=(HOME, car)) is None
    # 25,090.00: 90.00 from home, 10.00 from car -> car.
    assert emi("ACH D- X-1", "25090.00", dt.date(2024, 2, 5), debts=(HOME, car)) == "car"
    later = LoanForMatching("car", "Car loan", "Axis Bank", D("25000.00"), dt.date(2024, 2, 8))
    # Same amount gap (0); due 5 Feb vs 8 Feb, paid 6 Feb -> 1 day vs 2 days -> home.
    assert emi("ACH D- X-1", "25000.00", dt.date(2024, 2, 6), debts=(HOME, later)) == "home"
