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
from dataclasses import dataclass

CHANNELS = (
    "upi",
    "neft",
    "imps",
    "rtgs",
    "atm",
    "pos",
    "ach",
    "nach",
    "ecs",
    "cheque",
    "salary",
    "interest",
    "card",
    "other",
)


@dataclass(frozen=True)
class Narration:
    """What a narration says. ``reference`` is the UPI RRN (12 digits) or the
    NEFT/RTGS UTR or IMPS RRN; ``bank`` is the counterparty's bank as written (a name,
    a bank code such as "YESB" or an IFSC)."""

    raw: str
    channel: str
    payee: str | None = None
    vpa: str | None = None
    reference: str | None = None
    bank: str | None = None
    note: str | None = None


_RRN = re.compile(r"^\d{12}$")
_IFSC = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
_UTR = re.compile(r"^(?:[A-Z]{4}[A-Z0-9]\d{6,}[A-Z0-9]*|[A-Z]\d{8,}|\d{10,22})$")
_VPA = re.compile(r"[A-Za-z0-9._-]+@\s?[A-Za-z][A-Za-z0-9.-]*")
_CARD = re.compile(r"\b\d{4,6}X{4,}\d{4}\b|\bX{4,}\d{4}\b", re.IGNORECASE)
_EMPTY_WORDS = {"NA", "N/A", "NULL", "UPI", "NONE", "-", "", "PAY", "PAYMENT"}
_MARKERS = {"DR", "CR", "P2M", "P2A", "P2P", "DEBIT", "CREDIT"}
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
_MANDATE = re.compile(
    r"^(?:DEBIT-|CREDIT-)?(NACH|ACH|ECS)"
    r"(?:[\s/-]*(?:DR|CR|DEBIT|CREDIT|D|C)(?![A-Z])|(?![A-Z]))[\s/-]*"
)
_ACRONYMS = {"HDFC", "SBI", "ICICI", "IRCTC", "LIC", "BSES", "HPCL", "BPCL", "IOCL", "NEFT"}


def parse_narration(text: str) -> Narration:
    raw = " ".join((text or "").split())
    body = _PREFIX.sub("", raw).strip().rstrip("-").strip()
    upper = body.upper()
    parsed = (
        _upi(body, upper)
        or _imps(body, upper)
        or _neft_rtgs(body, upper)
        or _atm(body, upper)
        or _pos(body, upper)
        or _mandate(body, upper)
        or _card_bill(body, upper)
        or _cheque(body, upper)
        or Narration(raw, "other")
    )
    if _SALARY.search(raw) and parsed.channel in {"other", "neft", "imps", "rtgs", "upi"}:
        parsed = Narration(raw, "salary", parsed.payee, parsed.vpa, parsed.reference,
                           parsed.bank, parsed.note)  # fmt: skip
    elif parsed.channel == "other" and _INTEREST.search(raw):
        parsed = Narration(raw, "interest")
    if parsed.raw != raw:
        parsed = Narration(raw, parsed.channel, parsed.payee, parsed.vpa, parsed.reference,
                           parsed.bank, parsed.note)  # fmt: skip
    return parsed


def _clean(value: str | None) -> str | None:
    """A person or merchant name, title-cased; None for placeholders and number soup."""
    if not value:
        return None
    text = " ".join(value.replace("_", " ").split()).strip(" -/*.,:")
    if text.upper() in _EMPTY_WORDS or "@" in text:
        return None
    letters = sum(ch.isalpha() for ch in text)
    digits = sum(ch.isdigit() for ch in text)
    if letters < 2 or digits > letters:
        return None
    return re.sub(r"[A-Za-z]+", _capitalise, text)


def _capitalise(match: re.Match[str]) -> str:
    word = match.group(0)
    return word.upper() if word.upper() in _ACRONYMS else word[:1].upper() + word[1:].lower()


def _payee_from_vpa(vpa: str | None) -> str | None:
    """A merchant-like VPA handle ("swiggy8", "swiggy.stores") as a name; personal or
    machine handles (phone numbers, "paytmqr28100505...") give None."""
    if not vpa:
        return None
    handle = vpa.split("@")[0].lower()
    if not re.fullmatch(r"[a-z]+(?:[._-][a-z]+)*\d{0,3}", handle) or handle.startswith("paytmqr"):
        return None
    return _clean(re.sub(r"[._-]", " ", re.sub(r"\d+$", "", handle)))


def _vpa_in(tokens: list[str]) -> str | None:
    for token in tokens:
        found = _VPA.search(token)
        if found:
            return found.group(0).replace(" ", "")
    return None


def _bank_like(token: str) -> bool:
    upper = token.upper().strip()
    return bool(
        "BANK" in upper
        or _IFSC.match(upper)
        or re.fullmatch(r"[A-Z]{4}", upper)
        or re.fullmatch(r"[A-Z]{4,8}BAN", upper)
    )


def _meaningful(token: str | None) -> str | None:
    if token is None:
        return None
    text = " ".join(token.split())
    return None if text.upper() in _EMPTY_WORDS else text


