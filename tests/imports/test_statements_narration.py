"""Narration families seen in Indian statements (shapes in statements/LAYOUTS.md)."""

from __future__ import annotations

import pytest

from imports.statements import normalise_narration, parse_narration, title_for

# narration, channel, payee, vpa, reference, bank
CASES = [
    # HDFC UPI: UPI-<NAME>-<VPA>-<IFSC>-<RRN>-<note>
    ("UPI-SWIGGY-SWIGGY.ORDER@ICICI-ICIC0DC0099-603412345678-PAYMENT",
     "upi", "Swiggy", "SWIGGY.ORDER@ICICI", "603412345678", "ICIC0DC0099"),
    # HDFC UPI where the "name" is a number: payee from a merchant-like VPA handle
    ("UPI-1000129101465-OLACABS@AXISBANK-909120443666-OLACABS",
     "upi", "Olacabs", "OLACABS@AXISBANK", "909120443666", None),
    # VPA containing a hyphen
    ("UPI-PAYTM STORE-PAYTM-79496683@PAYTM-PYTM0123456-412312345678-UPI",
     "upi", "Paytm Store", "PAYTM-79496683@PAYTM", "412312345678", "PYTM0123456"),
    # SBI: WDL TFR / DEP TFR UPI/DR|CR/<RRN>/<name>/<bank>/<VPA>/<note>
    ("WDL TFR UPI/DR/412345678901/SWIGGY/YESB/swiggy8@ybl/Paymen",
     "upi", "Swiggy", "swiggy8@ybl", "412345678901", "YESB"),
    ("DEP TFR UPI/CR/412345678902/RAHUL SHARMA/SBIN/rahul.s@oksbi/rent",
     "upi", "Rahul Sharma", "rahul.s@oksbi", "412345678902", "SBIN"),
    ("TO TRANSFER-UPI/DR/400212345678/SWIGGY/YESB/swiggy8@ybl/Paymen--",
     "upi", "Swiggy", "swiggy8@ybl", "400212345678", "YESB"),
    # ICICI: UPI/<RRN>/<note>/<VPA>/<bank>/<id> (no name: payee from the VPA handle)
    ("UPI/309181704783/UPI/prmd.sh7@okhdfc/HDFC BANK LTD/ICI7de43fa40188479e9baf883d6",
     "upi", "Prmd Sh", "prmd.sh7@okhdfc", "309181704783", "HDFC BANK LTD"),
    ("UPI/365744674436/NA/ombk.AACK85179g/Amazon Private",
     "upi", None, None, "365744674436", "Amazon Private"),
    # Axis: UPI/P2M/<RRN>/<merchant>/<note>/<bank>, UPI/P2A/<RRN>/<name>/...
    ("UPI/P2M/412345678903/ZOMATO LIMITED/Pay/HDFC BANK",
     "upi", "Zomato Limited", None, "412345678903", "HDFC BANK"),
    ("UPI/P2A/412345678904/PRIYA NAIR/dinner/ICICI Bank",
     "upi", "Priya Nair", None, "412345678904", "ICICI Bank"),
    # Kotak: UPI/<name>/<RRN>/<note>
    ("UPI/Nikhil Kumar Si/615762270582/UPI", "upi", "Nikhil Kumar Si", None, "615762270582", None),
    # NEFT credit: remitter may itself contain hyphens
    ("NEFT CR-CITI0000002-OGS (INDIA) PVT LTD (G3-ITP-2)-VEMULA  DHEERAJ-CITIN52025082917691328",
     "neft", "Ogs (India) Pvt Ltd (G3-Itp-2)", None, "CITIN52025082917691328", "CITI0000002"),
    ("NEFT DR-BARB0VJSHAS-RAKESH KUMAR-NETBANK, MUM-N062241234567890-RENT",
     "neft", "Rakesh Kumar", None, "N062241234567890", "BARB0VJSHAS"),
    ("BY TRANSFER-NEFT*HDFC0000123*N123456789*RAHUL SHARMA--",
     "neft", "Rahul Sharma", None, "N123456789", "HDFC0000123"),
    ("NEFT/HDFCH00395034887/MARUTI SUZUKI INDIA LTD/HDFC BANK/0001173122",
     "neft", "Maruti Suzuki India Ltd", None, "HDFCH00395034887", "HDFC BANK"),
    ("RTGS DR-SBIN0001234-SHARMA BUILDERS-NETBANK, MUM-HDFCR52024011512345678-FLAT",
     "rtgs", "Sharma Builders", None, "HDFCR52024011512345678", "SBIN0001234"),
    ("RTGS CR-UTIB0000123-ACME EXPORTS LTD-RAVI KUMAR-UTIBR52024020212345678",
     "rtgs", "Acme Exports Ltd", None, "UTIBR52024020212345678", "UTIB0000123"),
    # IMPS
    ("IMPS-412345678905-ANIL KUMAR-HDFC-XXXXXXXX1234-LOAN",
     "imps", "Anil Kumar", None, "412345678905", "HDFC"),
    ("MMT/IMPS/309109865766/NA/AKASH YELL/HDFC0000443",
     "imps", "Akash Yell", None, "309109865766", "HDFC0000443"),
    ("IMPS/P2A/511110688643/SHUBHANG/ICICIBAN/IMPSTran/9198817299869229798",
     "imps", "Shubhang", None, "511110688643", "ICICIBAN"),
    # ATM
    ("ATW-421424XXXXXX7648-S1ANBY92-DAHANU BRANCH", "atm", None, None, None, None),
    ("NWD-421424XXXXXX7648-SW002801-MUMBAI", "atm", None, None, None, None),
    ("ATM WDL ATM CASH 4321 MG ROAD BANGALORE--", "atm", None, None, None, None),
    ("NFS/CASH WDL/329418001396/16534101/NORTH EAS/21-10", "atm", None, None, None, None),
    # Card at a shop
    ("POS 512967XXXXXX1234 DMART HYDERABAD", "pos", "Dmart Hyderabad", None, None, None),
    ("POS 438628XXXXXX1234 AMAZON PAY INDIA", "pos", "Amazon Pay India", None, None, None),
    # Mandates, where EMIs arrive
    ("ACH D- BAJAJ FINANCE LTD-P402PHR1234567", "ach", "Bajaj Finance Ltd", None,
     "P402PHR1234567", None),
    ("NACH-DR-HDFC BANK LTD-LN12345678", "nach", "HDFC Bank Ltd", None, "LN12345678", None),
    ("ECS/TATA CAPITAL/TCFPL0012345", "ecs", "Tata Capital", None, "TCFPL0012345", None),
    ("DEBIT-ACHDr HDFC0000001 HDFC BANK LTD LN987654--", "ach", "HDFC Bank Ltd", None,
     "LN987654", "HDFC0000001"),
    # Salary, interest, cheques, card bills
    ("SALARY JAN 2024 ACME TECH", "salary", None, None, None, None),
    ("NEFT CR-HDFC0000240-ACME TECHNOLOGIES PVT LTD SALARY-RAVI KUMAR-HDFCN52024010212345678",
     "salary", "Acme Technologies Pvt Ltd Salary", None, "HDFCN52024010212345678",
     "HDFC0000240"),
    ("SAL CR ACME TECHNOLOGIES FEB", "salary", None, None, None, None),
    ("SB:923010008070086:Int.Pd:01-01-2025 to 31-03-2025", "interest", None, None, None, None),
    ("INT.PD 01-01-24 TO 31-03-24", "interest", None, None, None, None),
    ("CREDIT INTEREST--", "interest", None, None, None, None),
    ("CHQ PAID-MICR CTS-MUMBAI CLEAR", "cheque", None, None, None, None),
    ("CC 000185432XXXXXX5274 Autopay SI-TAD", "card", None, None, None, None),
    ("BILL PAID TO CREDIT CARD XX0488", "card", None, None, None, None),
    # Not a mandate: "ACH" inside a word
    ("ACHIEVERS CLUB FEES", "other", None, None, None, None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "channel", "payee", "vpa", "reference", "bank"), CASES)
