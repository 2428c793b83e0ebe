"""Bank statement import: an import's preview, its rows, commit and undo results, saved column
mappings (templates); the categorisation rules are `schemas.rules`."""

from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from core.errors import ErrorCode
from imports.statements import FORMATS
from schemas.accounts import AccountRef, BalanceGap
from schemas.base import OutModel, RequestModel, ResponseModel, UpdateModel
from schemas.entries import IncomeType
from schemas.rules import Direction, RuleOut, RuleSuggestion
from schemas.types import (
    Amount,
    Category,
    DayOut,
    Instant,
    Integer,
    NotBlank,
    ObjectIdStr,
    StrictBool,
    Tags,
    Text,
    Title,
)

ImportFormat = StrEnum("ImportFormat", {name: name for name in FORMATS})  # type: ignore[misc]
ImportFormat.__doc__ = "The statement layouts `statements.parse_statement` reads."


class ImportStatus(StrEnum):
    parsing = "parsing"  # the file being read in the background (`Prefer: respond-async`)
    failed = "failed"  # the background read refused the file: `error` says why
    preview = "preview"  # parsed and checked; nothing written to your books yet
    committing = "committing"
    committed = "committed"
    undoing = "undoing"
    undone = "undone"


class RowStatus(StrEnum):
    new = "new"
    duplicate = "duplicate"  # already imported (the same bank transaction)
    possible_duplicate = "possible_duplicate"  # looks like an entry you typed in yourself
    error = "error"  # the bank's row could not be read


class RowKind(StrEnum):
    expense = "expense"
    income = "income"
    payment = "payment"
    transfer = "transfer"  # money moved to or from another of your accounts
    skip = "skip"


class DateOrder(StrEnum):
    """How a file's numeric dates are written, when the file itself cannot tell."""

    dmy = "dmy"  # 02/01/2024 is 2 January
    mdy = "mdy"  # 02/01/2024 is 1 February


class RowOutcome(StrEnum):
    """What the commit did with a row."""

    created = "created"
    linked = "linked"  # matched to an entry you had typed in: nothing new was created
    skipped = "skipped"


# ---------------------------------------------------------------- column mappings

Header = NotBlank(100)


class ColumnMappingIn(RequestModel):
    """Where the columns of a "generic" CSV/XLS/XLSX are, by their header text (compared
    ignoring case, spaces and punctuation): `debit` and/or `credit`, or one signed `amount`."""

    date: Header
    narration: Header
    debit: Header | None = None
    credit: Header | None = None
    amount: Header | None = None
    reference: Header | None = None
    balance: Header | None = None
    value_date: Header | None = None
    date_format: NotBlank(40) | None = None  # a strptime format, e.g. "%d/%m/%Y"
    header_row: Integer(1, 150) | None = None  # 1-based
    # With one `amount` column: the column saying which way it moved ("Dr"/"Cr"), and what
    # it writes for each (default: Dr, D, Debit, DB and Cr, C, Credit; case and punctuation
    # ignored).
    direction: Header | None = None
    debit_values: list[NotBlank(40)] | None = Field(default=None, min_length=1, max_length=10)
    credit_values: list[NotBlank(40)] | None = Field(default=None, min_length=1, max_length=10)

    @model_validator(mode="after")
    def _amount_columns(self) -> "ColumnMappingIn":
        if self.amount is not None and (self.debit is not None or self.credit is not None):
            raise ValueError("give either an amount column or debit/credit columns, not both")
        if self.amount is None and self.debit is None and self.credit is None:
            raise ValueError("give an amount column or a debit and/or credit column")
        if self.direction is not None and self.amount is None:
            raise ValueError("a direction column goes with one amount column")
        values = self.debit_values is not None or self.credit_values is not None
        if values and self.direction is None:
            raise ValueError("debit_values and credit_values apply only with a direction column")
        return self


class ColumnMappingOut(ResponseModel):
    date: str
    narration: str
    debit: str | None = None
    credit: str | None = None
    amount: str | None = None
    reference: str | None = None
    balance: str | None = None
    value_date: str | None = None
    date_format: str | None = None
    header_row: int | None = None
    direction: str | None = None
    debit_values: list[str] | None = None
    credit_values: list[str] | None = None


class ImportTemplateOut(OutModel):
    name: str
    mapping: ColumnMappingOut
    created_at: Instant
    updated_at: Instant


# ---------------------------------------------------------------- imports and rows


class ImportPeriod(ResponseModel):
    from_: DayOut = Field(validation_alias="from", serialization_alias="from")
    to: DayOut


class ImportCounts(ResponseModel):
    rows: int
    new: int
    duplicate: int
    possible_duplicate: int
    error: int


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class CreatedCounts(ResponseModel):
    expenses: int = 0
    income: int = 0
    payments: int = 0
    # Rows that became (or joined) a transfer between your accounts; sent only when some did,
    # so a statement without transfers answers what it always has.
    transfers: int | None = Field(
        default=None, exclude_if=lambda n: not n, json_schema_extra=_no_default
    )


class CommitResult(ResponseModel):
    """What the import has put in your books (the same answer however often it is asked)."""

    created: CreatedCounts
    linked: int  # rows matched to entries you had typed in yourself
    skipped: int  # duplicates, errors, rows of kind `skip`, payments without a debt


