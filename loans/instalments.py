"""Counting instalments: how many EMIs clear a balance when each month's interest is rounded
half-up to the paisa and the last instalment pays what is left, and the smallest EMI that
clears it within a limit. Pure functions only; the loan engine (``loans.events``) uses
them after every event.
"""

from __future__ import annotations

from decimal import Decimal

from core.money import CENT
from loans.rules import check_money, check_rate, emi, money, monthly_rate


def clears_within(balance: Decimal, r: Decimal, payment: Decimal, limit: int) -> int | None:
    """Instalments of ``payment`` that clear ``balance`` (the last one pays what is left),
    or None if more than ``limit`` would be needed."""
    for k in range(1, limit + 1):
        interest = money(balance * r)
        if payment >= balance + interest:
            return k
        if payment <= interest:  # the balance never falls again
            return None
        balance += interest - payment
    return None


def instalments(balance: Decimal, r: Decimal, payment: Decimal, cap: int) -> int:
    """Instalments left when at most ``cap`` remain and the last absorbs what is left."""
    if balance == 0:
        return 0
    return clears_within(balance, r, payment, cap - 1) or cap


def minimum_emi(balance: Decimal, annual_rate: Decimal, within: int) -> Decimal:
    """The smallest EMI, to the paisa, whose schedule (interest rounded half-up each
    month, the last instalment paying what is left) repays ``balance`` at
    ``annual_rate`` within ``within`` instalments.

    It always exceeds the first month's interest, since an EMI at or below the interest
    never repays: this is the bound behind both refusals of ``extend_tenure``.
    """
    check_money("balance", balance, positive=True)
    check_rate(annual_rate)
    if within < 1:
        raise ValueError("within must be >= 1")
    r = monthly_rate(annual_rate)
    floor = int(money(balance * r) * 100)  # paise; never repays at or below this

    def repays(paise: int) -> bool:
        return clears_within(balance, r, Decimal(paise).scaleb(-2), within) is not None

    # The formula is within a few paise of the answer: gallop from it, then bisect with
    # lo never repaying and hi repaying.
    guess = max(int(emi(balance, annual_rate, within) * 100), floor + 1)
    step = 1
    if repays(guess):
        lo, hi = max(guess - step, floor), guess
        while lo > floor and repays(lo):
            hi, step = lo, step * 2
            lo = max(hi - step, floor)
    else:
        lo, hi = guess, guess + step
        while not repays(hi):
            lo, step = hi, step * 2
            hi = lo + step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if repays(mid):
            hi = mid
        else:
            lo = mid
    return Decimal(hi).scaleb(-2)


def reamortize(balance: Decimal, annual_rate: Decimal, tenure: int) -> Decimal:
    # A rounded EMI can fall to the first month's interest on tiny, long, costly loans
    # (see test_finance's test_rounded_emi_can_fail_to_amortize): never let it stop amortising.
    interest = money(balance * monthly_rate(annual_rate))
    return max(emi(balance, annual_rate, tenure), interest + CENT)
