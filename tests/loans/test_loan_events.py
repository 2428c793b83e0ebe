"""Golden and property tests for the event-sourced loan engine (loans.events, loans.schedule).

Every expected figure is computed here independently of the engine: the EMI formula at
50 digits (``formula_emi``) and month-by-month loops (``pay``, ``repay``) written below,
each rounding one month's interest half-up to the paisa. The literal beside each is what
those helpers print, pinned so a change in either side shows.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loans.events import (
    Event,
    LoanState,
    LoanTerms,
    Payment,
    RateChange,
    TenureExtensionRefused,
    event_key,
    ordered,
    replay,
    resume,
    tenure_as_of,
    without,
)
from loans.instalments import minimum_emi
from loans.rules import NeverPaysOff, Overpayment, PaymentTooSmall, add_months
from loans.schedule import projection, schedule, statement

D = Decimal
C = D("0.01")
DAY = datetime.timedelta(days=1)


# --- independent arithmetic -------------------------------------------------------------


def formula_emi(principal: Decimal, annual: str | Decimal, n: int) -> Decimal:
    """P·r·(1+r)^n / ((1+r)^n - 1) at 50 digits, r = annual/1200, rounded half-up."""
    with localcontext() as ctx:
        ctx.prec = 50
        r = D(annual) / 1200
        growth = (1 + r) ** n
        exact = principal * r * growth / (growth - 1)
    return exact.quantize(C, rounding=ROUND_HALF_UP)


def interest(balance: Decimal, annual: str | Decimal) -> Decimal:
    """One month's interest, balance x annual/1200, half-up to the paisa."""
    with localcontext() as ctx:
        ctx.prec = 50
        return (balance * D(annual) / 1200).quantize(C, rounding=ROUND_HALF_UP)


def pay(balance: Decimal, annual: str, emi: Decimal, months: int) -> Decimal:
    """The balance after ``months`` EMIs, each paying that month's interest first."""
    for _ in range(months):
        balance -= emi - interest(balance, annual)
    return balance


def repay(balance: Decimal, annual: str, emi: Decimal, limit: int = 10**4) -> tuple[int, Decimal]:
    """(instalments, last instalment) for ``emi`` to clear ``balance``; the last pays what
    is left plus its interest. (0, 0) if it never clears within ``limit``."""
    for month in range(1, limit + 1):
        i = interest(balance, annual)
        if emi >= balance + i:
            return month, balance + i
        if emi <= i:
            return 0, D(0)
        balance -= emi - i
    return 0, D(0)


def smallest_emi(balance: Decimal, annual: str, within: int) -> Decimal:
    """Walk paisa by paisa from the formula to the smallest EMI that clears within."""
    e = formula_emi(balance, annual, within)
    while repay(balance, annual, e, within)[0]:
        e -= C
    while not repay(balance, annual, e, within)[0]:
        e += C
    return e


# --- the reference loan: ₹30,00,000 at 8.5 % over 240 months ------------------------------

P = D("3000000")
FIRST_DUE = datetime.date(2024, 5, 5)
E0 = D("26034.70")  # formula_emi(P, 8.5, 240)
B12 = D("2940293.09")  # pay(P, 8.5, E0, 12)
B23 = D("2880936.71")  # pay(P, 8.5, E0, 23)
B24 = D("2875308.65")  # pay(P, 8.5, E0, 24)
RESET = datetime.date(2026, 5, 1)  # after the 24th EMI (5 Apr 2026)


def terms(**kw: object) -> LoanTerms:
    values: dict[str, object] = {
        "principal": P,
        "annual_rate": D("8.5"),
        "tenure_months": 240,
        "emi": E0,
        "first_due": FIRST_DUE,
    }
    return LoanTerms(**(values | kw))  # type: ignore[arg-type]


def emis(count: int, amount: Decimal = E0, start: int = 0) -> list[Event]:
    """EMIs on their due dates: instalments start+1 .. start+count."""
    return [
        Payment(f"emi-{k:03d}", add_months(FIRST_DUE, k), amount)
        for k in range(start, start + count)
    ]


def test_independent_helpers_agree_with_the_pins() -> None:
    assert formula_emi(P, "8.5", 240) == E0
    assert repay(P, "8.5", E0) == (240, D("26032.77"))  # the plan repays in 240
    assert pay(P, "8.5", E0, 12) == B12
    assert pay(P, "8.5", E0, 23) == B23
    assert pay(P, "8.5", E0, 24) == B24


