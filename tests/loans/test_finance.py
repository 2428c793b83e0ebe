"""Unit and property tests for loans/rules.py and loans/payoff.py (pure loan/EMI arithmetic)."""

from __future__ import annotations

import datetime
from decimal import Decimal, localcontext
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from loans import payoff
from loans import rules as loan_rules
from loans.payoff import PlanDebt, compare_strategies, payoff_plan
from loans.rules import (
    NeverPaysOff,
    Overpayment,
    PaymentTooSmall,
    add_months,
    amortize,
    emi,
    money,
    monthly_rate,
    split_checked,
    split_payment,
    what_if,
)

D = Decimal
START = datetime.date(2024, 1, 31)
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rupees(lo: int, hi: int) -> st.SearchStrategy[Decimal]:
    """Amounts in [lo, hi] rupees with exactly two decimals."""
    return st.integers(lo * 100, hi * 100).map(lambda c: D(c).scaleb(-2))


rates = st.integers(0, 3600).map(lambda c: D(c).scaleb(-2))  # 0.00% .. 36.00%


# --- basics -----------------------------------------------------------------------------


def test_money_rounds_half_up_and_rejects_float() -> None:
    assert money(D("1.005")) == D("1.01")
    assert money(D("-1.005")) == D("-1.01")
    assert money(D("2.004")) == D("2.00")
    assert money(7) == D("7.00")
    with pytest.raises(TypeError):
        money(1.5)  # type: ignore[arg-type]


def test_monthly_rate() -> None:
    assert monthly_rate(D("12")) == D("0.01")
    assert monthly_rate(D("0")) == 0


def test_emi_reference_value() -> None:
    assert emi(D("1000000"), D("12"), 12) == D("88848.79")


def test_emi_zero_rate() -> None:
    assert emi(D("1200"), D("0"), 12) == D("100.00")
    assert emi(D("100"), D("0"), 3) == D("33.33")


def test_emi_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        emi(D("1000"), D("12"), 0)
    with pytest.raises(ValueError):
        emi(D("1000.001"), D("12"), 12)


def test_add_months_clamps_to_month_end() -> None:
    jan31 = datetime.date(2024, 1, 31)
    assert add_months(jan31, 1) == datetime.date(2024, 2, 29)  # leap year
    assert add_months(jan31, 2) == datetime.date(2024, 3, 31)  # day restored, not chained
    assert add_months(datetime.date(2023, 1, 31), 1) == datetime.date(2023, 2, 28)
    assert add_months(datetime.date(2024, 11, 15), 3) == datetime.date(2025, 2, 15)
    assert add_months(datetime.date(2024, 3, 31), -1) == datetime.date(2024, 2, 29)
    assert add_months(jan31, 0) == jan31


def test_split_payment() -> None:
    assert split_payment(D("88848.79"), D("1000000"), D("12"), "emi") == (
        D("10000.00"),
        D("78848.79"),
    )
    assert split_payment(D("5000"), D("1000000"), D("12"), "prepayment") == (D("0"), D("5000"))
    # overpaying is the caller's check, not ours
    assert split_payment(D("500"), D("100"), D("0"), "emi") == (D("0"), D("500"))


def test_split_payment_too_small() -> None:
    with pytest.raises(PaymentTooSmall) as info:
        split_payment(D("9999.99"), D("1000000"), D("12"), "emi")
    assert info.value.interest == D("10000.00")
    assert isinstance(info.value, ValueError)


def test_split_checked_refuses_overpaying() -> None:
    assert split_checked(D("88848.79"), D("1000000"), D("12"), "emi") == (
        D("10000.00"),
        D("78848.79"),
    )
    assert split_checked(D("101.00"), D("100"), D("12"), "emi") == (D("1.00"), D("100.00"))
    with pytest.raises(Overpayment) as info:
        split_checked(D("101.01"), D("100"), D("12"), "emi")
    assert (info.value.remaining, info.value.clears) == (D("100"), D("101.00"))
    with pytest.raises(Overpayment) as info:
        split_checked(D("100.01"), D("100"), D("12"), "prepayment")
    assert info.value.clears == D("100") and isinstance(info.value, ValueError)
    with pytest.raises(PaymentTooSmall):
        split_checked(D("0.99"), D("100"), D("12"), "emi")


# --- amortization -----------------------------------------------------------------------


