"""Card EMIs: a purchase on a credit card (or an amount) converted into monthly instalments,
each billed on the card's statements; kept as a debt of type `credit_card`."""

from decimal import Decimal
from typing import Literal

from pydantic import model_validator

from schemas.base import RequestModel, ResponseModel
from schemas.types import (
    Amount,
    Day,
    DayOut,
    Instant,
    Integer,
    Money,
    ObjectIdStr,
    Percent,
    Rate,
    Savings,
    StrictBool,
    Text,
)

EmiStatus = Literal["active", "billed", "foreclosed"]
EmiTenure = Integer(1, 120)


class CardEmiCreate(RequestModel):
    """Convert a purchase on the card (`expense_id`) or an amount (`amount`: a purchase
    booked on EMI at the shop, not entered as an expense) into instalments."""

    expense_id: Text(64) | None = None
    amount: Money | None = None
    date: Day | None = None  # the booking day (default today); a purchase's: on or after it
    annual_rate: Rate
    tenure_months: EmiTenure
    processing_fee: Savings = Decimal(0)  # GST at 18 % is added to it
    no_cost: StrictBool = False  # the merchant's discount equals the interest

    @model_validator(mode="after")
    def _one_purchase(self) -> "CardEmiCreate":
        if (self.expense_id is None) == (self.amount is None):
            raise ValueError("send either expense_id or amount")
        return self


class ForecloseCreate(RequestModel):
    fee_percent: Rate  # of the principal not billed yet; GST at 18 % is added to the fee
    date: Day | None = None  # default today


class InstalmentOut(ResponseModel):
    number: int
    due_date: DayOut
    statement_date: DayOut  # the card statement that bills it
    principal: Amount
    interest: Amount
    discount: Amount  # a no-cost EMI's: the interest
    gst: Amount  # 18 % on the interest
    amount: Amount  # billed: principal + interest - discount + gst
    balance: Amount  # principal left after it
    billed: bool  # its statement date has come


class ForeclosureOut(ResponseModel):
    date: DayOut
    statement_date: DayOut  # the statement that bills it
    fee_percent: Percent
    principal: Amount  # not billed before the foreclosure
    fee: Amount
    gst: Amount  # 18 % on the fee
    total: Amount


class CardEmiOut(ResponseModel):
    """A card EMI. Its `id` is its debt's (`GET /api/debts/{id}`: payments, statement)."""

    id: ObjectIdStr
    card_account_id: ObjectIdStr
    expense_id: ObjectIdStr | None  # the purchase converted, if one was
    name: str
    amount: Amount  # the principal
    date: DayOut  # booked on
    annual_rate: Percent
    tenure_months: int
    monthly_emi: Amount  # principal + interest (before discount and GST)
    processing_fee: Amount
    processing_fee_gst: Amount
    no_cost: bool
    status: EmiStatus  # billed: every instalment's statement date has come
    first_statement_date: DayOut  # bills the first instalment and the processing fee
    instalments_billed: int
    principal_blocked: Amount  # not billed yet: blocked from the card's limit
    interest: Amount  # over the schedule (up to a foreclosure)
    discount: Amount
    gst: Amount  # on the interest
    payable: Amount  # everything billed for it: instalments, fee, GST, a foreclosure
    true_cost: Amount  # payable - amount
    foreclosure: ForeclosureOut | None
    created_at: Instant


class CardEmiDetail(CardEmiOut):
    schedule: list[InstalmentOut]  # up to a foreclosure