def test_plain_emis() -> None:
    state = replay(terms(), emis(24))
    assert state.balance == B24
    assert (state.emi, state.remaining_tenure, state.instalments_paid) == (E0, 216, 24)
    assert state.next_due == datetime.date(2026, 5, 5)
    assert state.final_due == datetime.date(2044, 4, 5)  # instalment 240
    assert state.total_principal == P - B24
    assert state.total_interest == 24 * E0 - (P - B24)
    first = state.splits[0]
    assert (first.interest, first.principal) == (D("21250.00"), E0 - D("21250.00"))  # 3e6·8.5/1200
    assert first.due_date == FIRST_DUE and state.splits[-1].due_date == datetime.date(2026, 4, 5)


# --- rate resets ------------------------------------------------------------------------


def test_rate_rise_increase_emi() -> None:
    events = [*emis(24), RateChange("r1", RESET, D("9.25"), "increase_emi")]
    state = replay(terms(), events)
    new_emi = formula_emi(B24, "9.25", 216)  # = 27376.36
    assert new_emi == D("27376.36")
    assert (state.balance, state.emi, state.remaining_tenure) == (B24, new_emi, 216)
    assert state.annual_rate == D("9.25")
    plan = schedule(terms(), events, RESET)
    # 215 EMIs at the new rate, then the 216th pays what is left: 27377.67
    left = pay(B24, "9.25", new_emi, 215)
    assert plan.projection[-1].emi == left + interest(left, "9.25") == D("27377.67")
    assert plan.projection[-1].balance == 0 and len(plan.projection) == 216
    assert plan.projection[-1].due_date == datetime.date(2044, 4, 5)  # maturity unchanged


def test_rate_rise_extend_tenure() -> None:
    events = [*emis(24), RateChange("r1", RESET, D("9.25"), "extend_tenure")]
    state = replay(terms(), events)
    months, last = repay(B24, "9.25", E0)  # the unchanged EMI at 9.25 %
    assert (months, last) == (249, D("5497.36"))
    assert (state.emi, state.remaining_tenure) == (E0, 249)
    assert tenure_as_of(terms(), events, RESET - DAY) == 216  # before the reset
    assert tenure_as_of(terms(), events, RESET) == 249
    plan = schedule(terms(), events, RESET)
    assert plan.projected.months == 249 and plan.projection[-1].emi == last
    assert plan.projection[-1].due_date == add_months(FIRST_DUE, 24 + 249 - 1)  # 5 Jan 2047


def test_rate_fall_extend_tenure_shortens() -> None:
    events = [*emis(24), RateChange("r1", RESET, D("7.5"), "extend_tenure")]
    months, _ = repay(B24, "7.5", E0)
    assert replay(terms(), events).remaining_tenure == months < 216


def test_negative_amortisation_refused_with_minimum_emi() -> None:
    # At 11.5 % the month's interest on B24 is 27555.04 > the EMI of 26034.70.
    assert interest(B24, "11.5") == D("27555.04")
    rise = RateChange("r1", RESET, D("11.5"), "extend_tenure")
    with pytest.raises(TenureExtensionRefused) as info:
        replay(terms(max_tenure_months=360), [*emis(24), rise])
    assert info.value.reason == "negative_amortisation"
    assert info.value.interest == D("27555.04")
    # Smallest EMI repaying within the 336 instalments left of a 360-month maximum:
    # the formula gives 28720.29, which leaves a remainder after 336; 28720.30 clears.
    assert formula_emi(B24, "11.5", 336) == D("28720.29")
    assert smallest_emi(B24, "11.5", 336) == D("28720.30") == info.value.minimum_emi
    assert isinstance(info.value, ValueError)
    # With no lender maximum (1200 instalments) the minimum is just above the interest.
    with pytest.raises(TenureExtensionRefused) as info:
        replay(terms(), [*emis(24), rise])
    assert info.value.minimum_emi == smallest_emi(B24, "11.5", 1176)
    assert D("27555.04") < info.value.minimum_emi < D("27600")
    # Raising the EMI instead is always possible: the formula over the 216 left.
    raised = replay(terms(), [*emis(24), RateChange("r1", RESET, D("11.5"), "increase_emi")])
    assert (raised.emi, raised.remaining_tenure) == (formula_emi(B24, "11.5", 216), 216)


