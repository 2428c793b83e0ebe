"""Accounts (a bank account, a card, cash, a wallet: where money is) and transfers between
two of them."""

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from core.sync import etag as sync_etag
from schemas.base import OutModel, RequestModel, ResponseModel, UpdateModel
from schemas.types import (
    Amount,
    Currency,
    Day,
    DayOut,
    Instant,
    Integer,
    Money,
    Name,
    Notes,
    ObjectIdStr,
    Percent,
    Rate,
    Savings,
    ShortText,
    SignedMoney,
    StrictBool,
    Text,
)


class AccountKind(StrEnum):
    savings = "savings"
    current = "current"
    credit_card = "credit_card"  # its balance is negative while you owe on it
    cash = "cash"
    wallet = "wallet"


# The last four digits of the account or card number, as a statement prints them.
Last4 = Annotated[str, StringConstraints(strip_whitespace=False), Field(pattern=r"^[0-9]{4}$")]
# The id of one of your accounts.
AccountRef = Text(64)
StatementDay = Integer(1, 31)  # a shorter month closes on its last day
DueDays = Integer(1, 60)  # days from the statement date to the payment due date


class LateFeeSlab(RequestModel):
    """The late fee for an amount outstanding after the due date up to `up_to` (the last
    slab's is null: any amount above)."""

    up_to: Money | None = None
    fee: Savings  # 0 or more


class LateFeeSlabOut(ResponseModel):
    up_to: Amount | None = None
    fee: Amount


LateFeeSlabs = Annotated[list[LateFeeSlab], Field(min_length=1, max_length=10)]


class CardTerms(RequestModel):
    """A credit card's terms (only a `credit_card` account takes them)."""

    credit_limit: Money | None = None
    statement_day: StatementDay | None = None
    due_days: DueDays | None = None  # default 20
    monthly_interest_rate: Rate | None = None  # % a month; default 3.75
    late_fee_slabs: LateFeeSlabs | None = None  # default: docs/cards.md
    interest_free: StrictBool | None = None  # default true


class AccountCreate(CardTerms):
    name: Name  # one name per account (a statement's `account` label finds it by name)
    institution: ShortText | None = None
    kind: AccountKind = AccountKind.savings
    number_last4: Last4 | None = None  # statements printing it are imported here
    currency: Currency | None = None  # default: your preferred currency
    opening_balance: SignedMoney = Field(default=Decimal("0.00"), json_schema_extra={"default": 0})
    opening_date: Day | None = None  # entries from this day on move the balance


class AccountUpdate(UpdateModel, CardTerms):
    """Partial. The currency stays as created (the account's entries are in it). A new
    `statement_day` is taken once: the cycle in progress still ends on the old day."""

    name: Name = Field(default=None)  # type: ignore[assignment]
    institution: ShortText | None = None
    kind: AccountKind = Field(default=None)  # type: ignore[assignment]
    number_last4: Last4 | None = None
    opening_balance: SignedMoney = Field(default=None)  # type: ignore[assignment]
    opening_date: Day | None = None


class AccountRecord(OutModel):
    """An account as stored, without its balance (the data export's)."""

    name: str
    institution: str | None = None
    kind: AccountKind
    number_last4: str | None = None
    currency: str
    opening_balance: Amount
    opening_date: DayOut | None = None
    # A credit card's terms (null on other accounts).
    credit_limit: Amount | None = None
    statement_day: int | None = None
    due_days: int | None = None
    monthly_interest_rate: Percent | None = None
    late_fee_slabs: list[LateFeeSlabOut] | None = None
    interest_free: bool | None = None
    previous_statement_day: int | None = None  # before the one change allowed
    statement_day_changed_on: DayOut | None = None
    created_at: Instant
    updated_at: Instant


class AccountOut(AccountRecord):
    # The last committed statement's closing balance plus what was entered after it; without
    # one, the opening balance plus every entry (income in, expenses and payments out,
    # transfers either way).
    balance: Amount
    balance_date: DayOut | None = None  # the day `balance` is as of (None: nothing yet)

    @property
    def etag(self) -> str | None:
        # Entries move the balance without changing the account's version: the tag names it.
        if self._version is None:
            return None
        return sync_etag(self._version, derived=f"{self.balance}|{self.balance_date}")


class TransferCreate(RequestModel):
    from_account_id: AccountRef
    to_account_id: AccountRef
    amount: Money
    date: Day | None = None  # default: today
    note: Notes | None = None


class TransferOut(OutModel):
    from_account_id: ObjectIdStr
    to_account_id: ObjectIdStr
    amount: Amount
    date: DayOut
    note: str | None = None
    import_id: ObjectIdStr | None = None  # the statement import that recorded it
    created_at: Instant


class BalanceGap(ResponseModel):
    """A statement whose opening balance does not follow the account's balance after its last
    committed statement (and what was entered since): a statement is probably missing."""

    expected: Amount  # the account's balance the day before this statement starts
    found: Amount  # this statement's opening balance
    amount: Amount  # found - expected: what the missing statement(s) would have moved


AccountUpdate.echo_of = AccountOut
