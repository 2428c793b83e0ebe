"""Bank statement import, the rules without I/O: what each row of a parsed statement is
(new, already imported, maybe an entry typed in by hand, unreadable), what it becomes (an
expense, income, a loan payment, or nothing), and the rule a correction suggests.

The parsing itself is the `statements` package; this module decides with what the caller has
read from the database: the fingerprints already committed in the statement's days, the
hand-entered entries near them, the active debts and the user's rules."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from accounts.rules import TransferMatcher, paid_card
from imports.salary import with_monthly_salaries
from imports.statements import (
    CATEGORIES,
    DEFAULT_RULES,
    LoanForMatching,
    Narration,
    Rule,
    RuleMatch,
    RuleSet,
    Statement,
    StatementRow,
    Suggestion,
    apply_rules,
    fingerprints,
    match_emi,
    parse_narration,
)
from imports.statements.cards import is_charge, is_refund
from imports.statements.fingerprint import row_reference
from imports.statements.model import CARD_FORMATS
from ledger.categories import CARD_CHARGES
from loans.rules import add_months

MAX_ROWS = 50_000  # more is refused (413) as soon as row 50,001 is read
DUPLICATE_WINDOW_DAYS = 3  # a hand entry this close in date may be the same transaction
MAX_MATCHES = 5  # hand entries listed per row
MAX_NARRATION = 1000  # characters kept (an entry's description holds at most 1000)
MAX_AMOUNT = Decimal("1000000000000")  # as the API's Money
ROW_STATUSES = ("new", "duplicate", "possible_duplicate", "error")
# How the money moved, as a payment's method (POST /api/payments' `payment_method`).
PAYMENT_METHODS = {
    "upi": "upi",
    "neft": "net_banking",
    "imps": "net_banking",
    "rtgs": "net_banking",
    "ach": "auto_debit",
    "nach": "auto_debit",
    "ecs": "auto_debit",
    "cheque": "cheque",
    "pos": "debit_card",
    "atm": "cash",
}

Doc = dict[str, Any]


@dataclass(frozen=True)
class HandEntry:
    """An expense, income or payment the user typed in (not from an import), or one a
    statement of another account imported (with the bank reference of its row)."""

    id: str
    kind: str  # "expense", "income" or "payment"
    day: date
    amount: Decimal
    reference: str | None = None
    refund: bool = False  # an expense that is money back: a credit on the statement


@dataclass(frozen=True)
class Loan:
    """An active debt, as EMI matching needs it."""

    id: str
    name: str
    bank_name: str
    monthly_emi: Decimal
    next_due: date
    start: date
    loan_account: str | None = None


@dataclass(frozen=True)
class RuleBook:
    """The user's rules (stored order: `order`, then oldest first) ahead of the shipped ones.
    A user rule is passed to `statements.apply_rules` under its id; its own category (any
    slug the API allows, not only the shipped list) is put back after the match."""

    rules: list[Rule]
    user: dict[str, Doc] = field(default_factory=dict)  # id -> stored rule

    @classmethod
    def of(cls, stored: list[Doc]) -> RuleBook:
        user = {str(doc["_id"]): doc for doc in stored}
        return cls([*(package_rule(doc) for doc in stored), *DEFAULT_RULES], user)


def package_rule(doc: Doc) -> Rule:
    """A stored rule as `statements` matches it (named by its id)."""
    match, outcome = doc.get("match") or {}, doc.get("set") or {}
    category = outcome.get("category")
    return Rule(
        str(doc["_id"]),
        RuleMatch(
            payee=match.get("payee"),
            vpa=match.get("vpa"),
            narration=match.get("narration"),
            direction=match.get("direction"),
            min_amount=match.get("min_amount"),
            max_amount=match.get("max_amount"),
        ),
        RuleSet(
            kind=outcome.get("kind"),
            title=outcome.get("title"),
            category=category if category in CATEGORIES else None,
            income_type=outcome.get("income_type"),
            tags=tuple(outcome.get("tags") or ()),
        ),
        int(doc.get("order", 0)),
    )


def suggest(book: RuleBook, row: StatementRow, narration: Narration) -> tuple[Suggestion, bool]:
    """The first matching rule's suggestion, and whether it was one of the user's."""
    found = apply_rules(book.rules, row, narration)
    stored = book.user.get(found.rule_name or "")
    if stored is None:
        return found, False
    category = (stored.get("set") or {}).get("category")
    if category and found.kind in ("expense", "payment"):
        found = replace(found, category=category)
    return replace(found, rule_name=stored["name"]), True


def nearest_due(next_due: date, day: date) -> date:
    """The loan's monthly due date nearest to `day` (due dates fall a month apart)."""
    months = (day.year - next_due.year) * 12 + day.month - next_due.month
    dues = [add_months(next_due, k) for k in (months - 1, months, months + 1)]
    return min(dues, key=lambda due: (abs((due - day).days), due))