def test_extension_beyond_max_tenure_refused() -> None:
    rise = RateChange("r1", RESET, D("9.25"), "extend_tenure")
    with pytest.raises(TenureExtensionRefused) as info:  # needs 249 more, 236 allowed
        replay(terms(max_tenure_months=260), [*emis(24), rise])
    assert info.value.reason == "beyond_max_tenure"
    assert info.value.minimum_emi == smallest_emi(B24, "9.25", 236) == D("26489.46")
    assert replay(terms(max_tenure_months=273), [*emis(24), rise]).remaining_tenure == 249


def test_minimum_emi_function() -> None:
    assert minimum_emi(B24, D("11.5"), 336) == D("28720.30")
    assert minimum_emi(D("1000"), D("0"), 3) == D("333.34")  # 333.33 x 3 leaves 0.01
    assert minimum_emi(D("1000"), D("12"), 1) == D("1010.00")
    with pytest.raises(ValueError):
        minimum_emi(D("1000"), D("12"), 0)


def test_payment_on_reset_day_uses_new_rate_and_before_uses_old() -> None:
    on_day = Payment("late-24th", RESET, E0)  # the 24th EMI paid on the reset day
    state = replay(terms(), [*emis(23), on_day, RateChange("r1", RESET, D("9.25"), "increase_emi")])
    assert state.splits[-1].interest == interest(B23, "9.25") == D("22207.22")
    assert state.splits[-1].annual_rate == D("9.25")
    day_before = Payment("late-24th", RESET - DAY, E0)
    state = replay(
        terms(), [*emis(23), day_before, RateChange("r1", RESET, D("9.25"), "increase_emi")]
    )
    assert state.splits[-1].interest == interest(B23, "8.5") == D("20406.64")


# --- prepayments ------------------------------------------------------------------------


def test_reduce_emi_prepayment_and_deleting_it() -> None:
    prepay = Payment("pre", datetime.date(2025, 4, 20), D("200000"), "prepayment", "reduce_emi")
    events = [*emis(12), prepay]
    state = replay(terms(), events)
    new_emi = formula_emi(B12 - 200000, "8.5", 228)  # 2740293.09 over the 228 left
    assert new_emi == D("24263.81")
    assert (state.balance, state.emi, state.remaining_tenure) == (B12 - 200000, new_emi, 228)
    assert state.next_due == datetime.date(2025, 5, 5)  # a prepayment moves no due date
    restored = replay(terms(), without(events, "pre"))
    assert (restored.emi, restored.remaining_tenure, restored.balance) == (E0, 228, B12)
    assert restored == replay(terms(), emis(12))
    with pytest.raises(KeyError):
        without(events, "nope")


def test_reduce_tenure_prepayment() -> None:
    prepay = Payment("pre", datetime.date(2025, 4, 20), D("200000"), "prepayment")
    state = replay(terms(), [*emis(12), prepay])
    months, last = repay(B12 - 200000, "8.5", E0)
    assert (months, last) == (194, D("23697.43"))
    assert (state.emi, state.remaining_tenure) == (E0, 194)
    assert schedule(terms(), [*emis(12), prepay], prepay.date).projection[-1].emi == last


def test_payments_of_one_day_apply_in_the_order_recorded() -> None:
    """Ids are given in the order payments are recorded (the API's ObjectIds): on one day
    the earlier-recorded payment comes first, whatever its kind."""
    day = add_months(FIRST_DUE, 12)
    first = replay(terms(), [*emis(13), Payment("emi-999", day, D("100000"), "prepayment")])
    # recorded after the 13th EMI: that EMI is charged on B12
    assert [r.kind for r in first.rows[-2:]] == ["emi", "prepayment"]
    assert first.rows[-2].interest == interest(B12, "8.5")
    before = replay(terms(), [Payment("a-pre", day, D("100000"), "prepayment"), *emis(13)])
    # recorded before it: the EMI is charged on B12 - 1,00,000
    assert [r.kind for r in before.rows[-2:]] == ["prepayment", "emi"]
    assert before.rows[-1].interest == interest(B12 - 100000, "8.5")


