"""Bank statement import: an import's preview, its rows, commit and undo results, saved column
mappings (templates), and the categorisation rules."""

from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from core.errors import ErrorCode, Unprocessable
from imports.statements import FORMATS
from schemas.base import OutModel, RequestModel, ResponseModel, UpdateModel
from schemas.entries import IncomeType
from schemas.types import (
    Amount,
    Category,
    DayOut,
    Instant,
    Integer,
    Money,
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
    skip = "skip"


class Direction(StrEnum):
    debit = "debit"
    credit = "credit"


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

    @model_validator(mode="after")
    def _amount_columns(self) -> "ColumnMappingIn":
        if self.amount is not None and (self.debit is not None or self.credit is not None):
            raise ValueError("give either an amount column or debit/credit columns, not both")
        if self.amount is None and self.debit is None and self.credit is None:
            raise ValueError("give an amount column or a debit and/or credit column")
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


class CreatedCounts(ResponseModel):
    expenses: int = 0
    income: int = 0
    payments: int = 0


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


class ImportOut(OutModel):
    filename: str
    format: ImportFormat
    account: str | None = None
    status: ImportStatus
    period: ImportPeriod | None = None  # None for a statement without rows
    counts: ImportCounts
    result: CommitResult | None = None  # once committed
    progress: CommitProgress | None = None  # while committing
    created_at: Instant
    updated_at: Instant
    committed_at: Instant | None = None
    undone_at: Instant | None = None

    @model_validator(mode="after")
    def _progress_while_committing(self) -> "ImportOut":
        if self.status != ImportStatus.committing:
            self.progress = None
        return self


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
    status: RowStatus
    error: str | None = None
    kind: RowKind
    title: str  # the cleaned payee (never the raw narration)
    category: str | None = None
    income_type: IncomeType | None = None
    tags: list[str] = []
    debt_id: ObjectIdStr | None = None
    matches: list[ObjectIdStr] = []  # entries you typed in that this row may be
    rule: str | None = None  # the rule that suggested the kind and category
    outcome: RowOutcome | None = None  # once committed
    entry_id: ObjectIdStr | None = None  # the expense, income or payment it created or linked


class ImportRowUpdate(UpdateModel):
    """Correct a row before committing. Setting `kind` makes the row be created even if it
    looks like an entry you typed in. With `remember`, a changed category or kind becomes a
    rule for this payee."""

    kind: RowKind = Field(default=None)  # type: ignore[assignment]
    title: Title = Field(default=None)  # type: ignore[assignment]
    category: Category | None = None
    income_type: IncomeType | None = None
    tags: Tags = Field(default=None)  # type: ignore[assignment]
    debt_id: Text(64) | None = None
    remember: StrictBool = False


# ---------------------------------------------------------------- rules

MAX_USER_ORDER = 99_999


class RuleMatchIn(RequestModel):
    """Every field is optional and every given one must match. Text is a plain,
    case-insensitive "contains" (never a pattern)."""

    payee: NotBlank(100) | None = None
    vpa: NotBlank(100) | None = None
    narration: NotBlank(200) | None = None
    direction: Direction | None = None
    min_amount: Money | None = None
    max_amount: Money | None = None

    @model_validator(mode="after")
    def _bounds_in_order(self) -> "RuleMatchIn":
        low, high = self.min_amount, self.max_amount
        if low is not None and high is not None and low > high:
            raise Unprocessable(
                "min_amount cannot exceed max_amount",
                code=ErrorCode.invalid_range,
                loc=("body", "match", "min_amount"),
            )
        return self


class RuleSetIn(RequestModel):
    """What a matching row becomes; at least one field."""

    kind: RowKind | None = None
    title: Title | None = None
    category: Category | None = None
    income_type: IncomeType | None = None
    tags: Tags = []

    @model_validator(mode="after")
    def _sets_something(self) -> "RuleSetIn":
        if not self.model_dump(exclude_defaults=True):
            # Not a ValueError: the schema allows `{}`, so this is a rule's refusal, not a
            # field's validation (tests/test_fuzz.py tells the two apart by the code).
            raise Unprocessable(
                "A rule must set at least one of kind, title, category, income_type, tags",
                code=ErrorCode.empty_rule,
                loc=("body", "set"),
            )
        return self


RuleOrder = Integer(0, MAX_USER_ORDER, description="Lower runs first; the shipped rules follow")


class RuleCreate(RequestModel):
    name: NotBlank(100)
    match: RuleMatchIn = RuleMatchIn()
    set: RuleSetIn
    order: RuleOrder = 0


class RuleMatchOut(ResponseModel):
    payee: str | None = None
    vpa: str | None = None
    narration: str | None = None
    direction: Direction | None = None
    min_amount: Amount | None = None
    max_amount: Amount | None = None


class RuleSetOut(ResponseModel):
    kind: RowKind | None = None
    title: str | None = None
    category: str | None = None
    income_type: IncomeType | None = None
    tags: list[str] = []


class RuleSuggestion(ResponseModel):
    """A rule the row's change suggests (send it to POST /api/rules, or PUT the row again
    with `remember: true`)."""

    name: str
    match: RuleMatchOut
    set: RuleSetOut
    order: int


class RuleOut(OutModel):
    name: str
    match: RuleMatchOut
    set: RuleSetOut
    order: int
    created_at: Instant
    updated_at: Instant


class RuleUpdate(UpdateModel):
    name: NotBlank(100) = Field(default=None)  # type: ignore[assignment]
    match: RuleMatchIn = Field(default=None)  # type: ignore[assignment]
    set: RuleSetIn = Field(default=None)  # type: ignore[assignment]
    order: RuleOrder = Field(default=None)  # type: ignore[assignment]


class RuleApplied(ResponseModel):
    changed: int  # imported expenses and income the rule changed


class ImportRowChange(ResponseModel):
    row: ImportRowOut
    suggested_rule: RuleSuggestion | None = None  # when the category or kind changed
    rule: RuleOut | None = None  # the rule `remember` created
    applied: int = 0  # other rows of this preview the new rule changed


ImportRowUpdate.echo_of = ImportRowOut
RuleUpdate.echo_of = RuleOut


def rule_document_fields(body: RuleCreate | RuleUpdate) -> dict[str, Any]:
    """The stored shape of a rule's fields (only those sent, for an update)."""
    fields = body.model_dump(exclude_unset=isinstance(body, RuleUpdate))
    for part in ("match", "set"):
        if fields.get(part) is not None:
            fields[part] = {k: v for k, v in fields[part].items() if v not in (None, [])}
    return fields
