"""A debt document read as the loan's domain values: `debt_of` is the one reading of it, for
the loan engine (the terms the events start from, the state they left), a payoff plan and a
statement import's EMI matching; the events read from the debt's payments and rate resets;
a new debt's document.

The debt document keeps the loan's terms as they started (`principal` or
`outstanding_amount`, `tenure_months`, `original_rate`, `original_emi`, the due-date anchor)
and, derived from the events, its state now: `remaining_amount`, `interest_rate`,
`monthly_emi`, `remaining_tenure_months`, the totals, the next due date, `status`.
Pure: no I/O.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from core.dates import as_day, now_ms
from core.money import ZERO, quantize
from loans.events import Event, LoanState, LoanTerms, Payment, RateChange, replay
from loans.payoff import PlanDebt
from loans.rules import add_months, anchor_fields, emi

Doc = dict[str, Any]
EventKey = tuple[date, int, str]  # loans.events.event_key of the latest event


@dataclass(frozen=True)
class Debt:
    """A stored debt, typed: what it is, its terms as they started, its state now."""

    id: str
    name: str
    bank_name: str
    loan_account: str | None
    status: str
    start: date
    opening: Decimal  # the outstanding principal the events start from
    original_rate: Decimal
    tenure_months: int
    original_emi: Decimal
    first_due: date | None  # the due-date anchor; None on a debt the API did not create
    anchor_offset: int
    balance: Decimal  # remaining principal now
    annual_rate: Decimal  # in force now
    emi: Decimal  # now
    next_due: date | None
    instalments_paid: int
    remaining_tenure: int | None  # None until the events were first replayed
    total_paid: Decimal
    total_interest: Decimal
    has_state: bool  # the document holds the state of its latest event, to continue from
    last_event: EventKey | None

    @property
    def terms(self) -> LoanTerms:
        """The loan as it started: what was outstanding, at what rate and EMI, from which
        due day."""
        if self.first_due is None:
            raise ValueError(f"debt {self.id} has no due-date anchor")
        return LoanTerms(
            principal=self.opening,
            annual_rate=self.original_rate,
            tenure_months=self.tenure_months,
            emi=self.original_emi,
            first_due=self.first_due,
            anchor_offset=self.anchor_offset,
        )

    def carried_terms(self) -> LoanTerms:
        """The loan as if it started now, from its stored figures: the balance, the rate and
        EMI in force, the instalments its terms leave."""
        return LoanTerms(
            principal=self.balance,
            annual_rate=self.annual_rate,
            tenure_months=max(self.tenure_months - self.instalments_paid, 1),
            emi=self.emi,
            first_due=_due(self),
        )

    def stored_state(self) -> LoanState | None:
        """The state the document holds, to continue from; None when it holds none yet."""
        if not self.has_state or self.remaining_tenure is None or self.next_due is None:
            return None
        return LoanState(
            principal=self.opening,
            balance=self.balance,
            annual_rate=self.annual_rate,
            emi=self.emi,
            remaining_tenure=self.remaining_tenure,
            instalments_paid=self.instalments_paid,
            next_due=self.next_due,
            total_paid=self.total_paid,
            total_interest=self.total_interest,
            total_principal=self.total_paid - self.total_interest,
            rows=(),
        )

    def plan_debt(self) -> PlanDebt:
        """The debt in a payoff plan: what is left, at today's rate and EMI, from its next
        due date."""
        return PlanDebt(self.id, self.name, self.balance, self.annual_rate, self.emi, self.next_due)


def _day(value: Any) -> date | None:
    return None if value is None else as_day(value)


def _due(debt: Debt) -> date:
    if debt.next_due is None:
        raise ValueError(f"debt {debt.id} has no next due date")
    return debt.next_due


def debt_of(doc: Doc) -> Debt:
    """The debt document as a `Debt`: the one conversion of a stored debt into a domain value
    (the engine's terms, a payoff plan's debt, an import's loan all start from it)."""
    last = doc.get("last_event")
    rate, monthly = doc["interest_rate"], quantize(doc["monthly_emi"])
    return Debt(
        id=str(doc["_id"]),
        name=doc["name"],
        bank_name=doc.get("bank_name") or "",
        loan_account=doc.get("loan_account"),
        status=doc["status"],
        start=as_day(doc["start_date"]),
        opening=quantize(doc.get("outstanding_amount") or doc["principal"]),
        original_rate=doc.get("original_rate", rate),
        tenure_months=doc["tenure_months"],
        original_emi=quantize(doc.get("original_emi", monthly)),
        first_due=date.fromisoformat(doc["due_anchor"]) if doc.get("due_anchor") else None,
        anchor_offset=doc.get("anchor_offset", 0),
        balance=quantize(doc["remaining_amount"]),
        annual_rate=rate,
        emi=monthly,
        next_due=_day(doc.get("next_payment_date")),
        instalments_paid=doc.get("due_offset", 0),
        remaining_tenure=doc.get("remaining_tenure_months"),
        total_paid=quantize(doc.get("total_paid", ZERO)),
        total_interest=quantize(doc.get("total_interest_paid", ZERO)),
        has_state="remaining_tenure_months" in doc and "last_event" in doc,
        last_event=None if last is None else (as_day(last["date"]), last["kind"], last["id"]),
    )


# ---------------------------------------------------------------- events


def payment_event(doc: Doc) -> Payment:
    return Payment(
        id=str(doc["_id"]),
        date=as_day(doc["payment_date"]),
        amount=quantize(doc["amount"]),
        payment_type=doc["payment_type"],
        prepayment_effect=doc.get("prepayment_effect") or "reduce_tenure",
    )


def rate_event(change: Doc) -> RateChange:
    return RateChange(
        id=change["id"],
        effective_date=as_day(change["effective_date"]),
        annual_rate=change["interest_rate"],
        treatment=change["treatment"],
    )


def events_of(debt: Doc, payments: list[Doc]) -> list[Event]:
    """Every event of the debt: its payments and its rate changes (kept on the debt)."""
    return [*map(payment_event, payments), *map(rate_event, debt.get("rate_changes", []))]


def rate_resets(debt: Doc, state: LoanState) -> list[Doc]:
    """The debt's rate resets, oldest first, each with the rate before it and the EMI and
    tenure after it, as the replay gives them."""
    recorded = {change["id"]: change for change in debt.get("rate_changes", [])}
    found, rate = [], debt_of(debt).original_rate
    for row in state.rows:
        if row.kind == "rate_change":
            found.append(
                {
                    "id": row.id,
                    "effective_date": row.date,
                    "interest_rate": row.annual_rate,
                    "treatment": row.option,
                    "previous_rate": rate,
                    "monthly_emi": row.emi,
                    "remaining_tenure_months": row.remaining_tenure,
                    "created_at": recorded[row.id]["created_at"],
                }
            )
            rate = row.annual_rate
    return found


# ---------------------------------------------------------------- a new debt


def new_debt(debt_id: Any, user_id: Any, values: Doc) -> Doc:
    """A new debt's document from the request's values (days resolved): its EMI computed
    (reducing balance) when not given, its first due date a month after the start unless
    given, and the state its terms give before any event."""
    start = values["start_date"]
    first_due = values.get("next_payment_date") or add_months(start, 1)
    given = values.get("monthly_emi")
    monthly = given or emi(values["principal"], values["interest_rate"], values["tenure_months"])
    at = now_ms()
    doc = {
        "_id": debt_id,
        "user_id": user_id,
        "name": values["name"],
        "debt_type": str(values["debt_type"]),
        "principal": values["principal"],
        "interest_rate": values["interest_rate"],
        "original_rate": values["interest_rate"],
        "tenure_months": values["tenure_months"],
        "monthly_emi": monthly,
        "original_emi": monthly,
        "emi_computed": given is None,
        "outstanding_amount": values.get("outstanding_amount"),
        "bank_name": values.get("bank_name"),
        "loan_account": values.get("loan_account"),
        "start_date": start,
        **anchor_fields(first_due),
        "status": "active",
        "notes": values.get("notes"),
        "property_use": values.get("property_use"),
        "sanctioned_on": values.get("sanctioned_on"),
        "remaining_amount": values.get("outstanding_amount") or values["principal"],
        "total_paid": ZERO,
        "total_interest_paid": ZERO,
        "payments_count": 0,
        "due_offset": 0,
        "rate_changes": [],
        "completed_at": None,
        "created_at": at,
        "updated_at": at,
    }
    return doc | opening_fields(doc)


def opening_fields(debt: Doc) -> Doc:
    """A new debt's state before any event: what its terms give."""
    state = replay(debt_of(debt).terms, [])
    return {"remaining_tenure_months": state.remaining_tenure, "last_event": None}