def test_irregular_emi_payments() -> None:
    more = replay(terms(), [*emis(12), *emis(1, E0 + 50000, start=12)])
    b = B12 - (E0 + 50000 - interest(B12, "8.5"))
    assert more.balance == b and more.emi == E0
    assert more.remaining_tenure == repay(b, "8.5", E0)[0] < 227  # the surplus shortens it
    less = replay(terms(), [*emis(12), *emis(1, D("21000"), start=12)])
    assert less.remaining_tenure == 227 and less.emi == E0  # the last instalment carries it
    last = schedule(terms(), [*emis(12), *emis(1, D("21000"), start=12)], datetime.date(2030, 1, 1))
    assert last.projection[-1].emi > E0 and last.projection[-1].balance == 0


def test_errors_keep_split_payment_semantics() -> None:
    with pytest.raises(PaymentTooSmall) as small:
        replay(terms(), [Payment("p", FIRST_DUE, D("21249.99"))])
    assert small.value.interest == D("21250.00")
    with pytest.raises(Overpayment) as over:
        replay(terms(), [Payment("p", FIRST_DUE, P + D("21250.01"))])
    assert (over.value.remaining, over.value.clears) == (P, P + D("21250.00"))
    with pytest.raises(Overpayment) as over:
        replay(terms(), [Payment("p", FIRST_DUE, P + C, "prepayment")])
    assert over.value.clears == P
    closed = replay(terms(), [Payment("p", FIRST_DUE, P + D("21250.00"))])
    assert (closed.balance, closed.remaining_tenure, closed.final_due) == (0, 0, None)
    with pytest.raises(Overpayment) as over:  # nothing left to pay
        replay(terms(), [Payment("p", FIRST_DUE, P + D("21250.00")), *emis(1, start=1)])
    assert over.value.clears == 0


def test_bad_events() -> None:
    with pytest.raises(ValueError):
        ordered([Payment("x", FIRST_DUE, E0), Payment("x", FIRST_DUE, E0)])
    with pytest.raises(ValueError):
        replay(terms(), [Payment("x", FIRST_DUE, D("-1"))])
    with pytest.raises(ValueError):
        replay(terms(), [Payment("x", FIRST_DUE, E0, "bonus")])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        replay(terms(), [RateChange("r", FIRST_DUE, D("9"), "wait")])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        replay(terms(tenure_months=0), [])
    with pytest.raises(TypeError):
        replay(terms(), ["not an event"])  # type: ignore[list-item]


# --- schedules and statements ---------------------------------------------------------


def _reset_and_two_new_emis() -> list[Event]:
    new_emi = formula_emi(B24, "9.25", 216)
    return [
        *emis(24),
        RateChange("r1", RESET, D("9.25"), "increase_emi"),
        *emis(2, new_emi, start=24),
    ]


def test_schedule_before_and_after_the_reset() -> None:
    events = _reset_and_two_new_emis()
    before = schedule(terms(), events, RESET - DAY)  # ignores the reset and later EMIs
    assert (before.state.annual_rate, before.state.emi) == (D("8.5"), E0)
    assert len(before.history) == 24 and before.paid.months == 24
    assert before.paid.principal == P - B24 and before.paid.total == 24 * E0
    assert before.projected.months == 216 and before.projected.principal == B24
    assert before.projection[0].month == 25 and before.projection[0].due_date == RESET + 4 * DAY
    assert before.projection[-1].emi == D("26032.77")  # the original plan's 240th instalment
    assert before.projected.total == 215 * E0 + D("26032.77")

    after = schedule(terms(), events, datetime.date(2026, 6, 30))
    new_emi = formula_emi(B24, "9.25", 216)
    assert [row.kind for row in after.history[-3:]] == ["rate_change", "emi", "emi"]
    assert after.history[-3].emi == new_emi and after.history[-3].remaining_tenure == 216
    assert after.paid.months == 26 and after.projected.months == 214
    assert after.paid.principal + after.projected.principal == P
    assert after.projection[-1].balance == 0
    assert all(row.emi == new_emi for row in after.projection[:-1])


