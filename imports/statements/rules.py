"""Suggesting what a statement row is: user rules first, then shipped defaults.

Matching is deliberately simple so users can predict it: every text field is a plain,
case-insensitive "contains" (never a regular expression, so ``.*`` only matches a literal
".*"); every field given must match; a rule without match fields matches every row.
Rules are tried in ascending ``order`` (ties keep list order) and the first match wins.
Default rules use orders from ``DEFAULT_ORDER_START`` up, so user rules (orders below
that, which the API enforces) always come first even if the two lists are merged.

The shipped rules are the table in `shipped.py` (which needles, in which order, and why).
Decisions on defaults:

* ATM and other cash withdrawals (``NWD-``, ``ATW-``, ``EAW-``, "ATM WDL", "CASH WDL")
  are an *expense* in the category "cash", tagged "cash" and "atm": the app has no cash
  wallet and cash drawn is nearly always spent, but on what the bank cannot say. Left in
  "other" they would hide among the rows nobody has categorised; as "cash" a budget can
  cover them and a month shows how much of it went out as cash. A user who tracks cash
  separately adds a rule with kind "skip".
* Credit-card bill payments are *payment*, not expense, so card spends are not counted
  twice.
* A loan EMI (the word EMI, or an ACH/NACH debit to a known lender) is an expense in "emi"
  until it matches a debt the user recorded; then the import makes it a payment of that
  debt (EMI matching runs after the rules).
* Rent: a debit whose narration has the word RENT (a NEFT/IMPS/UPI note such as "RENT
  JAN") or LANDLORD; its title is the payee, the landlord.
* Quick commerce (Swiggy Instamart, Blinkit, Zepto, BB Now, Flipkart Minutes, JioMart,
  DMart Ready) is "groceries"; Swiggy and Zomato are "food": Instamart is matched first.
* Mobile, broadband and DTH bills (Airtel, Jio, Vi, ACT) are "utilities", as are power,
  water and gas boards; streaming services are "subscriptions".
* Short names that occur inside other words are either longer needles (Ola by
  "OLACABS"/"ANI TECHNOLOGIES", not "OLA", which is in "MOTOROLA"; LIC by "LIC OF INDIA",
  not "LIC", which is in "PUBLIC"; Jio by "RELIANCE JIO"; Vi by "VODAFONE"/"VI PREPAID",
  "VI" being a Roman numeral in addresses) or whole words (`Word` in the table: "IOCL" is
  in "BIOCLEAN", "RENT" in "TORRENT", "HOSPITAL" in "HOSPITALITY", "TEA" in "STEAK").
  A whole-word needle is the ``word`` field of a match: the same plain text, found only
  between characters that are not letters or digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import Any

from ledger.categories import SUGGESTED_CATEGORIES, IncomeType

from .model import Narration, StatementRow
from .narration import title_for
from .shipped import SHIPPED, Word

KINDS = ("expense", "income", "payment", "skip")
CATEGORIES = SUGGESTED_CATEGORIES  # the shipped rules set only these
INCOME_TYPES = tuple(t.value for t in IncomeType)
DEFAULT_ORDER_START = 100_000


_TEXTS = {"payee": 0, "vpa": 1, "narration": 2, "word": 2}  # where `_texts` holds each
_NOT_IN_A_WORD = r"[^\W_]"  # a letter or digit: what may not touch a whole word


@dataclass(frozen=True)
class RuleMatch:
    payee: str | None = None
    vpa: str | None = None
    narration: str | None = None
    direction: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    word: str | None = None  # in the narration, as a whole word (the shipped rules' only)
    # (index into `_texts`, folded needle, whole-word pattern): folded once, since every
    # row of a statement (up to 50,000) is tried against every rule.
    _tests: tuple[tuple[int, str, re.Pattern[str] | None], ...] = field(
        init=False, repr=False, compare=False, default=()
    )

    def __post_init__(self) -> None:
        if self.direction not in (None, "debit", "credit"):
            raise ValueError(f"direction must be 'debit' or 'credit', not {self.direction!r}")
        tests = []
        for name, at in _TEXTS.items():
            text = getattr(self, name)
            if text is None:
                continue
            needle = text.casefold()
            pattern = None
            if name == "word":
                bounded = rf"(?<!{_NOT_IN_A_WORD}){re.escape(needle)}(?!{_NOT_IN_A_WORD})"
                pattern = re.compile(bounded)
            tests.append((at, needle, pattern))
        object.__setattr__(self, "_tests", tuple(tests))


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


def _texts(row: StatementRow, narration: Narration) -> tuple[str | None, ...]:
    """What a rule's text fields are matched against, case-folded: payee, VPA, narration."""
    return tuple(
        None if text is None else text.casefold()
        for text in (narration.payee, narration.vpa, row.narration)
    )