def test_reference_schedule() -> None:
    sched = amortize(D("1000000"), D("12"), D("88848.79"), START)
    assert sched.months == len(sched.rows) == 12
    assert sum(r.principal for r in sched.rows) == D("1000000.00")
    assert sched.rows[-1].balance == D("0.00")
    assert sched.total_interest == sum(r.interest for r in sched.rows) == D("66185.45")
    assert sched.total_paid == sched.total_interest + D("1000000.00")
    assert sched.rows[0].interest == D("10000.00")
    assert sched.rows[-1].emi == D("88848.76")  # last instalment absorbs rounding
    assert [r.due_date for r in sched.rows[:4]] == [
        datetime.date(2024, 1, 31),
        datetime.date(2024, 2, 29),
        datetime.date(2024, 3, 31),
        datetime.date(2024, 4, 30),
    ]


def test_zero_rate_schedule() -> None:
    sched = amortize(D("1200"), D("0"), emi(D("1200"), D("0"), 12), START)
    assert sched.months == 12
    assert all(r.interest == 0 and r.principal == D("100.00") for r in sched.rows)
    # P/n doesn't divide evenly: 33.33 x 3 leaves 0.01 for a 4th, tiny instalment
    sched = amortize(D("100"), D("0"), emi(D("100"), D("0"), 3), START)
    assert [r.principal for r in sched.rows] == [D("33.33")] * 3 + [D("0.01")]


def test_lump_sum_counts_as_principal_paid() -> None:
    sched = amortize(D("1000000"), D("12"), D("88848.79"), START, lump_sum=D("100000"))
    assert sched.lump_sum_applied == D("100000")
    assert sum(r.principal for r in sched.rows) == D("900000.00")
    assert sched.total_principal == D("1000000.00")
    assert sched.total_paid == sched.total_principal + sched.total_interest
    # lump bigger than the loan: capped, nothing left to schedule
    sched = amortize(D("5000"), D("12"), D("100"), START, lump_sum=D("9000"))
    assert (sched.months, sched.lump_sum_applied, sched.total_paid) == (0, D("5000"), D("5000"))


def test_never_pays_off() -> None:
    with pytest.raises(NeverPaysOff):
        amortize(D("100000"), D("12"), D("999.99"), START)  # interest is 1000.00
    with pytest.raises(NeverPaysOff):
        amortize(D("100000"), D("12"), D("1000.00"), START)  # interest-only: never ends


def test_rounded_emi_can_fail_to_amortize() -> None:
    # Known limit of rounding the EMI half-up: the exact EMI is 30.0007..., which rounds
    # to exactly the first month's interest, so the loan never amortizes.
    assert emi(D("1000"), D("36"), 360) == D("30.00")
    with pytest.raises(NeverPaysOff):
        amortize(D("1000"), D("36"), D("30.00"), START)


def test_what_if() -> None:
    res = what_if(D("1000000"), D("12"), D("88848.79"), START, extra_monthly=D("20000"))
    assert res.baseline.months == 12
    assert res.months_saved == 12 - res.scenario.months > 0
    assert res.interest_saved == res.baseline.total_interest - res.scenario.total_interest > 0
    same = what_if(D("1000000"), D("12"), D("88848.79"), START)
    assert (same.months_saved, same.interest_saved) == (0, D("0"))


def _emi_bound_holds(principal: Decimal, rate: Decimal, tenure: int, e: Decimal) -> bool:
    """Sufficient condition for the rounded schedule to finish within tenure + 1 months.

    Each month the balance drifts from the exact schedule by at most 0.01 (0.005 EMI
    rounding + 0.005 interest rounding), compounding to at most 0.01·s_n after n months
    (s_n = ((1+r)^n - 1)/r). If that leftover plus its interest fits in one EMI, month
    n + 1 clears it; it also implies the first month's principal is positive.
    """
    r = monthly_rate(rate)
    if r == 0:
        return D("0.005") * tenure <= e
    with localcontext(prec=60):
        s_n = ((1 + r) ** tenure - 1) / r
        return D("0.01") * s_n * (1 + r) + D("0.005") < e


def _check_schedule(sched: loan_rules.Schedule, principal: Decimal) -> None:
    assert sum((r.principal for r in sched.rows), D(0)) + sched.lump_sum_applied == principal
    assert all(r.balance >= 0 and r.principal > 0 and r.interest >= 0 for r in sched.rows)
    assert sched.rows[-1].balance == 0 if sched.rows else sched.lump_sum_applied == principal
    assert [r.month for r in sched.rows] == list(range(1, sched.months + 1))
    assert sched.total_interest == sum((r.interest for r in sched.rows), D(0))
    assert sched.total_paid == sum((r.emi for r in sched.rows), D(0)) + sched.lump_sum_applied


