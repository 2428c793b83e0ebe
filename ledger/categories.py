"""What an entry can be labelled: the expense categories the app suggests (a user may use
any other slug too) and the income types. One list each, for the API's models, the
statement rules and the import's decisions."""

from enum import StrEnum

SUGGESTED_CATEGORIES = (
    "food",
    "groceries",
    "transport",
    "fuel",
    "utilities",
    "rent",
    "emi",
    "shopping",
    "entertainment",
    "health",
    "education",
    "travel",
    "insurance",
    "personal_care",
    "gifts",
    "subscriptions",
    "household",
    "cash",  # cash drawn at an ATM: spent, on what the bank cannot say
    "card_charges",  # a card's interest, fees and the GST on them: what credit cost
    "other",
)


CARD_CHARGES = "card_charges"


class IncomeType(StrEnum):
    salary = "salary"
    freelance = "freelance"
    business = "business"
    investment = "investment"
    rental = "rental"
    interest = "interest"
    gift = "gift"
    other = "other"