def emi_debt(row: StatementRow, narration: Narration, loans: list[Loan]) -> str | None:
    """The debt a debit pays (`statements.match_emi`), each loan compared at its due date
    nearest the row, so a statement of several months finds every EMI in it."""
    candidates = [
        LoanForMatching(
            loan.id,
            loan.name,
            loan.bank_name,
            loan.monthly_emi,
            nearest_due(loan.next_due, row.date),
            loan.loan_account,
        )
        for loan in loans
        if row.date >= loan.start
    ]
    return match_emi(row, narration, candidates) if candidates else None


class HandMatcher:
    """Entries a row may already be, by (direction, amount) and by (direction, bank
    reference); each is offered to one row only, the first in the file within the window, so
    two same-amount rows never both link to it."""

    def __init__(self, entries: list[HandEntry], claimed: set[str]) -> None:
        self.by_amount: dict[tuple[str, Decimal], list[HandEntry]] = defaultdict(list)
        self.by_reference: dict[tuple[str, str], list[HandEntry]] = defaultdict(list)
        for entry in entries:
            direction = "credit" if entry.kind == "income" or entry.refund else "debit"
            self.by_amount[(direction, entry.amount)].append(entry)
            if entry.reference:
                self.by_reference[(direction, entry.reference.upper())].append(entry)
        self.claimed = set(claimed)

    def matches(self, row: StatementRow) -> list[HandEntry]:
        window = timedelta(days=DUPLICATE_WINDOW_DAYS)
        reference = row_reference(row)
        same = [*self.by_amount.get((row.direction, row.amount), ())]
        same += self.by_reference.get((row.direction, reference), []) if reference else []
        near = [
            entry
            for entry in dict.fromkeys(same)
            if entry.id not in self.claimed and abs(entry.day - row.date) <= window
        ]
        near.sort(key=lambda e: (abs((e.day - row.date).days), e.id))
        if near:
            self.claimed.add(near[0].id)
        return near[:MAX_MATCHES]


def row_error(row: StatementRow) -> str | None:
    if row.error:
        return row.error
    if not 0 < row.amount <= MAX_AMOUNT:
        return f"The amount {row.amount} is not one the app can record (more than 0, at most 10^12)"
    return None


@dataclass
class PreviewBooks:
    """What a preview decides with, as read from the database: the fingerprints committed in
    the statement's days, the rows skipped before, the entries a row may already be, the
    transfers a row may be a side of, the open loans and the user's rules."""

    committed: set[str]
    skipped: set[str]
    hand: HandMatcher
    transfers: TransferMatcher
    loans: list[Loan]
    book: RuleBook
    cards: list[tuple[str, str | None]]  # the user's other card accounts: (id, last four)


def bank_fields(row: StatementRow, narration: Narration, fingerprint: str) -> Doc:
    """What the bank wrote, read."""
    return {
        "line": row.line,
        "date": row.date,
        "amount": row.amount,
        "direction": row.direction,
        "narration": row.narration[:MAX_NARRATION],
        "payee": narration.payee,
        "vpa": narration.vpa,
        "reference": (row.reference or narration.reference or None),
        "balance": row.balance,
        "balance_mismatch": row.balance_mismatch or None,
        "fingerprint": fingerprint,
        "error": row_error(row),
        "matches": [],
        "debt_id": None,
        "kind_set": False,
    }


def preview_rows(statement: Statement, account_id: str, books: PreviewBooks) -> list[Doc]:
    """Every row of the statement as the preview stores it (without ids): what the bank
    wrote, its fingerprint (scoped to the account), its status, and what it is suggested to
    become."""
    prints = fingerprints(account_id, statement.rows)
    out, channels = [], []
    for row, fingerprint in zip(statement.rows, prints, strict=True):
        narration = parse_narration(row.narration)
        channels.append(narration.channel)
        doc = bank_fields(row, narration, fingerprint)
        suggestion, by_user = suggest(books.book, row, narration)
        doc |= {
            "kind": suggestion.kind,
            "title": suggestion.title,
            "category": suggestion.category,
            "income_type": suggestion.income_type,
            "tags": list(suggestion.tags),
            "rule": suggestion.rule_name,
        }
        if statement.format in CARD_FORMATS and not by_user:  # the user's own rules decide
            doc |= card_row(row, narration, books.book)
        decide(doc, row, narration, by_user, books)
        out.append(doc)
    return with_monthly_salaries(out, channels)


def card_row(row: StatementRow, narration: Narration, book: RuleBook) -> Doc:
    """On a card's statement: interest, fees and GST are spending in `card_charges`; a credit
    that is not a payment is a refund (an expense with `refund: true`, never income) in the
    category the same row as a charge would have (a fee's reversal in `card_charges`)."""
    charge = is_charge(row.narration)
    if is_refund(row.narration, row.direction):
        if charge:
            category = CARD_CHARGES
        else:
            category = suggest(book, replace(row, direction="debit"), narration)[0].category
        return {"kind": "expense", "refund": True, "category": category, "income_type": None}
    if charge and row.direction == "debit":
        return {"kind": "expense", "category": CARD_CHARGES}
    return {}