@PROPS
@given(principal=rupees(1000, 100_000_000), rate=rates, tenure=st.integers(1, 360))
def test_schedule_properties(principal: Decimal, rate: Decimal, tenure: int) -> None:
    e = emi(principal, rate, tenure)
    bound = _emi_bound_holds(principal, rate, tenure, e)
    try:
        sched = amortize(principal, rate, e, START)
    except NeverPaysOff:
        assert not bound  # only tiny loans at high rates and long tenures
        return
    _check_schedule(sched, principal)
    if bound:
        assert sched.months <= tenure + 1


@PROPS
@given(
    principal=rupees(1000, 100_000_000),
    rate=rates,
    tenure=st.integers(1, 360),
    extra=rupees(0, 100_000),
    lump=rupees(0, 1_000_000),
)
def test_extra_payments_never_hurt(
    principal: Decimal, rate: Decimal, tenure: int, extra: Decimal, lump: Decimal
) -> None:
    e = emi(principal, rate, tenure)
    try:
        base = amortize(principal, rate, e, START)
    except NeverPaysOff:
        assume(False)
    res = what_if(principal, rate, e, START, extra_monthly=extra, lump_sum=lump)
    assert res.baseline == base
    _check_schedule(res.scenario, principal)
    assert res.months_saved >= 0
    assert res.interest_saved >= 0


# --- payoff plans -----------------------------------------------------------------------


def test_empty_plan() -> None:
    plan = payoff_plan([], D("500"), "avalanche", START)
    assert (plan.months, plan.total_interest, plan.debt_free_date) == (0, 0, START)
    assert plan.order == [] and plan.debts == []


def test_hand_checked_zero_rate_snowball() -> None:
    # Budget 30/month. Snowball targets B (50):
    #   m1: A 100-10=90, B 50-10-10=30   m2: A 80, B 10   m3: A 70, B 0 (+10 cascades) -> A 60
    #   m4: A 60-30=30                   m5: A 0
    debts = [
        PlanDebt("a", "A", D("100"), D("0"), D("10")),
        PlanDebt("b", "B", D("50"), D("0"), D("10")),
    ]
    start = datetime.date(2024, 1, 1)
    plan = payoff_plan(debts, D("10"), "snowball", start)
    assert plan.order == ["b", "a"]
    assert [(d.id, d.payoff_month) for d in plan.debts] == [("b", 3), ("a", 5)]
    assert plan.debts[0].payoff_date == datetime.date(2024, 4, 1)
    assert (plan.months, plan.total_interest) == (5, D("0"))
    assert plan.debt_free_date == datetime.date(2024, 6, 1)


def test_hand_checked_with_interest() -> None:
    # A: 100 @12% (1%/month), B: 50 @0%, both EMI 10, extra 10 -> budget 30.
    # Avalanche (A first): A's interest 1.00, .81, .62, .42, .23, .03 = 3.11; B cleared m5.
    # Snowball (B first): B cleared m3; A's interest 1.00, .91, .82, .63, .33, .04 = 3.73.
    debts = [
        PlanDebt("a", "A", D("100"), D("12"), D("10")),
        PlanDebt("b", "B", D("50"), D("0"), D("10")),
    ]
    aval, snow = compare_strategies(debts, D("10"), "avalanche", START)
    assert (aval.strategy, snow.strategy) == ("avalanche", "snowball")
    assert aval.order == ["a", "b"] and snow.order == ["b", "a"]
    assert [(d.id, d.payoff_month, d.interest_paid) for d in aval.debts] == [
        ("a", 6, D("3.11")),
        ("b", 5, D("0")),
    ]
    assert [(d.id, d.payoff_month, d.interest_paid) for d in snow.debts] == [
        ("b", 3, D("0")),
        ("a", 6, D("3.73")),
    ]
    assert (aval.total_interest, snow.total_interest) == (D("3.11"), D("3.73"))
    assert aval.months == snow.months == 6


def test_strategy_ordering_ties() -> None:
    debts = [
        PlanDebt("x", "X", D("500"), D("10"), D("50")),
        PlanDebt("y", "Y", D("300"), D("10"), D("50")),
        PlanDebt("z", "Z", D("300"), D("20"), D("50")),
    ]
    assert payoff_plan(debts, D("0"), "avalanche", START).order == ["z", "y", "x"]
    assert payoff_plan(debts, D("0"), "snowball", START).order == ["z", "y", "x"]
    with pytest.raises(ValueError):
        payoff_plan(debts, D("0"), "biggest-first", START)  # type: ignore[arg-type]


