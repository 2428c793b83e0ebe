"""The card rules without the database: cycles follow one another with no gap whatever the
statement day (short months close on their last day, a changed day takes over after the cycle
in progress), interest is rounded once, late fees follow their slabs."""

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from cards.rules import Balance, Terms, cycles, gst, interest, late_fee, minimum_due

SLABS = ((Decimal(10000), Decimal(750)), (None, Decimal(1300)))
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@given(st.integers(1, 31), days, st.integers(0, 800))
def test_cycles_follow_one_another_and_close_on_the_day_or_the_months_last(day, first, span):
    found = cycles(Terms(statement_day=day), first, first + timedelta(days=span))
    assert found[0][0] == first and found[-1][1] >= first + timedelta(days=span)
    for (_, end), (start, _) in pairwise(found):
        assert start == end + timedelta(days=1)
    for _, end in found:
        next_month_first = (end.replace(day=1) + timedelta(days=32)).replace(day=1)
        month_last = (next_month_first - timedelta(days=1)).day
        assert end.day == min(day, month_last)


@given(st.integers(1, 31), st.integers(1, 31), days)
def test_a_changed_day_ends_the_cycle_in_progress_on_the_old_day(old, new, changed_on):
    terms = Terms(statement_day=new, previous_day=old, changed_on=changed_on)
    found = cycles(terms, changed_on, changed_on + timedelta(days=100))
    # The first cycle (holding the day of the change) closes on the old day; the next on
    # the new day.
    assert found[0][1] == cycles(Terms(statement_day=old), changed_on, changed_on)[0][1]
    second_end = found[1][1]
    assert second_end == cycles(Terms(statement_day=new), found[1][0], found[1][0])[0][1]


def test_interest_is_rounded_once_not_each_day():
    # ₹10 for 30 days at 3.75 % a month: 10 x 0.45 / 365 = 0.012328... a day, x 30 =
    # 0.3698... -> 0.37. Rounded each day (0.01) it would be 0.30.
    found = interest(
        (date(2025, 1, 1), date(2025, 1, 30)),
        Balance(),
        {date(2025, 1, 1): Decimal(10)},
        {},
        Decimal("3.75"),
    )
    assert found == Decimal("0.37")


def test_late_fee_slabs_gst_and_the_minimum_due():
    assert late_fee(SLABS, Decimal("0.00")) == 0
    assert late_fee(SLABS, Decimal(10000)) == 750  # up to and including the slab's bound
    assert late_fee(SLABS, Decimal("10000.01")) == 1300
    assert gst(Decimal("817.40"), Decimal(750)) == Decimal("282.13")  # 18 % of 1,567.40
    assert minimum_due(Decimal(50), Decimal(0)) == 50  # never above the total
    assert minimum_due(Decimal(1000), Decimal(0)) == 100  # 5 % is 50: the ₹100 floor
    assert minimum_due(Decimal(20000), Decimal(200)) == Decimal(1190)  # 200 + 5 % of 19,800
