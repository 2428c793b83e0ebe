"""Card spending in the reports through HTTP: a purchase is spending on the day it is made, the
bill's payment is a transfer (never spending again); a refund (an expense with `refund: true`,
typed in or imported from a card statement) takes off spending in its category and is never
income; interest, fees and GST on a card are their own category, `card_charges`.

Every figure is added up beside its assertion from the entries the test makes."""

from datetime import UTC, date, datetime
from decimal import Decimal

from core.dates import local_date
from tests.cards.test_cards import TERMS, statements
from tests.factories import account, all_rows, budget, commit, expense, get, transfer, upload
from tests.statement_pdfs import CardFigures, Txn, card_pdf


async def month(client, user, year, month):
    return await get(client, user, "/api/reports/monthly", year=year, month=month)


def by_category(report) -> dict[str, float]:
    return {c["category"]: c["total"] for c in report["expenses"]["by_category"] if c["total"]}


async def a_refund(client, user, amount, day, **extra):
    body = {"title": "Shop refund", "category": "shopping", "amount": amount, "date": day}
    r = await client.post(
        "/api/expenses", headers=user.headers, json=body | {"refund": True} | extra
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_purchases_are_spending_when_made_and_a_refund_takes_some_off(client, user):
    card = await account(client, user, "HDFC Regalia", kind="credit_card", **TERMS)
    savings = await account(client, user, "Savings")
    await expense(client, user, 3000, "2025-02-03", "shopping", account_id=card["id"])
    await expense(client, user, 1000, "2025-02-10", "food", account_id=card["id"])
    refund = await a_refund(client, user, 500, "2025-02-12", account_id=card["id"])
    assert (refund["refund"], refund["amount"], refund["account_id"]) == (True, 500, card["id"])
    # The bill paid in March: a transfer into the card.
    await transfer(client, user, savings["id"], card["id"], 3500, "2025-03-05")

    february = await month(client, user, 2025, 2)
    # 3,000 + 1,000 bought, less the 500 refunded: 3,500 spent; shopping 3,000 - 500.
    assert february["expenses"]["total"] == 3500
    assert by_category(february) == {"shopping": 2500, "food": 1000}
    assert february["income"]["total"] == 0  # a refund is never income
    # March: the bill's payment is no spending (and no income).
    march = await month(client, user, 2025, 3)
    assert (march["expenses"]["total"], march["income"]["total"]) == (0, 0)
    year = await get(client, user, "/api/reports/annual", year=2025)
    assert year["totals"]["expenses"] == 3500
    assert year["totals"]["expenses_by_category"]["shopping"] == 2500
    # On the card, the refund is a refund of its cycle: 4,000 bought, 500 back, 3,500 due.
    (first, *_) = await statements(client, user, card["id"])
    assert (first["purchases"], first["refunds"], first["total_due"]) == (4000, 500, 3500)
    # The CSV says which entry is a refund.
    r = await client.get(
        "/api/reports/export",
        params={"kind": "expenses", "from": "2025-02-01", "to": "2025-02-28"},
        headers=user.headers,
    )
    lines = r.text.splitlines()
    refund_column = lines[0].split(",").index("refund")
    assert sorted(line.split(",")[refund_column] for line in lines[1:]) == ["", "", "yes"]


async def test_a_refund_moves_the_budget_and_the_dashboard(client, user):
    today = local_date(datetime.now(UTC), "Asia/Kolkata").isoformat()
    card = await account(client, user, "Card", kind="credit_card", **TERMS)
    await budget(client, user, "shopping", 5000)
    await expense(client, user, 2000, today, "shopping", account_id=card["id"])
    refund = await a_refund(client, user, 500, today, account_id=card["id"])

    status = await get(client, user, "/api/budgets/status")
    (shopping,) = [b for b in status["items"] if b["category"] == "shopping"]
    assert (shopping["spent"], shopping["remaining"]) == (1500, 3500)  # 2,000 - 500
    board = await get(client, user, "/api/dashboard")
    assert (board["expenses"], board["income"]) == (1500, 0)
    shown = {t["id"]: t["amount"] for t in board["recent_transactions"]}
    assert shown[refund["id"]] == -500  # money back

    # No longer a refund: spending 2,000 + 500; a refund again: 1,500.
    for flag, spent in ((False, 2500), (True, 1500)):
        r = await client.put(
            f"/api/expenses/{refund['id']}", json={"refund": flag}, headers=user.headers
        )
        assert (r.status_code, r.json()["refund"]) == (200, flag), r.text
        status = await get(client, user, "/api/budgets/status")
        (shopping,) = [b for b in status["items"] if b["category"] == "shopping"]
        assert shopping["spent"] == spent
    r = await client.post(
        "/api/expenses",
        headers=user.headers,
        json={"title": "x", "category": "food", "amount": 1, "refund": "yes"},
    )
    assert r.status_code == 422


# A card statement's rows (15 Feb 2025): purchases, a refund, the issuer's charges and a fee
# reversed.
CARD_ROWS = [
    Txn(date(2025, 2, 3), "AMAZON PAY INDIA BANGALORE", debit=Decimal("2499.00")),
    Txn(date(2025, 2, 5), "SWIGGY BANGALORE", debit=Decimal("612.40")),
    Txn(date(2025, 2, 7), "REFUND AMAZON PAY INDIA", credit=Decimal("499.00")),
    Txn(date(2025, 2, 10), "LATE PAYMENT FEE", debit=Decimal("500.00")),
    Txn(date(2025, 2, 10), "IGST ON FEES", debit=Decimal("90.00")),
    Txn(date(2025, 2, 14), "FINANCE CHARGES", debit=Decimal("1250.18")),
    Txn(date(2025, 2, 14), "LATE FEE REVERSAL", credit=Decimal("500.00")),
]
# What it prints: 2,499 + 612.40 + 500 + 90 + 1,250.18 - 499 - 500.
TOTAL_DUE = Decimal("3952.58")


def statement_pdf() -> bytes:
    """HDFC's PDF of the 15 Feb statement of CARD_ROWS."""
    figures = CardFigures(
        statement_date=date(2025, 2, 15),
        due_date=date(2025, 3, 7),
        total_due=TOTAL_DUE,
        minimum_due=Decimal("200.00"),
        credit_limit=Decimal("100000.00"),
        available_limit=Decimal(100000) - TOTAL_DUE,
        previous_balance=Decimal("0.00"),
    )
    return card_pdf("hdfc", "4375 XXXX XXXX 5678", CARD_ROWS, figures)


async def test_a_card_statements_refunds_and_charges(client, user):
    card = await account(client, user, "HDFC Regalia", kind="credit_card", **TERMS)
    data = statement_pdf()
    preview = await upload(client, user, data, "card.pdf", account_id=card["id"])
    rows = {r["narration"]: r for r in await all_rows(client, user, preview["id"])}
    seen = {n: (r["kind"], r["category"], r["refund"]) for n, r in rows.items()}
    assert seen == {
        "AMAZON PAY INDIA BANGALORE": ("expense", "shopping", False),
        "SWIGGY BANGALORE": ("expense", "food", False),
        # A credit that is not a payment: a refund in the category its purchase has.
        "REFUND AMAZON PAY INDIA": ("expense", "shopping", True),
        "LATE PAYMENT FEE": ("expense", "card_charges", False),
        "IGST ON FEES": ("expense", "card_charges", False),
        "FINANCE CHARGES": ("expense", "card_charges", False),
        "LATE FEE REVERSAL": ("expense", "card_charges", True),
    }
    await commit(client, user, preview["id"])

    february = await month(client, user, 2025, 2)
    assert by_category(february) == {
        "shopping": float(Decimal("2499.00") - Decimal("499.00")),
        "food": 612.40,
        # 500 + 90 + 1,250.18, less the 500 fee reversed.
        "card_charges": float(Decimal("500.00") + Decimal("90.00") + Decimal("1250.18") - 500),
    }
    assert february["expenses"]["total"] == float(TOTAL_DUE)
    assert february["income"]["total"] == 0  # no refund is income
    # The card: 4,951.58 bought (purchases and charges), 999 refunded, its printed total due.
    first = (await statements(client, user, card["id"]))[0]  # 15 Feb
    assert (first["purchases"], first["refunds"]) == (4951.58, 999)
    assert (first["total_due"], first["estimated"]) == (float(TOTAL_DUE), False)
    categories = await get(client, user, "/api/expenses/categories")
    assert "card_charges" in categories["suggested"]


async def test_a_refund_typed_in_is_found_again_on_the_statement(client, user):
    card = await account(client, user, "HDFC Regalia", kind="credit_card", **TERMS)
    typed = await a_refund(client, user, 499, "2025-02-06", account_id=card["id"])
    data = statement_pdf()
    preview = await upload(client, user, data, "card.pdf", account_id=card["id"])
    rows = {r["narration"]: r for r in await all_rows(client, user, preview["id"])}
    # The credit of 499 a day later is the refund typed in (money back: a credit), and no
    # purchase of 499 is.
    refund = rows["REFUND AMAZON PAY INDIA"]
    assert (refund["status"], refund["matches"]) == ("possible_duplicate", [typed["id"]])
    assert rows["AMAZON PAY INDIA BANGALORE"]["matches"] == []
