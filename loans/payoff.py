"""Payoff plans: several debts paid with one monthly budget (every EMI plus an extra), the
surplus going to one debt at a time, highest rate first (avalanche) or smallest balance
first (snowball). Pure functions only, money in whole paise.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Literal

from loans.rules import (
    MAX_MONTHS,
    PREC,
    ZERO,
    NeverPaysOff,
    add_months,
    check_money,
    check_rate,
    money,
    monthly_rate,
)

Strategy = Literal["avalanche", "snowball"]


@dataclass(frozen=True)
class PlanDebt:
    id: str
    name: str
    balance: Decimal
    annual_rate: Decimal  # percent per year
    emi: Decimal  # minimum monthly payment
    # The debt's next due date, as its schedule shows it (overdue when past): month m of the
    # plan falls on it + m - 1 months. None: a month after the plan's start, like a new loan.
    first_due: datetime.date | None = None

    def due(self, month: int, start: datetime.date) -> datetime.date:
        """The day this debt's `month`-th instalment of the plan falls due."""
        if self.first_due is None:
            return add_months(start, month)
        return add_months(self.first_due, month - 1)


@dataclass(frozen=True)
class DebtPayoff:
    id: str
    name: str
    payoff_month: int  # 1-based, counted from start
    payoff_date: datetime.date  # the debt's own due day of that month (PlanDebt.due)
    interest_paid: Decimal


@dataclass(frozen=True)
class Plan:
    strategy: Strategy
    order: list[str]  # debt ids, highest priority first
    debts: list[DebtPayoff]  # same order as ``order``
    total_interest: Decimal
    months: int
    debt_free_date: datetime.date


def _priority(debts: list[PlanDebt], strategy: Strategy) -> list[PlanDebt]:
    # sorted() is stable, so remaining ties keep the caller's order.
    if strategy == "avalanche":
        return sorted(debts, key=lambda d: (-d.annual_rate, d.balance))
    if strategy == "snowball":
        return sorted(debts, key=lambda d: (d.balance, -d.annual_rate))
    raise ValueError(f"unknown strategy {strategy!r}")


def payoff_plan(
    debts: list[PlanDebt], extra_monthly: Decimal, strategy: Strategy, start: datetime.date
) -> Plan:
    """Simulate paying several debts with a fixed budget (all EMIs + extra_monthly).

    Every open debt gets its EMI (or what clears it); everything left over goes to
    debts in priority order, so freed EMIs roll over to the next target.
    """
    check_money("extra_monthly", extra_monthly)
    if len({d.id for d in debts}) != len(debts):
        raise ValueError("debt ids must be unique")
    for d in debts:
        check_money(f"balance of {d.id}", d.balance, positive=True)
        check_money(f"emi of {d.id}", d.emi)
        check_rate(d.annual_rate)
    ordered = _priority(debts, strategy)
    budget = sum((d.emi for d in debts), ZERO) + extra_monthly
    rate = {d.id: monthly_rate(d.annual_rate) for d in ordered}
    bal = {d.id: d.balance for d in ordered}
    interest = {d.id: ZERO for d in ordered}
    paid_off: dict[str, int] = {}
    month = 0
    with localcontext(prec=PREC):  # balances may grow a lot before we give up
        while len(paid_off) < len(ordered):
            if month >= MAX_MONTHS:
                raise NeverPaysOff(f"debts not paid off within {MAX_MONTHS} months")
            month += 1
            open_debts = [d for d in ordered if d.id not in paid_off]
            for d in open_debts:
                charge = money(bal[d.id] * rate[d.id])
                bal[d.id] += charge
                interest[d.id] += charge
            left = budget
            for d in open_debts:  # minimums first
                pay = min(d.emi, bal[d.id])
                bal[d.id] -= pay
                left -= pay
            for d in open_debts:  # then the surplus, cascading down the priority list
                pay = min(left, bal[d.id])
                bal[d.id] -= pay
                left -= pay
            for d in open_debts:
                if bal[d.id] == 0:
                    paid_off[d.id] = month
    payoffs = [
        DebtPayoff(d.id, d.name, paid_off[d.id], d.due(paid_off[d.id], start), interest[d.id])
        for d in ordered
    ]
    return Plan(
        strategy=strategy,
        order=[d.id for d in ordered],
        debts=payoffs,
        total_interest=sum(interest.values(), ZERO),
        months=month,
        debt_free_date=max((p.payoff_date for p in payoffs), default=start),
    )


def compare_strategies(
    debts: list[PlanDebt], extra_monthly: Decimal, strategy: Strategy, start: datetime.date
) -> tuple[Plan, Plan]:
    """(chosen plan, plan for the other strategy) for side-by-side display."""
    other: Strategy = "snowball" if strategy == "avalanche" else "avalanche"
    return (
        payoff_plan(debts, extra_monthly, strategy, start),
        payoff_plan(debts, extra_monthly, other, start),
    )