def decide(
    doc: Doc, row: StatementRow, narration: Narration, by_user: bool, books: PreviewBooks
) -> None:
    """The row's status, and what it becomes: unreadable and already imported rows are
    skipped, so is a row you skipped before; one that may be an entry already there links
    to it; an EMI is its loan's payment; a debit or credit matching its other side in
    another of your accounts is a transfer."""
    if doc["error"] or doc["fingerprint"] in books.committed:
        doc |= {"status": "error" if doc["error"] else "duplicate", "kind": "skip"}
        return
    doc["status"] = "new"
    if doc["fingerprint"] in books.skipped:
        doc |= {"kind": "skip", "skipped_before": True}
        return
    near = books.hand.matches(row)
    if near:
        doc |= {"matches": [entry.id for entry in near], "match_kind": near[0].kind}
        doc["status"] = "possible_duplicate"
    if not by_user or doc["kind"] == "payment":
        debt = emi_debt(row, narration, books.loans)
        if debt is not None:
            doc |= {"kind": "payment", "debt_id": debt, "category": None}
    # A card bill (a payment of no loan of yours) paid to one of your accounts is a transfer.
    if near or doc["debt_id"] is not None or doc["kind"] not in ("expense", "income", "payment"):
        return
    pairing = books.transfers.pair(row.direction, row.date, row.amount)
    if pairing is not None:
        kind = "transfer" if pairing.kind == "open" else pairing.kind
        doc |= {"kind": "transfer", "transfer_account_id": pairing.other_account_id}
        doc["transfer_pair"] = {"kind": kind, "id": pairing.id}
    elif doc["kind"] == "payment" and paid_card(row.narration, books.cards):
        # A bill of a card you keep as an account, its statement not imported yet: spent
        # until then; that statement's credit makes the two one transfer (`imports.transfers`).
        doc |= {"kind": "expense", "category": "other"}


def counts(rows: list[Doc]) -> Doc:
    tally = {status: 0 for status in ROW_STATUSES}
    for row in rows:
        tally[row["status"]] += 1
    return {"rows": len(rows), **tally}


def period(statement: Statement) -> Doc | None:
    """The statement's days: as its header states them, else its rows' first and last."""
    if statement.period is not None:
        start, end = statement.period
    elif statement.rows:
        days = [row.date for row in statement.rows]
        start, end = min(days), max(days)
    else:
        return None
    return {"from": start, "to": end}


def card_summary(statement: Statement) -> Doc | None:
    """A credit-card statement's summary block as stored (None for other statements)."""
    return asdict(statement.card) if statement.card is not None else None


def day_range(rows: list[Doc]) -> tuple[date, date] | None:
    days = [row["date"] for row in rows]
    return (min(days), max(days)) if days else None


def payment_method(narration: str) -> str:
    return PAYMENT_METHODS.get(parse_narration(narration).channel, "other")


def suggested_rule(row: Doc, changes: Doc) -> Doc | None:
    """The rule a correction suggests: rows from this payee (else this UPI address, else with
    this title in the narration) and direction become what the row was changed to. None when
    the change touches neither the kind nor the category nor the income type, or nothing in
    the row names the counterparty."""
    changed = {k: changes[k] for k in ("kind", "category", "income_type") if k in changes}
    if not any(row.get(k) != v for k, v in changed.items()):
        return None
    if changes.get("kind", row["kind"]) == "transfer":  # a rule cannot name the other account
        return None
    # At most 100 characters, as a rule's match text (a shorter text still "contains").
    if row.get("payee"):
        match: Doc = {"payee": row["payee"][:100].strip()}
    elif row.get("vpa"):
        match = {"vpa": row["vpa"][:100].strip()}
    elif row["title"].casefold() in row["narration"].casefold():
        match = {"narration": row["title"][:100].strip()}
    else:
        return None
    kind = changes.get("kind", row["kind"])
    outcome: Doc = {"kind": kind}
    if kind in ("expense", "payment") and changes.get("category", row.get("category")):
        outcome["category"] = changes.get("category", row.get("category"))
    if kind == "income" and changes.get("income_type", row.get("income_type")):
        outcome["income_type"] = changes.get("income_type", row.get("income_type"))
    if changes.get("title", row["title"]) != row["title"]:
        outcome["title"] = changes["title"]
    label = outcome.get("category") or outcome.get("income_type") or kind
    name = f"{next(iter(match.values()))} → {label}"[:100]
    return {
        "name": name,
        "match": match | {"direction": row["direction"]},
        "set": outcome,
        "order": 0,
    }
