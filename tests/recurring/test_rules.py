"""The pure rules: the payee key every entry stores, and the schedule's edge cases (short
months, this period's date, ended)."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from recurring.rules import advance, is_ended, payee_key, period_date

TITLES = ["NETFLIX.COM 8839", "Netflix.com", "netflix com", "Netflix", "NETFLIX-COM/IN", "Rent"]


def test_titles_that_differ_by_digits_and_signs_are_one_payee():
    keys = [payee_key(title) for title in TITLES]
    # "Netflix" alone and "NETFLIX-COM/IN" (another word) are other payees.
    assert keys == ["netflix com"] * 3 + ["netflix", "netflix com in", "rent"]


def test_a_upi_address_names_the_payee_before_the_title():
    # A merchant's handle is the merchant, as a hand-typed title of it is.
    assert payee_key("UPI payment", "swiggy8@ybl") == payee_key("Swiggy") == "swiggy"
    # A person's address (a landlord's phone number) is the payee whatever the note says.
    assert payee_key("Rent", "9876543210@YBL") == payee_key("June", "9876543210@ybl")
    assert payee_key("Rent", "9876543210@ybl") == "9876543210@ybl"
    assert payee_key("Rent", "  ") == payee_key("Rent", None) == "rent"


@given(st.text(max_size=30))
def test_a_key_is_its_own_key(title):
    # Stored keys are read back with the key of a title: cleaning twice changes nothing.
    assert payee_key(payee_key(title)) == payee_key(title)


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