def _upi(body: str, upper: str) -> Narration | None:
    hyphen = re.search(r"(?:^|[\s/-])UPI-", upper)
    slash = upper.find("UPI/")
    if hyphen and (slash < 0 or hyphen.start() < slash):
        return _upi_hyphen(body[upper.index("UPI-", hyphen.start()) :])
    if slash >= 0:
        return _upi_slash(body[slash:])
    return None


def _upi_hyphen(text: str) -> Narration:
    parts = [p.strip() for p in text.split("-")]
    vpa_at = next((i for i, p in enumerate(parts) if i >= 1 and "@" in p), None)
    rrn_at = next((i for i, p in enumerate(parts) if i >= 2 and _RRN.match(p)), None)
    ifsc_at = next(
        (i for i, p in enumerate(parts) if i > (vpa_at or 1) and _IFSC.match(p.upper())), None
    )
    # The name is one segment; anything between it and the "@" segment belongs to the VPA,
    # whose handle may contain hyphens ("paytm-79496683@paytm").
    name = parts[1] if len(parts) > 1 and vpa_at != 1 else None
    vpa = None
    if vpa_at is not None:
        end = ifsc_at if ifsc_at is not None else (rrn_at or vpa_at + 1)
        vpa = "-".join(parts[min(vpa_at, 2) : end]).replace(" ", "")
    note = _meaningful("-".join(parts[rrn_at + 1 :])) if rrn_at is not None else None
    payee = _clean(name) or _payee_from_vpa(vpa)
    return Narration(
        text,
        "upi",
        payee,
        vpa,
        parts[rrn_at] if rrn_at is not None else None,
        parts[ifsc_at].upper() if ifsc_at is not None else None,
        note,
    )


def _upi_slash(text: str) -> Narration:
    tokens = [t.strip() for t in text.split("/")][1:]
    while tokens and tokens[0].upper() in _MARKERS:
        tokens.pop(0)
    rrn_at = next((i for i, t in enumerate(tokens) if _RRN.match(t)), None)
    name = None
    note = None
    rest = tokens
    if rrn_at == 0:
        rest = tokens[1:]
        if len(rest) >= 2 and ("@" in rest[1] or rest[0].upper() in _EMPTY_WORDS):
            # ICICI: note, VPA (cut short, without "@", in long narrations), bank
            note, bank_at = _meaningful(rest[0]), 2
            vpa = _vpa_in(rest[1:2])
            bank = rest[bank_at] if len(rest) > bank_at else None
            return Narration(text, "upi", _payee_from_vpa(vpa), vpa, tokens[0], bank, note)
        elif rest:
            name, rest = rest[0], rest[1:]
    elif rrn_at is not None:  # Kotak and newer exports put the name before the RRN
        name, rest = tokens[0], tokens[1:rrn_at] + tokens[rrn_at + 1 :]
    vpa = _vpa_in(rest)
    leftovers = [t for t in rest if "@" not in t]
    bank = next((t for t in leftovers if _bank_like(t)), None)
    if note is None:
        note = next((_meaningful(t) for t in leftovers if t != bank and _meaningful(t)), None)
    payee = _clean(name) or _payee_from_vpa(vpa)
    return Narration(
        text, "upi", payee, vpa, tokens[rrn_at] if rrn_at is not None else None, bank, note
    )


def _imps(body: str, upper: str) -> Narration | None:
    if upper.startswith("IMPS-"):
        parts = [p.strip() for p in body.split("-")]
        rrn = parts[1] if len(parts) > 1 and re.fullmatch(r"\d{6,}", parts[1]) else None
        return Narration(
            body,
            "imps",
            _clean(parts[2]) if len(parts) > 2 else None,
            None,
            rrn,
            _meaningful(parts[3]) if len(parts) > 3 else None,
            _meaningful("-".join(parts[5:])) if len(parts) > 5 else None,
        )
    at = upper.find("IMPS/")
    if at < 0:
        return None
    tokens = [t.strip() for t in body[at:].split("/")][1:]
    while tokens and tokens[0].upper() in _MARKERS:
        tokens.pop(0)
    rrn = tokens[0] if tokens and re.fullmatch(r"\d{6,}", tokens[0]) else None
    rest = tokens[1:] if rrn else tokens
    if upper.startswith("MMT/IMPS"):  # ICICI: note, name, IFSC
        note, name, bank = [*rest, None, None, None][:3]
    else:  # Axis: name, bank, ...
        name, bank = [*rest, None, None][:2]
        note = None
    return Narration(body, "imps", _clean(name), None, rrn, _meaningful(bank), _meaningful(note))


