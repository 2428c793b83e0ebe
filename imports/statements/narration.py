"""Reading an Indian bank narration: channel, counterparty, UPI/UTR reference.

Families covered (real shapes in LAYOUTS.md):

* UPI, hyphenated (HDFC): ``UPI-<NAME>-<VPA>-<IFSC>-<RRN>-<note>``
* UPI, slashed: SBI ``WDL TFR UPI/DR/<RRN>/<name>/<bank>/<VPA>/<note>`` (and ``DEP TFR
  UPI/CR/...``, ``TO TRANSFER-UPI/DR/...``), ICICI ``UPI/<RRN>/<note>/<VPA>/<bank>/<id>``,
  Axis ``UPI/P2M/<RRN>/<merchant>/<note>/<bank>`` and ``UPI/P2A/...``, Kotak
  ``UPI/<name>/<RRN>/<note>``
* NEFT/RTGS: HDFC ``NEFT CR-<IFSC>-<REMITTER>-<BENEFICIARY>-<UTR>``, ``NEFT DR-<IFSC>-
  <BENEFICIARY>-NETBANK, MUM-<UTR>-<note>``, ``RTGS DR-...``; Axis ``NEFT/<UTR>/<name>/
  <bank>/...``; SBI ``NEFT*<IFSC>*<UTR>*<name>``; ICICI ``NEFT-<UTR>-<name>-...``
* IMPS: HDFC ``IMPS-<RRN>-<name>-<bank>-<account>-<note>``, ICICI ``MMT/IMPS/<RRN>/<note>/
  <name>/<IFSC>``, Axis ``IMPS/P2A/<RRN>/<name>/<bank>/...``
* ATM (``ATW-``, ``NWD-``, ``EAW-``, ``ATM WDL``, ``NFS/CASH WDL``), card POS (``POS
  512967XXXXXX1234 DMART HYDERABAD``), ACH/NACH/ECS debits (``ACH D- <LENDER>-<ref>``,
  ``NACH-DR-<LENDER>-<ref>``), cheques, credit-card bill payments, salary (``SALARY``,
  ``SAL``) and interest (``INT.PD``, ``Int.Pd``, ``CREDIT INTEREST``).

Salary wins over the rail it came on (a "NEFT CR-...-SALARY JAN" is channel "salary", with
the NEFT payee and UTR still read), because that is what the app needs to know.
"""

from __future__ import annotations

import re
import unicodedata

from .model import Narration
from .names import CARD, EMPTY_WORDS, IFSC, VPA, clean_name
from .rails import read_rail

_PREFIX = re.compile(
    r"^(?:(?:BY|TO)\s+TRANSFER\s*-?\s*|(?:WDL|DEP)\s+TFR\s+|REV(?:ERSAL)?\s*-\s*)+",
    re.IGNORECASE,
)
_SALARY = re.compile(r"\bSALARY\b|\bSAL\b|\bSAL\s*CR\b|\bSALARY\s*CR", re.IGNORECASE)
_INTEREST = re.compile(
    r"\bINT\.?\s*PD\b|\bCREDIT\s+INTEREST\b|\bINTEREST\s+(?:PAID|CREDIT|CAPITALI[SZ]ED)\b"
    r"|\bSB\s*INT\b|\bINT\s+CREDIT\b",
    re.IGNORECASE,
)


def parse_narration(text: str) -> Narration:
    raw = " ".join((text or "").split())
    body = _PREFIX.sub("", raw).strip().rstrip("-").strip()
    upper = body.upper()
    parsed = read_rail(body, upper) or Narration(raw, "other")
    if _SALARY.search(raw) and parsed.channel in {"other", "neft", "imps", "rtgs", "upi"}:
        parsed = Narration(raw, "salary", parsed.payee, parsed.vpa, parsed.reference,
                           parsed.bank, parsed.note)  # fmt: skip
    elif parsed.channel == "other" and _INTEREST.search(raw):
        parsed = Narration(raw, "interest")
    if parsed.raw != raw:
        parsed = Narration(raw, parsed.channel, parsed.payee, parsed.vpa, parsed.reference,
                           parsed.bank, parsed.note)  # fmt: skip
    return parsed


_FALLBACK_TITLES = {
    "atm": "Cash withdrawal",
    "interest": "Interest",
    "salary": "Salary",
    "cheque": "Cheque",
    "card": "Credit card payment",
}


def title_for(narration: Narration | str) -> str:
    """A short row title: the payee/merchant when known, else a channel word or a few
    cleaned words of the narration. Never the raw narration (which carries card numbers,
    RRNs and IFSCs)."""
    parsed = narration if isinstance(narration, Narration) else parse_narration(narration)
    if parsed.payee:
        return parsed.payee[:60]
    if parsed.channel in _FALLBACK_TITLES:
        return _FALLBACK_TITLES[parsed.channel]
    if parsed.channel == "upi":
        return clean_name(parsed.note) or parsed.vpa or "UPI payment"
    text = VPA.sub(" ", CARD.sub(" ", parsed.raw))
    words: list[str] = []
    for token in re.split(r"[\s\-/*:|,()]+", text):
        if not token or IFSC.match(token.upper()) or sum(c.isdigit() for c in token) >= 4:
            continue
        if token.upper() in EMPTY_WORDS or not any(c.isalpha() for c in token):
            continue
        words.append(token)
        if len(words) == 4:
            break
    return (clean_name(" ".join(words)) or "Bank transaction")[:40]


def normalise_narration(text: str) -> str:
    """The narration as a fingerprint sees it: Unicode NFKC, upper case, every run of
    punctuation and whitespace collapsed to one space, trimmed.

    Digits are kept on purpose: they carry the RRN/UTR/cheque number that tells two
    same-amount payments apart, and they do not change between two downloads of the same
    statement. What does change between downloads (column padding in HDFC's delimited
    export, line wrapping, "-" vs "/" choices between export formats) is exactly what this
    removes.
    """
    folded = unicodedata.normalize("NFKC", text or "").upper()
    return " ".join(re.sub(r"[^0-9A-Z@]+", " ", folded).split())
