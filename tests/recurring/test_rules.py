"""The pure rules: the payee key and the pattern that finds its titles in the database, and
the schedule's edge cases (short months, this period's date, ended)."""

import re
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from recurring.rules import advance, is_ended, payee_key, period_date, title_pattern

TITLES = ["NETFLIX.COM 8839", "Netflix.com", "netflix com", "Netflix", "NETFLIX-COM/IN", "Rent"]


def test_the_pattern_finds_exactly_the_titles_of_its_payees():
    pattern = re.compile(title_pattern({"netflix com"}), re.IGNORECASE)
    # "Netflix" alone and "NETFLIX-COM/IN" (another word) are other payees.
    assert [t for t in TITLES if pattern.match(t)] == TITLES[:3]


@given(st.text(max_size=30), st.text(alphabet="abcXYZ .-12", min_size=1, max_size=12))
def test_pattern_and_key_agree(title, other):
    payees = {key for key in (payee_key(title), payee_key(other)) if key}
    if not payees:
        return
    found = re.match(title_pattern(payees), title, re.IGNORECASE) is not None
    assert found == (payee_key(title) in payees)


def test_a_monthly_schedule_keeps_its_day_through_short_months():
    # The 31st: February's last day, then the 31st again.
    assert advance(date(2026, 1, 31), "monthly", 31) == date(2026, 2, 28)
    assert advance(date(2026, 1, 31), "monthly", 31, 2) == date(2026, 3, 31)
    assert advance(date(2026, 1, 7), "quarterly", 7) == date(2026, 4, 7)
    assert advance(date(2026, 1, 7), "weekly", 7, 3) == date(2026, 1, 28)


def test_this_periods_date_is_the_nearest_scheduled_one():
    assert period_date(date(2026, 6, 10), "monthly", 12) == date(2026, 6, 12)  # paid early
    assert period_date(date(2026, 7, 1), "monthly", 30) == date(2026, 6, 30)  # paid late
    # Ended: two intervals past its date (a monthly due 1 June: after 1 August).
    assert not is_ended(date(2026, 6, 1), "monthly", 1, date(2026, 8, 1))
    assert is_ended(date(2026, 6, 1), "monthly", 1, date(2026, 8, 2))