def test_quarterly_statement() -> None:
    # Q1 of FY 2026-27: the 24th EMI at 8.5 %, the reset, the 25th and 26th at 9.25 %.
    events = _reset_and_two_new_emis()
    st_ = statement(
        terms(), events, datetime.date(2026, 4, 1), datetime.date(2026, 6, 30), RESET + 70 * DAY
    )
    new_emi = formula_emi(B24, "9.25", 216)
    i24 = interest(B23, "8.5")  # 20406.64
    i25 = interest(B24, "9.25")  # 22163.84
    b25 = B24 - (new_emi - i25)
    i26 = interest(b25, "9.25")  # 22123.66
    b26 = b25 - (new_emi - i26)  # 2864843.43
    assert (i24, i25, i26, b26) == (D("20406.64"), D("22163.84"), D("22123.66"), D("2864843.43"))
    assert st_.outstanding_at_start == B23 and st_.outstanding_at_end == b26
    assert st_.interest_in_period == i24 + i25 + i26 == D("64694.14")
    assert st_.principal_in_period == B23 - b26 == D("16093.28")
    assert st_.paid_in_period == E0 + 2 * new_emi and st_.prepaid_in_period == 0
    assert st_.emis_paid_in_period == 3 and st_.emis_paid_to_date == 26
    assert st_.principal_to_date == P - b26
    assert st_.interest_to_date == 24 * E0 + 2 * new_emi - (P - b26)
    assert (st_.emis_left, st_.annual_rate, st_.emi) == (214, D("9.25"), new_emi)
    assert st_.next_due == datetime.date(2026, 7, 5)
    assert st_.final_due == datetime.date(2044, 4, 5)
    assert [e.kind for e in st_.events] == ["emi", "rate_change", "emi", "emi"]
    # As known mid-quarter, only what had happened by then.
    mid = statement(terms(), events, datetime.date(2026, 4, 1), datetime.date(2026, 6, 30), RESET)
    assert mid.emis_paid_in_period == 1 and mid.annual_rate == D("9.25") and mid.emis_left == 216
    with pytest.raises(ValueError):
        statement(terms(), events, datetime.date(2026, 7, 1), datetime.date(2026, 6, 30), RESET)


def test_projection_refuses_an_emi_below_interest() -> None:
    low = terms(emi=D("20000.00"))  # below the first month's 21250.00
    state = replay(low, [])
    with pytest.raises(NeverPaysOff):
        projection(low, state)


def test_insertion_order_never_matters() -> None:
    events = [
        *_reset_and_two_new_emis(),
        Payment("pre", datetime.date(2026, 6, 5), D("50000"), "prepayment", "reduce_emi"),
    ]
    expected = replay(terms(), events)
    shuffled = events[:]
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert replay(terms(), shuffled) == expected


# --- properties -------------------------------------------------------------------------

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
START = datetime.date(2024, 1, 31)


def rupees(lo: int, hi: int) -> st.SearchStrategy[Decimal]:
    return st.integers(lo * 100, hi * 100).map(lambda c: D(c).scaleb(-2))


@st.composite
def loans(draw: st.DrawFn) -> tuple[LoanTerms, list[Event]]:
    """A loan and a chronological history of valid events, ids in replay order."""
    principal = draw(rupees(10_000, 10_000_000))
    rate = D(draw(st.integers(100, 2000))).scaleb(-2)
    tenure = draw(st.integers(6, 240))
    loan = LoanTerms(principal, rate, tenure, formula_emi(principal, rate, tenure), START)
    events: list[Event] = []
    day, last_kind = START - DAY, -1
    order = {"rate_change": 0, "emi": 1, "prepayment": 1}
    for n in range(draw(st.integers(0, 14))):
        state = replay(loan, events)
        if state.balance == 0:
            break
        kind = draw(st.sampled_from(["emi", "emi", "emi", "irregular", "prepayment", "rate"]))
        base = "emi" if kind == "irregular" else "rate_change" if kind == "rate" else kind
        least = 0 if order[base] >= last_kind else 1  # same day only in replay order
        gap = draw(st.one_of(st.just(least), st.integers(least, 45)))
        day, last_kind = day + gap * DAY, order[base]
        ident = f"e{n:02d}"
        due = interest(state.balance, state.annual_rate) + state.balance
        if kind == "emi":
            amount = state.emi if state.remaining_tenure > 1 else due
            events.append(Payment(ident, day, amount))
        elif kind == "irregular":
            low = interest(state.balance, state.annual_rate) + C
            cents = draw(st.integers(int(low * 100), int(due * 100)))
            events.append(Payment(ident, day, D(cents).scaleb(-2)))
        elif kind == "prepayment":
            cents = draw(st.integers(1, int(state.balance * 100)))
            effect = draw(st.sampled_from(["reduce_tenure", "reduce_emi"]))
            events.append(Payment(ident, day, D(cents).scaleb(-2), "prepayment", effect))
        else:
            new_rate = D(draw(st.integers(100, 2000))).scaleb(-2)
            treatment = draw(st.sampled_from(["increase_emi", "extend_tenure"]))
            change = RateChange(ident, day, new_rate, treatment)
            try:
                replay(loan, [*events, change])
            except TenureExtensionRefused as refused:
                assert refused.minimum_emi > refused.interest
                change = RateChange(ident, day, new_rate, "increase_emi")
            events.append(change)
    return loan, events