def test_plan_never_pays_off() -> None:
    debts = [PlanDebt("a", "A", D("100000"), D("24"), D("1000"))]  # interest 2000/month
    with pytest.raises(NeverPaysOff):
        payoff_plan(debts, D("0"), "avalanche", START)
    # an EMI below the interest is fine if the surplus covers it
    debts.append(PlanDebt("b", "B", D("1000"), D("0"), D("100")))
    plan = payoff_plan(debts, D("3000"), "avalanche", START)
    assert plan.months > 0


@st.composite
def debt_lists(draw: st.DrawFn, min_size: int = 1) -> list[PlanDebt]:
    """Debts whose EMI covers their own interest, so every plan terminates (< 1200 months)."""
    debts = []
    for i in range(draw(st.integers(min_size, 4))):
        cents = draw(st.integers(100, 10_000_000))
        balance = D(cents).scaleb(-2)
        rate = draw(rates)
        margin = D(draw(st.integers(cents // 200 + 1, cents))).scaleb(-2)
        debts.append(
            PlanDebt(
                f"d{i}", f"Debt {i}", balance, rate, money(balance * monthly_rate(rate)) + margin
            )
        )
    return debts


def _check_plan(plan: payoff.Plan, debts: list[PlanDebt]) -> None:
    assert sorted(plan.order) == sorted(d.id for d in debts)
    assert [d.id for d in plan.debts] == plan.order
    assert plan.months == max(d.payoff_month for d in plan.debts)
    assert all(d.payoff_month >= 1 and d.interest_paid >= 0 for d in plan.debts)
    assert all(d.payoff_date == add_months(START, d.payoff_month) for d in plan.debts)
    assert plan.debt_free_date == add_months(START, plan.months)
    assert plan.total_interest == sum(d.interest_paid for d in plan.debts)


@PROPS
@given(debts=debt_lists(), extra=rupees(0, 50_000))
def test_zero_rate_plan_uses_whole_budget(debts: list[PlanDebt], extra: Decimal) -> None:
    # With no interest every month pays min(budget, total owed): checks cascading/rollover.
    debts = [PlanDebt(d.id, d.name, d.balance, D("0"), d.emi) for d in debts]
    budget = sum(d.emi for d in debts) + extra
    total = sum(d.balance for d in debts)
    for strategy in ("avalanche", "snowball"):
        plan = payoff_plan(debts, extra, strategy, START)
        _check_plan(plan, debts)
        assert plan.months == -(-int(total * 100) // int(budget * 100))  # ceil, in paise
        assert plan.total_interest == 0


@PROPS
@given(debts=debt_lists(min_size=2), extra=rupees(0, 50_000), more=rupees(0, 50_000))
def test_plan_properties(debts: list[PlanDebt], extra: Decimal, more: Decimal) -> None:
    aval, snow = compare_strategies(debts, extra, "avalanche", START)
    _check_plan(aval, debts)
    _check_plan(snow, debts)
    # Avalanche is interest-optimal in exact arithmetic (see the test below), but each
    # plan rounds every interest charge to the paisa, so the two totals can be off by
    # rounding: allow 0.005 per debt-month of either plan (observed worst: ~1/3 of that).
    debt_months = sum(d.payoff_month for d in aval.debts + snow.debts)
    assert aval.total_interest <= snow.total_interest + D("0.005") * debt_months
    # More surplus never makes either plan longer or costlier.
    for plan in (aval, snow):
        bigger = payoff_plan(debts, extra + more, plan.strategy, START)
        assert bigger.months <= plan.months
        assert bigger.total_interest <= plan.total_interest


@settings(max_examples=100, deadline=None)
@given(debts=debt_lists(min_size=2), extra=rupees(0, 50_000))
def test_avalanche_optimal_without_rounding(debts: list[PlanDebt], extra: Decimal) -> None:
    # Same simulation with paisa rounding switched off: avalanche must not lose at all
    # (up to the 60-digit working precision).
    with mock.patch.object(payoff, "money", Decimal):
        aval, snow = compare_strategies(debts, extra, "avalanche", START)
    assert aval.total_interest <= snow.total_interest + D("1e-20")


def test_the_loan_rules_are_pure():
    """The rules, the engine and the reading of a debt document import no web framework and
    no database driver (a fresh interpreter, so nothing else loaded them)."""
    import subprocess
    import sys

    modules = "rules, events, instalments, payoff, schedule, debt, state, tax, tax_law"
    probe = (
        f"import sys; from loans import {modules}; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'pymongo', 'bson'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
