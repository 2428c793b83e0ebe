"""Delta sync (GET /api/sync): a page of changes, each a resource as its GET returns it or
its deletion, typed by `resource` so a client switches on it."""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from schemas.accounts import AccountOut, TransferOut
from schemas.base import ResponseModel
from schemas.debts import DebtOut, PaymentOut
from schemas.entries import BudgetOut, ExpenseOut, IncomeOut
from schemas.goals import ContributionOut, GoalOut
from schemas.imports import ImportOut
from schemas.notifications import NotificationOut
from schemas.recurring import RecurringOut
from schemas.rules import RuleOut
from schemas.types import ObjectIdStr
from schemas.users import UserOut


class SyncOp(StrEnum):
    upsert = "upsert"  # created or changed: `data` is it now
    delete = "delete"  # gone: `data` is null (an id you never had: nothing to do)


class Change(ResponseModel):
    id: ObjectIdStr
    op: SyncOp
    etag: str | None = None  # the ETag its GET answers (for If-Match); null for a delete


class DebtChange(Change):
    resource: Literal["debt"] = "debt"
    data: DebtOut | None = None


class PaymentChange(Change):
    resource: Literal["payment"] = "payment"
    data: PaymentOut | None = None


class IncomeChange(Change):
    resource: Literal["income"] = "income"
    data: IncomeOut | None = None


class ExpenseChange(Change):
    resource: Literal["expense"] = "expense"
    data: ExpenseOut | None = None


class BudgetChange(Change):
    resource: Literal["budget"] = "budget"
    data: BudgetOut | None = None


class GoalChange(Change):
    resource: Literal["goal"] = "goal"
    data: GoalOut | None = None


class ContributionChange(Change):
    resource: Literal["goal_contribution"] = "goal_contribution"
    data: ContributionOut | None = None


class NotificationChange(Change):
    resource: Literal["notification"] = "notification"
    data: NotificationOut | None = None


class ImportChange(Change):
    resource: Literal["import"] = "import"
    data: ImportOut | None = None


class RuleChange(Change):
    resource: Literal["rule"] = "rule"
    data: RuleOut | None = None


class AccountChange(Change):
    resource: Literal["account"] = "account"
    data: AccountOut | None = None  # its balance as of this page


class TransferChange(Change):
    resource: Literal["transfer"] = "transfer"
    data: TransferOut | None = None


class RecurringItemChange(Change):
    resource: Literal["recurring_item"] = "recurring_item"
    data: RecurringOut | None = None


class ProfileChange(Change):
    resource: Literal["profile"] = "profile"
    data: UserOut | None = None  # GET /api/users/me


SyncChange = Annotated[
    DebtChange
    | PaymentChange
    | IncomeChange
    | ExpenseChange
    | BudgetChange
    | GoalChange
    | ContributionChange
    | NotificationChange
    | ImportChange
    | RuleChange
    | AccountChange
    | TransferChange
    | RecurringItemChange
    | ProfileChange,
    Field(discriminator="resource"),
]
# Each resource's change, by the name core/sync.py gives the resource.
CHANGES: dict[str, type[Change]] = {
    model.model_fields["resource"].default: model for model in Change.__subclasses__()
}


class SyncPage(ResponseModel):
    """Changes in write order, each resource once (as it is now) however often it changed;
    `cursor` is where the next request starts (`since`), `has_more` whether it has more to
    give right away."""

    changes: list[SyncChange]
    cursor: str  # opaque: send it back as `since`
    has_more: bool