def _check_state(loan: LoanTerms, state: LoanState) -> None:
    assert sum((s.principal for s in state.splits), D(0)) + state.balance == loan.principal
    assert state.total_paid == state.total_interest + state.total_principal
    assert (state.remaining_tenure == 0) == (state.balance == 0)
    assert state.next_due == add_months(loan.first_due, state.instalments_paid)


@PROPS
@given(case=loans(), data=st.data())
def test_replay_properties(case: tuple[LoanTerms, list[Event]], data: st.DataObject) -> None:
    loan, events = case
    state = replay(loan, events)
    _check_state(loan, state)
    as_of = events[-1].date if events else START
    plan = schedule(loan, events, as_of)
    # every schedule ends at exactly 0.00 and matches the state's tenure
    assert plan.projected.months == state.remaining_tenure == len(plan.projection)
    if plan.projection:
        assert plan.projection[-1].balance == 0
        assert all(row.principal > 0 for row in plan.projection)
        assert all(row.emi == state.emi for row in plan.projection[:-1])
    assert plan.paid.principal + plan.projected.principal == loan.principal
    # insertion order never matters
    shuffled = data.draw(st.permutations(events))
    assert replay(loan, shuffled) == state
    assert schedule(loan, shuffled, as_of) == plan
    # removing the last event gives the state before it
    if events:
        before = replay(loan, events[:-1])
        assert before.rows == state.rows[:-1]
        if len(state.rows) > 1:
            prev = state.rows[-2]
            assert (before.balance, before.emi, before.remaining_tenure, before.annual_rate) == (
                prev.remaining_after,
                prev.emi,
                prev.remaining_tenure,
                prev.annual_rate,
            )
        if len(events) == 1 or events[-2].date < events[-1].date:
            assert before == replay(loan, events, events[-1].date - DAY)


@PROPS
@given(case=loans(), data=st.data())
def test_resuming_from_a_state_equals_replaying_everything(
    case: tuple[LoanTerms, list[Event]], data: st.DataObject
) -> None:
    """Recording the latest event continues from the stored state instead of replaying the
    history; the result must be the replay's, figure for figure."""
    loan, events = case
    cut = data.draw(st.integers(0, len(events)))
    history = sorted(events, key=event_key)
    whole = replay(loan, history)
    later = resume(loan, replay(loan, history[:cut]), history[cut:])
    assert later.rows == whole.rows[cut:]
    assert dataclasses.replace(later, rows=whole.rows) == whole


@PROPS
@given(case=loans(), cut=st.integers(0, 400), length=st.integers(0, 200))
def test_statement_properties(case: tuple[LoanTerms, list[Event]], cut: int, length: int) -> None:
    loan, events = case
    start = START + cut * DAY
    end = start + length * DAY
    st_ = statement(loan, events, start, end, end)
    assert st_.outstanding_at_start - st_.principal_in_period == st_.outstanding_at_end
    assert st_.paid_to_date == st_.principal_to_date + st_.interest_to_date
    assert st_.principal_to_date + st_.outstanding_at_end == loan.principal
    assert st_.emis_left == replay(loan, events, end).remaining_tenure
    assert all(start <= e.date <= end for e in st_.events)


@PROPS
@given(balance=rupees(1, 5_000_000), rate=st.integers(0, 3600), within=st.integers(1, 120))
def test_minimum_emi_is_the_smallest_that_repays(balance: Decimal, rate: int, within: int) -> None:
    annual = str(D(rate).scaleb(-2))
    least = minimum_emi(balance, D(annual), within)
    assert repay(balance, annual, least, within)[0]  # repays within the limit
    assert not repay(balance, annual, least - C, within)[0]  # a paisa less does not
    assert least > interest(balance, annual)
