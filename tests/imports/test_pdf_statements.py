"""PDF statements through the API: every bank's and card issuer's layout, password-protected,
with rows spread over pages (letterhead, table header and footer repeated, wrapped
narrations); the password never kept or shown; refusals; the card summary; one month read
from the XLS download and the emailed PDF counted once."""

import datetime as dt
import logging
from decimal import Decimal

import pytest

from tests.api.test_errors import logged
from tests.factories import account, all_rows, get, upload
from tests.statement_pdfs import (
    BANKS,
    CARD_HEADERS,
    CardFigures,
    Txn,
    bank_pdf,
    card_pdf,
    encrypted,
    scanned_pdf,
)
from tests.statement_workbooks import xls_bytes

PASSWORD = "RAVI0101"
START = dt.date(2026, 4, 1)


def month_of_txns(count: int = 45) -> list[Txn]:
    """Every third row a salary-like credit, the rest debits of growing size; long UPI
    narrations that wrap onto a second printed line; each with its bank reference."""
    txns = []
    for i in range(count):
        day = START + dt.timedelta(days=i * 29 // count)
        narration = f"UPI/SHOP NUMBER {i}/PAYTM {i:06d}@PAYTM/UTIB0000{i:03d} ORDER {i}"
        if i % 3 == 0:
            txns.append(Txn(day, narration, credit=Decimal("2500.00") + i, reference=f"R{i:09d}"))
        else:
            txns.append(
                Txn(day, narration, debit=Decimal("100.25") * (i + 1), reference=f"R{i:09d}")
            )
    return txns


def sums(rows: list[dict]) -> tuple[Decimal, Decimal]:
    debits = sum((Decimal(str(r["amount"])) for r in rows if r["direction"] == "debit"), Decimal(0))
    credits = sum(
        (Decimal(str(r["amount"])) for r in rows if r["direction"] == "credit"), Decimal(0)
    )
    return debits, credits


@pytest.mark.parametrize("bank", sorted(BANKS))
async def test_each_banks_password_protected_pdf_gives_its_rows_and_balances(client, user, bank):
    txns = month_of_txns()
    opening = Decimal("50000.00")
    # 45 rows at 20 a page: three pages, each with its letterhead, header and footer.
    data = encrypted(bank_pdf(bank, txns, opening, rows_per_page=20), PASSWORD)
    preview = await upload(client, user, data, "statement.pdf", password=PASSWORD)
    rows = await all_rows(client, user, preview["id"])
    # Computed from the transactions the PDF was written from, not from the parser.
    want_debits = sum((t.debit for t in txns if t.debit), Decimal(0))
    want_credits = sum((t.credit for t in txns if t.credit), Decimal(0))
    assert preview["counts"] == {
        "rows": 45, "new": 45, "duplicate": 0, "possible_duplicate": 0, "error": 0
    }  # fmt: skip
    assert sums(rows) == (want_debits, want_credits)
    assert Decimal(str(preview["opening_balance"])) == opening
    assert Decimal(str(preview["closing_balance"])) == opening + want_credits - want_debits
    assert preview["number_last4"] == "1234" and preview["card_summary"] is None
    # A wrapped narration is read whole, and the footer is in no row.
    assert rows[1]["narration"] == txns[1].narration
    assert not any("Page" in row["narration"] for row in rows)
    assert [row["date"] for row in rows] == [t.day.isoformat() for t in txns]


FIGURES = CardFigures(
    statement_date=dt.date(2026, 5, 3),
    due_date=dt.date(2026, 5, 23),
    total_due=Decimal("18250.75"),
    minimum_due=Decimal("912.54"),
    credit_limit=Decimal("150000.00"),
    available_limit=Decimal("131749.25"),
    previous_balance=Decimal("7120.00"),
)


def card_txns() -> list[Txn]:
    return [
        Txn(dt.date(2026, 4, 5), "AMAZON PAY INDIA BANGALORE", debit=Decimal("2499.00")),
        Txn(dt.date(2026, 4, 7), "PAYMENT RECEIVED - THANK YOU", credit=Decimal("7120.00")),
        Txn(dt.date(2026, 4, 9), "SWIGGY BANGALORE", debit=Decimal("612.40")),
        Txn(dt.date(2026, 4, 12), "REFUND AMAZON PAY INDIA", credit=Decimal("499.00")),
        Txn(dt.date(2026, 4, 15), "EMI PRINCIPAL 3/12 LAPTOP", debit=Decimal("4166.67")),
        Txn(dt.date(2026, 4, 15), "EMI INTEREST 3/12 LAPTOP", debit=Decimal("312.50")),
        Txn(dt.date(2026, 4, 20), "LATE PAYMENT FEE", debit=Decimal("500.00")),
        Txn(dt.date(2026, 4, 20), "IGST ON FEES", debit=Decimal("90.00")),
        Txn(dt.date(2026, 5, 2), "FINANCE CHARGES", debit=Decimal("1250.18")),
    ]


@pytest.mark.parametrize("issuer", sorted(CARD_HEADERS))
async def test_each_card_pdf_gives_its_rows_and_keeps_its_summary(client, user, issuer):
    txns = card_txns()
    data = encrypted(card_pdf(issuer, "4375 XXXX XXXX 5678", txns, FIGURES), PASSWORD)
    preview = await upload(client, user, data, "card.pdf", password=PASSWORD)
    assert preview["format"] == f"{issuer}_card" and preview["number_last4"] == "5678"
    rows = await all_rows(client, user, preview["id"])
    # Charges (purchases, EMI, fee, tax, interest) are debits; the payment and refund credits.
    assert sums(rows) == (
        Decimal("2499.00") + Decimal("612.40") + Decimal("4166.67") + Decimal("312.50")
        + Decimal("500.00") + Decimal("90.00") + Decimal("1250.18"),
        Decimal("7120.00") + Decimal("499.00"),
    )  # fmt: skip
    want = {
        "statement_date": "2026-05-03",
        "due_date": "2026-05-23",
        "total_due": 18250.75,
        "minimum_due": 912.54,
        "credit_limit": 150000.0,
        "available_limit": 131749.25,
        "previous_balance": 7120.0,
    }
    assert preview["card_summary"] == want
    assert (await get(client, user, f"/api/imports/{preview['id']}"))["card_summary"] == want
    card = await get(client, user, f"/api/accounts/{preview['account_id']}")
    assert card["kind"] == "credit_card" and card["number_last4"] == "5678"


async def test_a_wrong_or_missing_password_is_a_422_and_the_password_is_nowhere(
    client, user, db, caplog
):
    caplog.set_level(logging.DEBUG)
    data = encrypted(bank_pdf("hdfc", month_of_txns(5), Decimal("100.00")), PASSWORD)
    wrong = "Wrong-Secret-77"
    r = await client.post(
        "/api/imports",
        headers=user.headers,
        files={"file": ("s.pdf", data)},
        data={"password": wrong},
    )
    assert r.status_code == 422 and r.json()["code"] == "pdf_password", r.text
    assert r.json()["detail"][0]["loc"] == ["body", "password"]
    r = await client.post("/api/imports", headers=user.headers, files={"file": ("s.pdf", data)})
    assert r.status_code == 422 and r.json()["code"] == "pdf_password_required", r.text
    assert r.json()["detail"][0]["loc"] == ["body", "password"]
    preview = await upload(client, user, data, "s.pdf", password=PASSWORD)
    listed = await client.get("/api/imports", headers=user.headers)
    stored = str(await db.imports.find().to_list(None))
    stored += str(await db.idempotency_keys.find().to_list(None))
    for secret in (wrong, PASSWORD):
        assert secret not in r.text and secret not in listed.text and secret not in str(preview)
        assert secret not in logged(caplog) and secret not in stored


async def test_a_scanned_pdf_is_a_415_and_another_banks_pdf_a_422(client, user):
    r = await client.post(
        "/api/imports", headers=user.headers, files={"file": ("scan.pdf", scanned_pdf())}
    )
    assert (r.status_code, r.json()["code"]) == (415, "pdf_scanned"), r.text
    assert "scanned" in r.json()["detail"]
    # A PDF whose table is no layout we know (a made-up bank's "Particulars | Amount").
    from fpdf import FPDF

    doc = FPDF()
    doc.add_page()
    doc.set_font("Helvetica", size=8)
    for cells in (("When", "Particulars", "Money"), ("01/04/2026", "TEA", "20.00")):
        for text in cells:
            doc.cell(50, 5, text)
        doc.ln()
    r = await client.post(
        "/api/imports", headers=user.headers, files={"file": ("x.pdf", bytes(doc.output()))}
    )
    assert (r.status_code, r.json()["code"]) == (422, "unknown_layout"), r.text
    assert (await get(client, user, "/api/imports"))["total"] == 0


async def test_the_number_in_the_pdf_picks_the_account_or_contradicts_it(client, user):
    savings = await account(client, user, "HDFC salary", number_last4="1234")
    other = await account(client, user, "SBI", number_last4="9999")
    data = bank_pdf("hdfc", month_of_txns(4), Decimal("10.00"))
    preview = await upload(client, user, data, "s.pdf")
    assert preview["account_id"] == savings["id"] and preview["account_created"] is False
    r = await client.post(
        "/api/imports",
        headers=user.headers,
        files={"file": ("s.pdf", data)},
        data={"account_id": other["id"]},
    )
    assert (r.status_code, r.json()["code"]) == (422, "account_mismatch"), r.text
    assert r.json()["detail"][0]["loc"] == ["body", "account_id"]


async def test_a_pdf_over_the_page_limit_is_a_413(client, user):
    from fpdf import FPDF

    doc = FPDF()
    doc.set_font("Helvetica", size=8)
    for page in range(201):
        doc.add_page()
        doc.cell(50, 5, f"page {page}")
    r = await client.post(
        "/api/imports", headers=user.headers, files={"file": ("big.pdf", bytes(doc.output()))}
    )
    assert (r.status_code, r.json()["code"]) == (413, "pdf_too_many_pages"), r.text


def hdfc_xls(txns: list[Txn], opening: Decimal) -> bytes:
    """The same month as HDFC's XLS download prints it."""
    head = [
        ["HDFC BANK Ltd."],
        ["Account No :", "XXXXXXXX1234"],
        ["Statement From :", f"{txns[0].day:%d/%m/%Y}", "To :", f"{txns[-1].day:%d/%m/%Y}"],
        ["Date", "Narration", "Chq./Ref.No.", "Value Dt", "Withdrawal Amt.", "Deposit Amt.",
         "Closing Balance"],
    ]  # fmt: skip
    balance, body = opening, []
    for t in txns:
        balance += (t.credit or 0) - (t.debit or 0)
        day = f"{t.day:%d/%m/%y}"
        debit = f"{t.debit:,.2f}" if t.debit else ""
        credit = f"{t.credit:,.2f}" if t.credit else ""
        body.append([day, t.narration, t.reference, day, debit, credit, f"{balance:,.2f}"])
    return xls_bytes(head + body)


async def test_the_same_month_from_the_xls_and_the_pdf_is_counted_once(client, user):
    txns, opening = month_of_txns(), Decimal("50000.00")
    first = await upload(client, user, hdfc_xls(txns, opening), "statement.xls")
    assert first["format"] == "hdfc_xls" and first["counts"]["new"] == 45
    await client.post(f"/api/imports/{first['id']}/commit", headers=user.headers)
    pdf = encrypted(bank_pdf("hdfc", txns, opening, rows_per_page=20), PASSWORD)
    second = await upload(client, user, pdf, "statement.pdf", password=PASSWORD)
    assert second["account_id"] == first["account_id"]
    assert second["counts"]["new"] == 0 and second["counts"]["duplicate"] == 45
