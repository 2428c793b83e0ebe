"""The bank layouts we recognise, by their header rows. Sources and samples: LAYOUTS.md.

Header texts are compared after ``tables.header_key`` (lowercase letters and digits only),
so "Chq./Ref.No." is "chqrefno" and "Withdrawal Amount (INR )" is "withdrawalamountinr".
A format may have several variants (Axis and Kotak changed their downloads over time).
"""

from __future__ import annotations

from .tables import Column, Layout


def _col(role: str, *names: str, required: bool = True) -> Column:
    return Column(role, names, required)


HDFC_CSV = Layout(
    "hdfc_csv",
    "HDFC delimited CSV (Date, Narration, Value Dat, Debit Amount, Credit Amount, "
    "Chq/Ref Number, Closing Balance)",
    (
        _col("date", "date"),
        _col("narration", "narration"),
        _col("value_date", "valuedat", "valuedate"),
        _col("debit", "debitamount"),
        _col("credit", "creditamount"),
        _col("reference", "chqrefnumber", "chqrefno"),
        _col("balance", "closingbalance"),
    ),
    ("%d/%m/%y", "%d/%m/%Y"),
)

HDFC_XLS = Layout(
    "hdfc_xls",
    "HDFC XLS (Date, Narration, Chq./Ref.No., Value Dt, Withdrawal Amt., Deposit Amt., "
    "Closing Balance)",
    (
        _col("date", "date"),
        _col("narration", "narration"),
        _col("reference", "chqrefno", "chqrefnumber"),
        _col("value_date", "valuedt", "valuedate"),
        _col("debit", "withdrawalamt", "withdrawalamount"),
        _col("credit", "depositamt", "depositamount"),
        _col("balance", "closingbalance"),
    ),
    ("%d/%m/%y", "%d/%m/%Y"),
)

ICICI_XLS = Layout(
    "icici_xls",
    "ICICI (S No., Value Date, Transaction Date, Cheque Number, Transaction Remarks, "
    "Withdrawal Amount (INR ), Deposit Amount (INR ), Balance (INR ))",
    (
        _col("serial", "sno", "srno", "slno", required=False),
        _col("value_date", "valuedate", required=False),
        _col("date", "transactiondate"),
        _col("reference", "chequenumber", "chequeno", required=False),
        _col("narration", "transactionremarks"),
        _col("debit", "withdrawalamountinr", "withdrawalamount"),
        _col("credit", "depositamountinr", "depositamount"),
        _col("balance", "balanceinr", "balance"),
    ),
    ("%d/%m/%Y", "%d-%m-%Y", "%d-%b-%Y", "%d/%m/%y"),
)

SBI = Layout(
    "sbi",
    "SBI (Txn Date, Value Date, Description, Ref No./Cheque No., [Branch Code,] Debit, "
    "Credit, Balance)",
    (
        _col("date", "txndate"),
        _col("value_date", "valuedate", required=False),
        _col("narration", "description"),
        _col("reference", "refnochequeno", "refno"),
        _col("branch", "branchcode", required=False),
        _col("debit", "debit"),
        _col("credit", "credit"),
        _col("balance", "balance"),
    ),
)

AXIS_CSV = Layout(
    "axis",
    "Axis (Tran Date, CHQNO, PARTICULARS, DR, CR, BAL, SOL)",
    (
        _col("date", "trandate"),
        _col("value_date", "valuedate", required=False),
        _col("reference", "chqno", "chequeno"),
        _col("narration", "particulars"),
        _col("debit", "dr", "debit"),
        _col("credit", "cr", "credit"),
        _col("balance", "bal", "balance"),
        _col("branch", "sol", "initbr", required=False),
    ),
    ("%d-%m-%Y", "%d/%m/%Y", "%d-%m-%y"),
)

AXIS_XLS = Layout(
    "axis",
    "Axis (S.No, Transaction Date (dd/mm/yyyy), Value Date (dd/mm/yyyy), Particulars, "
    "Amount(INR), Debit/Credit, Balance(INR), Cheque Number, Branch Name(SOL))",
    (
        _col("serial", "sno", "slno", required=False),
        _col("date", "transactiondateddmmyyyy", "trandate"),
        _col("value_date", "valuedateddmmyyyy", "valuedate", required=False),
        _col("narration", "particulars", "transactionparticulars"),
        _col("amount", "amountinr"),
        _col("drcr", "debitcredit", "drcr"),
        _col("balance", "balanceinr"),
        _col("reference", "chequenumber", "chqno", required=False),
        _col("branch", "branchnamesol", required=False),
    ),
    ("%d/%m/%Y", "%d-%m-%Y"),
)

KOTAK_AMOUNT = Layout(
    "kotak",
    "Kotak (Sl. No., Transaction Date, Value Date, Description, Chq / Ref No., Amount, "
    "Dr / Cr, Balance, Dr / Cr)",
    (
        _col("serial", "slno"),
        _col("date", "transactiondate", "date"),
        _col("value_date", "valuedate", required=False),
        _col("narration", "description", "narration"),
        _col("reference", "chqrefno", "chqrefnumber"),
        _col("amount", "amount"),
        _col("drcr", "drcr"),
        _col("balance", "balance"),
        _col("balance_drcr", "drcr", required=False),
    ),
    ("%d-%m-%Y", "%d/%m/%Y", "%d-%m-%y"),
)

KOTAK_SPLIT = Layout(
    "kotak",
    "Kotak (Date, Narration, Chq/Ref No., Withdrawal (Dr), Deposit (Cr), Balance)",
    (
        _col("date", "date", "transactiondate"),
        _col("value_date", "valuedate", required=False),
        _col("narration", "narration", "description"),
        _col("reference", "chqrefno", "chqrefnumber"),
        _col("debit", "withdrawaldr"),
        _col("credit", "depositcr"),
        _col("balance", "balance"),
    ),
    ("%d-%m-%Y", "%d/%m/%Y", "%d-%m-%y"),
)

BANK_LAYOUTS: tuple[Layout, ...] = (
    HDFC_CSV,
    HDFC_XLS,
    ICICI_XLS,
    SBI,
    AXIS_CSV,
    AXIS_XLS,
    KOTAK_AMOUNT,
    KOTAK_SPLIT,
)


def layouts_for(format: str | None) -> tuple[Layout, ...]:
    """Bank layouts to try: all of them, or only the forced format's variants."""
    if format is None:
        return BANK_LAYOUTS
    return tuple(layout for layout in BANK_LAYOUTS if layout.format == format)


def expected_layouts_text() -> str:
    return "; ".join(layout.label for layout in BANK_LAYOUTS)