def test_narration_families(text, channel, payee, vpa, reference, bank):
    parsed = parse_narration(text)
    assert (parsed.channel, parsed.payee, parsed.vpa, parsed.reference, parsed.bank) == (
        channel, payee, vpa, reference, bank,
    )  # fmt: skip
    assert parsed.raw == " ".join(text.split())


def test_notes_are_kept():
    assert parse_narration("UPI-SWIGGY-SWIGGY@ICICI-ICIC0DC0099-603412345678-ORDER 22").note == (
        "ORDER 22"
    )
    assert parse_narration("UPI/P2A/412345678904/PRIYA NAIR/dinner/ICICI Bank").note == "dinner"
    assert parse_narration("ATW-421424XXXXXX7648-S1ANBY92-DAHANU BRANCH").note == "DAHANU BRANCH"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("UPI-SWIGGY-SWIGGY.ORDER@ICICI-ICIC0DC0099-603412345678-PAYMENT", "Swiggy"),
        ("ATW-421424XXXXXX7648-S1ANBY92-DAHANU BRANCH", "Cash withdrawal"),
        ("INT.PD 01-01-24 TO 31-03-24", "Interest"),
        ("SALARY JAN 2024 ACME TECH", "Salary"),
        ("CHQ PAID-MICR CTS-MUMBAI CLEAR", "Cheque"),
        ("UPI/365744674436/NA/ombk.AACK85179g/Amazon Private", "UPI payment"),
        ("UPI/329255735849/Oid22216832403@/8744070@paytm/Pay", "8744070@paytm"),
        # Unknown shape: a few cleaned words, without the numbers
        ("NBSM/96863804/CRED(RAZORPAY)/", "Nbsm Cred Razorpay"),
        ("MHDF3308536362/BILLDKVODAFONEINDIAL", "Billdkvodafoneindial"),
        ("", "Bank transaction"),
    ],
)
def test_titles_never_echo_the_raw_narration(text, title):
    assert title_for(text) == title
    assert title_for(parse_narration(text)) == title


def test_title_never_contains_card_numbers_or_rrns():
    title = title_for("CARD 512967XXXXXX1234 AT SOME PLACE 400112345678 REF")
    assert "XXXX" not in title and "400112345678" not in title


def test_normalise_narration():
    # Case, padding and punctuation differences between exports vanish; digits stay.
    assert normalise_narration("  upi-Swiggy-swiggy@icici   ") == "UPI SWIGGY SWIGGY@ICICI"
    assert normalise_narration("NEFT DR-BARB0VJSHAS-RAKESH KUMAR-NETBANK, MUM") == (
        "NEFT DR BARB0VJSHAS RAKESH KUMAR NETBANK MUM"
    )
    assert normalise_narration("TEA 20") != normalise_narration("TEA 21")
    assert normalise_narration("ＵＰＩ") == "UPI"  # full-width letters fold (NFKC)
