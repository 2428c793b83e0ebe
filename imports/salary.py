"""Salary told by recurrence: a credit from one payer about a month apart is pay, even when
its narration does not say SALARY (a preview's rows, `imports.rules.preview_rows`)."""

from bisect import bisect_left, bisect_right
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from loans.rules import add_months

Doc = dict[str, Any]
# A monthly credit from one payer is salary (`monthly_credits`): its day may move by a
# weekend and a holiday, its amount by leave without pay, arrears or a raise.
SALARY_DAYS = 3
SALARY_SPREAD = Decimal("0.20")
SALARY_RAILS = frozenset({"neft", "rtgs", "imps", "salary"})
MAX_MONTHLY_CREDITS = 3
MONTHLY_SALARY = "Salary (a monthly credit from the same payer)"


def with_monthly_salaries(rows: list[Doc], channels: list[str]) -> list[Doc]:
    """The rows, a monthly credit (`monthly_credits`) that no rule has decided made salary
    (a rule of the user's, or a shipped one such as interest, keeps its say)."""
    for at in monthly_credits(rows, channels):
        row = rows[at]
        if (row["kind"], row["income_type"], row["rule"]) == ("income", "other", None):
            row |= {"income_type": "salary", "rule": MONTHLY_SALARY}
    return rows


def monthly_credits(rows: list[Doc], channels: list[str]) -> set[int]:
    """The positions of the credits that come from one payer about a month apart: a
    credit by NEFT, RTGS or IMPS whose payer (VPA, else name) credits again within
    `SALARY_DAYS` of the same day next month, an amount within `SALARY_SPREAD` of it.
    Such a credit is pay even when the narration does not say SALARY.

    UPI credits are left out: a tenant's rent, a parent's allowance and a flatmate's share
    recur from one VPA each month as well, while employers pay by bank transfer. A payer
    crediting more than `MAX_MONTHLY_CREDITS` times a month on average (a payment
    gateway's settlements, a client's invoices) is not an employer. Rows of every status
    count (a duplicate of last month's pay is evidence); unreadable ones do not."""
    by_payer: dict[str, list[int]] = defaultdict(list)
    for at, (row, channel) in enumerate(zip(rows, channels, strict=True)):
        payer = row["vpa"] or row["payee"]
        if row["direction"] == "credit" and channel in SALARY_RAILS and payer and not row["error"]:
            by_payer[" ".join(payer.casefold().split())].append(at)
    window = timedelta(days=SALARY_DAYS)
    found: set[int] = set()
    for ats in by_payer.values():
        ats.sort(key=lambda at: rows[at]["date"])
        days = [rows[at]["date"] for at in ats]
        if len(ats) > MAX_MONTHLY_CREDITS * len({(day.year, day.month) for day in days}):
            continue
        for at, day in zip(ats, days, strict=True):
            due = add_months(day, 1)
            later = ats[bisect_left(days, due - window) : bisect_right(days, due + window)]
            partner = next((b for b in later if _similar(rows[at], rows[b])), None)
            if partner is not None:
                found |= {at, partner}
    return found


def _similar(a: Doc, b: Doc) -> bool:
    low, high = sorted((a["amount"], b["amount"]))
    return low >= high * (1 - SALARY_SPREAD)