def _neft_rtgs(body: str, upper: str) -> Narration | None:
    found = re.match(r"^(NEFT|RTGS)\b", upper)
    if not found:
        return None
    channel = found.group(1).lower()
    rest = body[found.end() :]
    if rest.startswith("*"):  # SBI: NEFT*<IFSC>*<UTR>*<name>
        parts = [p.strip() for p in rest.split("*")][1:]
        utr = next((p for p in parts if _UTR.match(p.upper()) and not _IFSC.match(p.upper())), None)
        name = next((p for p in parts if p != utr and not _IFSC.match(p.upper())), None)
        bank = next((p.upper() for p in parts if _IFSC.match(p.upper())), None)
        return Narration(body, channel, _clean(name), None, utr, bank)
    if rest.startswith("/"):  # Axis: NEFT/<UTR>/<name>/<bank>/...
        parts = [p.strip() for p in rest.split("/")][1:]
        utr = parts[0] if parts and _UTR.match(parts[0].upper()) else None
        others = parts[1:] if utr else parts
        name = others[0] if others else None
        bank = others[1] if len(others) > 1 else None
        return Narration(body, channel, _clean(name), None, utr, _meaningful(bank))
    parts = [p.strip() for p in body.split("-")]
    kind = parts[0].upper()
    ifsc_at = next((i for i, p in enumerate(parts) if i >= 1 and _IFSC.match(p.upper())), None)
    utr_at = next(
        (
            i
            for i, p in enumerate(parts)
            if i >= 1 and i != ifsc_at and _UTR.match(p.upper().replace(" ", ""))
        ),
        None,
    )
    bank = parts[ifsc_at].upper() if ifsc_at is not None else None
    reference = parts[utr_at].replace(" ", "") if utr_at is not None else None
    if ifsc_at is not None:
        start = ifsc_at + 1
        if kind.endswith("CR") and utr_at is not None and utr_at - start >= 2:
            # NEFT CR: remitter (may itself hold hyphens), beneficiary, UTR
            name = "-".join(parts[start : utr_at - 1])
        else:
            name = parts[start] if start < len(parts) else None
        note = _meaningful("-".join(parts[utr_at + 1 :])) if utr_at is not None else None
    else:  # ICICI: NEFT-<UTR>-<name>-...
        name = parts[utr_at + 1] if utr_at is not None and utr_at + 1 < len(parts) else None
        if name is None and len(parts) == 1:
            name = body[found.end() :]
        note = None
    return Narration(body, channel, _clean(name), None, reference, bank, note)


def _atm(body: str, upper: str) -> Narration | None:
    if re.match(r"^(ATW|NWD|EAW)-", upper):
        parts = [p.strip() for p in body.split("-")]
        return Narration(body, "atm", None, None, None, None, _meaningful(parts[-1]))
    if re.search(r"\bATM\s*(WDL|CASH|WITHDRAWAL)|\bCASH\s*(WDL|WITHDRAWAL)|^NFS/", upper):
        return Narration(body, "atm")
    return None


def _pos(body: str, upper: str) -> Narration | None:
    found = re.match(r"^(?:POS|PCD|VPS|IPS)[\s/]+", upper)
    if not found:
        return None
    rest = _CARD.sub(" ", body[found.end() :])
    rest = re.sub(r"^[\dX]{4,}\s+", "", rest.strip(), flags=re.IGNORECASE)
    pieces = [p for p in re.split(r"[/]", rest) if _clean(p)]
    return Narration(body, "pos", _clean(pieces[0]) if pieces else None)


def _mandate(body: str, upper: str) -> Narration | None:
    found = _MANDATE.match(upper)
    if not found:
        return None
    channel = found.group(1).lower()
    parts = [p.strip() for p in re.split(r"[-/]", body[found.end() :]) if p.strip()]
    bank = None
    if len(parts) == 1:  # SBI: "ACHDr <IFSC> <LENDER> <ref>", space separated
        words = parts[0].split()
        if words and _IFSC.match(words[0].upper()):
            bank, words = words[0].upper(), words[1:]
        parts = [" ".join(words[:-1]), words[-1]] if len(words) > 1 else words
    payee = _clean(parts[0]) if parts else None
    reference = parts[-1] if len(parts) > 1 and re.search(r"\d", parts[-1]) else None
    return Narration(body, channel, payee, None, reference, bank)


def _card_bill(body: str, upper: str) -> Narration | None:
    if re.search(r"CREDIT\s*CARD|\bCC\s*BILL|CCBILL|^CC\s+\d|\bME DC SI\b", upper):
        return Narration(body, "card")
    return None


def _cheque(body: str, upper: str) -> Narration | None:
    if re.search(r"\bCHQ\b|\bCHEQUE\b|\bCLG\b|\bCLEARING\b|\bCTS\b|\bMICR\b", upper):
        number = re.search(r"\b\d{6}\b", body)
        return Narration(body, "cheque", None, None, number.group(0) if number else None)
    return None


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
        return _clean(parsed.note) or parsed.vpa or "UPI payment"
    text = _VPA.sub(" ", _CARD.sub(" ", parsed.raw))
    words: list[str] = []
    for token in re.split(r"[\s\-/*:|,()]+", text):
        if not token or _IFSC.match(token.upper()) or sum(c.isdigit() for c in token) >= 4:
            continue
        if token.upper() in _EMPTY_WORDS or not any(c.isalpha() for c in token):
            continue
        words.append(token)
        if len(words) == 4:
            break
    return (_clean(" ".join(words)) or "Bank transaction")[:40]


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