class UndoResult(ResponseModel):
    """What this undo removed (a repeated undo removes nothing more)."""

    removed: CreatedCounts


class CommitProgress(ResponseModel):
    """How far a commit under way has gone through the file's rows (a batch at a time)."""

    done: int
    total: int


class ParseProgress(ResponseModel):
    """How far a background read of the file has gone: a PDF's pages read (a file of another
    format counts as one page)."""

    pages_done: int
    pages: int


class ImportFailure(ResponseModel):
    """Why a background read refused the file: what the upload would have answered (its
    status, code, sentence and the form field to change)."""

    status: int
    code: ErrorCode
    detail: str
    field: str | None = None


class CardSummary(ResponseModel):
    """A credit-card statement's summary block, as printed (null where it prints nothing).
    A balance the issuer marks "Cr" (it owes you) is negative."""

    statement_date: DayOut | None = None
    due_date: DayOut | None = None
    total_due: Amount | None = None
    minimum_due: Amount | None = None
    credit_limit: Amount | None = None
    available_limit: Amount | None = None
    previous_balance: Amount | None = None


class ImportOut(OutModel):
    filename: str
    format: ImportFormat | None = None  # null until a file read in the background is read
    account_id: ObjectIdStr | None = None  # the account it is imported into
    account_created: bool = False  # that account was created for this statement
    account: str | None = None  # the account as the file names it
    number_last4: str | None = None  # the account number the file prints, its last 4 digits
    currency: str | None = None  # as the file states it
    opening_balance: Amount | None = None  # before its first row, when it prints balances
    closing_balance: Amount | None = None  # after its last row
    # Its opening balance does not follow the account's last committed statement: one is
    # probably missing in between.
    balance_gap: BalanceGap | None = None
    card_summary: CardSummary | None = None  # a credit-card statement's summary block
    status: ImportStatus
    period: ImportPeriod | None = None  # None for a statement without rows
    counts: ImportCounts
    result: CommitResult | None = None  # once committed
    progress: CommitProgress | ParseProgress | None = None  # while committing, or parsing
    error: ImportFailure | None = None  # once failed
    created_at: Instant
    updated_at: Instant
    committed_at: Instant | None = None
    undone_at: Instant | None = None

    @model_validator(mode="after")
    def _progress_while_a_job_runs(self) -> "ImportOut":
        if self.status not in (ImportStatus.committing, ImportStatus.parsing):
            self.progress = None
        return self


class TransferPair(ResponseModel):
    """`transfer`: a transfer of this account whose side here no statement holds yet;
    `expense`/`income`: the other account's entry the transfer replaces; `row`: a row of a
    statement of the other account not yet committed."""

    kind: str
    id: ObjectIdStr


class ImportRowOut(OutModel):
    line: int  # where in the file (a line, a spreadsheet row, or a position in the JSON)
    date: DayOut
    amount: Amount
    direction: Direction
    narration: str  # as the bank wrote it
    payee: str | None = None
    vpa: str | None = None
    reference: str | None = None
    balance: Amount | None = None  # the running balance after the row, as printed
    # The balance does not follow from the one before it and this row's amount.
    balance_mismatch: bool = False
    status: RowStatus
    error: str | None = None
    kind: RowKind
    title: str  # the cleaned payee (never the raw narration)
    category: str | None = None
    income_type: IncomeType | None = None
    refund: bool = False  # a card's credit that is not a payment: an expense taken off spending
    tags: list[str] = []
    debt_id: ObjectIdStr | None = None
    transfer_account_id: ObjectIdStr | None = None  # a transfer's other account
    transfer_pair: TransferPair | None = None  # what a transfer row pairs with, as previewed
    skipped_before: bool = False  # you skipped this row in an earlier import of it
    matches: list[ObjectIdStr] = []  # entries you typed in that this row may be
    rule: str | None = None  # the rule that suggested the kind and category
    outcome: RowOutcome | None = None  # once committed
    entry_id: ObjectIdStr | None = None  # the expense, income or payment it created or linked


class ImportRowUpdate(UpdateModel):
    """Correct a row before committing. Setting `kind` makes the row be created even if it
    looks like an entry you typed in (the row sent back whole with its kind unchanged does
    not: that is an edit form's echo). With `remember`, a changed category or kind becomes a
    rule for this payee."""

    kind: RowKind = Field(default=None)  # type: ignore[assignment]
    title: Title = Field(default=None)  # type: ignore[assignment]
    category: Category | None = None
    income_type: IncomeType | None = None
    tags: Tags = Field(default=None)  # type: ignore[assignment]
    debt_id: Text(64) | None = None
    transfer_account_id: AccountRef | None = None  # with kind `transfer`: the other account
    remember: StrictBool = False


class ImportRowChange(ResponseModel):
    row: ImportRowOut
    suggested_rule: RuleSuggestion | None = None  # when the category or kind changed
    rule: RuleOut | None = None  # the rule `remember` created
    applied: int = 0  # other rows of this preview the new rule changed


ImportRowUpdate.echo_of = ImportRowOut
