"""Suggesting what a statement row is: user rules first, then shipped defaults.

Matching is deliberately simple so users can predict it: every text field is a plain,
case-insensitive "contains" (never a regular expression, so ``.*`` only matches a literal
".*"); every field given must match; a rule without match fields matches every row.
Rules are tried in ascending ``order`` (ties keep list order) and the first match wins.
Default rules use orders from ``DEFAULT_ORDER_START`` up, so user rules (orders below
that, which the API enforces) always come first even if the two lists are merged.

Decisions on defaults:

* ATM and other cash withdrawals are suggested as an *expense* in category "other" with
  the tags "cash" and "atm": the app has no cash wallet, and cash drawn is nearly always
  spent; a user who tracks cash separately adds a rule with kind "skip".
* Credit-card bill payments are *payment*, not expense, so card spends are not counted
  twice.
* Mobile and broadband bills (Airtel, Jio, Vi) are "utilities"; streaming services are
  "subscriptions".
* Short brand names that occur inside other words are matched by longer needles:
  Ola by "OLACABS"/"OLA CABS"/"ANI TECHNOLOGIES" (not "OLA", which is in "MOTOROLA"),
  LIC by "LIC OF INDIA"/"LIFE INSURANCE CORP"/"LICPREMIUM", Jio by "RELIANCE JIO"/"JIO
  PREPAID"/"JIO POSTPAID"/"JIOFIBER", Vi by "VODAFONE"/"VODAIDEA"/"VI POSTPAID".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledger.categories import SUGGESTED_CATEGORIES, IncomeType

from .model import Narration, StatementRow
from .narration import title_for

KINDS = ("expense", "income", "payment", "skip")
CATEGORIES = SUGGESTED_CATEGORIES  # the shipped rules set only these
INCOME_TYPES = tuple(t.value for t in IncomeType)
DEFAULT_ORDER_START = 100_000


@dataclass(frozen=True)
class RuleMatch:
    payee: str | None = None
    vpa: str | None = None
    narration: str | None = None
    direction: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None

    def __post_init__(self) -> None:
        if self.direction not in (None, "debit", "credit"):
            raise ValueError(f"direction must be 'debit' or 'credit', not {self.direction!r}")


@dataclass(frozen=True)
class RuleSet:
    kind: str | None = None
    title: str | None = None
    category: str | None = None
    income_type: str | None = None
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if self.category is not None and self.category not in CATEGORIES:
            raise ValueError(f"category must be one of {CATEGORIES}, not {self.category!r}")
        if self.income_type is not None and self.income_type not in INCOME_TYPES:
            raise ValueError(f"income_type must be one of {INCOME_TYPES}")


@dataclass(frozen=True)
class Rule:
    name: str
    match: RuleMatch
    set: RuleSet
    order: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        """From the stored shape ``{name, match: {...}, set: {...}, order}``."""
        match = dict(data.get("match") or {})
        for bound in ("min_amount", "max_amount"):
            if match.get(bound) is not None:
                match[bound] = Decimal(str(match[bound]))
        outcome = dict(data.get("set") or {})
        outcome["tags"] = tuple(outcome.get("tags") or ())
        return cls(data["name"], RuleMatch(**match), RuleSet(**outcome), int(data.get("order", 0)))


@dataclass(frozen=True)
class Suggestion:
    kind: str
    title: str
    category: str | None
    income_type: str | None
    tags: tuple[str, ...] = field(default_factory=tuple)
    rule_name: str | None = None


def _contains(haystack: str | None, needle: str) -> bool:
    return haystack is not None and needle.casefold() in haystack.casefold()


def rule_matches(rule: Rule, row: StatementRow, narration: Narration) -> bool:
    m = rule.match
    if m.payee is not None and not _contains(narration.payee, m.payee):
        return False
    if m.vpa is not None and not _contains(narration.vpa, m.vpa):
        return False
    if m.narration is not None and not _contains(row.narration, m.narration):
        return False
    if m.direction is not None and row.direction != m.direction:
        return False
    if m.min_amount is not None and row.amount < m.min_amount:
        return False
    return not (m.max_amount is not None and row.amount > m.max_amount)


def apply_rules(rules: list[Rule], row: StatementRow, narration: Narration) -> Suggestion:
    """The first matching rule's suggestion, filled in with defaults; without a match a
    debit is an expense in "other" and a credit income of type "other"."""
    for rule in sorted(rules, key=lambda r: r.order):
        if rule_matches(rule, row, narration):
            return _suggest(rule.set, row, narration, rule.name)
    return _suggest(RuleSet(), row, narration, None)


def _suggest(outcome: RuleSet, row: StatementRow, narration: Narration, name: str | None):
    kind = outcome.kind or ("expense" if row.direction == "debit" else "income")
    category = outcome.category
    income_type = outcome.income_type
    if kind == "expense" and category is None:
        category = "other"
    if kind == "income" and income_type is None:
        income_type = "other"
    return Suggestion(
        kind=kind,
        title=outcome.title or title_for(narration),
        category=category if kind in ("expense", "payment") else None,
        income_type=income_type if kind == "income" else None,
        tags=tuple(outcome.tags),
        rule_name=name,
    )


# The shipped rules: (name, narration needles, direction, what a match suggests); each needle
# becomes one rule, in this order.
_SHIPPED: tuple[tuple[str, tuple[str, ...], str | None, RuleSet], ...] = (
    ("Swiggy", ("SWIGGY",), "debit", RuleSet("expense", "Swiggy", "food")),
    ("Zomato", ("ZOMATO",), "debit", RuleSet("expense", "Zomato", "food")),
    ("Uber", ("UBER",), "debit", RuleSet("expense", "Uber", "transport")),
    ("Ola", ("OLACABS", "OLA CABS", "ANI TECHNOLOGIES"), "debit",
     RuleSet("expense", "Ola", "transport")),
    ("Rapido", ("RAPIDO", "ROPPEN TRANSPORTATION"), "debit",
     RuleSet("expense", "Rapido", "transport")),
    ("IRCTC", ("IRCTC",), "debit", RuleSet("expense", "IRCTC", "travel")),
    ("BigBasket", ("BIGBASKET", "BIG BASKET", "SUPERMARKET GROCERY SUPPLIES"), "debit",
     RuleSet("expense", "BigBasket", "groceries")),
    ("Blinkit", ("BLINKIT", "GROFERS"), "debit", RuleSet("expense", "Blinkit", "groceries")),
    ("Zepto", ("ZEPTO", "KIRANAKART"), "debit", RuleSet("expense", "Zepto", "groceries")),
    ("DMart", ("DMART", "AVENUE SUPERMARTS"), "debit",
     RuleSet("expense", "DMart", "groceries")),
    ("Netflix", ("NETFLIX",), "debit", RuleSet("expense", "Netflix", "subscriptions")),
    ("Spotify", ("SPOTIFY",), "debit", RuleSet("expense", "Spotify", "subscriptions")),
    ("Hotstar", ("HOTSTAR", "NOVI DIGITAL"), "debit",
     RuleSet("expense", "Disney+ Hotstar", "subscriptions")),
    ("Amazon", ("AMAZON",), "debit", RuleSet("expense", "Amazon", "shopping")),
    ("Flipkart", ("FLIPKART",), "debit", RuleSet("expense", "Flipkart", "shopping")),
    ("Myntra", ("MYNTRA",), "debit", RuleSet("expense", "Myntra", "shopping")),
    ("BESCOM", ("BESCOM",), "debit", RuleSet("expense", "BESCOM electricity", "utilities")),
    ("MSEDCL", ("MSEDCL", "MAHADISCOM"), "debit",
     RuleSet("expense", "MSEDCL electricity", "utilities")),
    ("TNEB", ("TNEB", "TANGEDCO"), "debit",
     RuleSet("expense", "TNEB electricity", "utilities")),
    ("BSES", ("BSES",), "debit", RuleSet("expense", "BSES electricity", "utilities")),
    ("Adani Electricity", ("ADANI ELECTRICITY",), "debit",
     RuleSet("expense", "Adani Electricity", "utilities")),
    ("Tata Power", ("TATA POWER",), "debit", RuleSet("expense", "Tata Power", "utilities")),
    ("Airtel", ("AIRTEL",), "debit", RuleSet("expense", "Airtel", "utilities")),
    ("Jio", ("RELIANCE JIO", "JIO PREPAID", "JIO POSTPAID", "JIOFIBER"), "debit",
     RuleSet("expense", "Jio", "utilities")),
    ("Vi", ("VODAFONE", "VODAIDEA", "VI POSTPAID"), "debit",
     RuleSet("expense", "Vi", "utilities")),
    ("Fuel", ("HPCL", "BPCL", "IOCL", "INDIAN OIL", "HINDUSTAN PETROLEUM",
              "BHARAT PETROLEUM", "PETROL PUMP", "FUEL"), "debit",
     RuleSet("expense", None, "fuel")),
    ("LIC", ("LIC OF INDIA", "LIFE INSURANCE CORP", "LICPREMIUM", "LIC PREMIUM"), "debit",
     RuleSet("expense", "LIC premium", "insurance")),
    ("Credit card bill", ("CREDIT CARD", "CCBILL", "CC BILL"), "debit",
     RuleSet("payment", "Credit card payment")),
    ("Salary", ("SALARY",), "credit", RuleSet("income", None, None, "salary")),
    ("Interest", ("INT.PD", "INT PD", "INTEREST"), "credit",
     RuleSet("income", "Interest", None, "interest")),
    ("Cash withdrawal", ("ATW-", "NWD-", "EAW-", "ATM WDL", "CASH WDL", "ATM CASH",
                         "CASH WITHDRAWAL"), "debit",
     RuleSet("expense", "Cash withdrawal", "other", None, ("cash", "atm"))),
)  # fmt: skip


def _defaults() -> list[Rule]:
    rules = []
    for name, needles, direction, outcome in _SHIPPED:
        for needle in needles:
            rules.append(
                Rule(
                    f"{name} ({needle})",
                    RuleMatch(narration=needle, direction=direction),
                    outcome,
                    DEFAULT_ORDER_START + len(rules),
                )
            )
    return rules


DEFAULT_RULES: list[Rule] = _defaults()