def _matches(m: RuleMatch, row: StatementRow, texts: tuple[str | None, ...]) -> bool:
    if m.direction is not None and row.direction != m.direction:
        return False
    for at, needle, pattern in m._tests:
        text = texts[at]
        if text is None or needle not in text:
            return False
        if pattern is not None and pattern.search(text) is None:
            return False
    if m.min_amount is not None and row.amount < m.min_amount:
        return False
    return not (m.max_amount is not None and row.amount > m.max_amount)


def rule_matches(rule: Rule, row: StatementRow, narration: Narration) -> bool:
    return _matches(rule.match, row, _texts(row, narration))


_ORDER = attrgetter("order")


class _Plan:
    """Rules tried in order, indexed by the first three characters of the narration needle
    each must find: a row is checked only against the rules whose three characters occur
    in its narration (and those without such a needle). The same first match as trying
    every rule, several times faster with the ~400 shipped ones."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = sorted(rules, key=_ORDER)
        self.always: list[int] = []
        self.by_start: dict[str, list[int]] = {}
        for at, rule in enumerate(self.rules):
            needles = [needle for where, needle, _ in rule.match._tests if where == 2]
            anchor = max(needles, key=len, default="")
            if len(anchor) < 3:
                self.always.append(at)
            else:
                self.by_start.setdefault(anchor[:3], []).append(at)

    def first(self, row: StatementRow, texts: tuple[str | None, ...]) -> Rule | None:
        text, get = texts[2] or "", self.by_start.get
        found = [get(text[at : at + 3]) for at in range(len(text) - 2)]
        tried = {at for hit in found if hit for at in hit}.union(self.always)
        for at in sorted(tried):
            if _matches(self.rules[at].match, row, texts):
                return self.rules[at]
        return None


def _first(rules: list[Rule], row: StatementRow, texts: tuple[str | None, ...]) -> Rule | None:
    """The first rule in order that matches. A list that ends with the shipped rules, after
    rules ordered before them (as the import passes the user's), tries the shipped ones
    through their index."""
    shipped = len(DEFAULT_RULES)
    head = rules[: max(len(rules) - shipped, 0)]
    if rules[len(head) :] == DEFAULT_RULES and all(r.order < DEFAULT_ORDER_START for r in head):
        rules, plan = head, _SHIPPED_PLAN
    else:
        plan = None
    for rule in sorted(rules, key=_ORDER):
        if _matches(rule.match, row, texts):
            return rule
    return plan.first(row, texts) if plan is not None else None


def apply_rules(rules: list[Rule], row: StatementRow, narration: Narration) -> Suggestion:
    """The first matching rule's suggestion, filled in with defaults; without a match a
    debit is an expense in "other" and a credit income of type "other"."""
    found = _first(rules, row, _texts(row, narration))
    if found is not None:
        return _suggest(found.set, row, narration, found.name)
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


def _defaults() -> list[Rule]:
    """`shipped.SHIPPED` as rules: one per needle, in the table's order."""
    rules = []
    for name, needles, direction, outcome in SHIPPED:
        decided = RuleSet(*outcome)
        for needle in needles:
            where = {"word": str(needle)} if isinstance(needle, Word) else {"narration": needle}
            rules.append(
                Rule(
                    f"{name} ({needle})",
                    RuleMatch(direction=direction, **where),
                    decided,
                    DEFAULT_ORDER_START + len(rules),
                )
            )
    return rules


DEFAULT_RULES: list[Rule] = _defaults()
_SHIPPED_PLAN = _Plan(DEFAULT_RULES)
