"""What each payment rail's narration says: the UPI, IMPS, NEFT/RTGS, ATM, card POS,
ACH/NACH/ECS mandate, credit-card bill and cheque shapes of Indian banks (the families and
their real shapes: `narration.py`, LAYOUTS.md)."""

from __future__ import annotations

import re

from .model import Narration
from .names import (
    CARD,
    EMPTY_WORDS,
    IFSC,
    MARKERS,
    RRN,
    UTR,
    bank_like,
    clean_name,
    meaningful,
    payee_from_vpa,
    vpa_in,
)

_MANDATE = re.compile(
    r"^(?:DEBIT-|CREDIT-)?(NACH|ACH|ECS)"
    r"(?:[\s/-]*(?:DR|CR|DEBIT|CREDIT|D|C)(?![A-Z])|(?![A-Z]))[\s/-]*"
)


def read_rail(body: str, upper: str) -> Narration | None:
    """The narration as the first rail whose shape it has reads it; None for none."""
    return (
        _upi(body, upper)
        or _imps(body, upper)
        or _neft_rtgs(body, upper)
        or _atm(body, upper)
        or _pos(body, upper)
        or _mandate(body, upper)
        or _card_bill(body, upper)
        or _cheque(body, upper)
    )


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
    rrn_at = next((i for i, p in enumerate(parts) if i >= 2 and RRN.match(p)), None)
    ifsc_at = next(
        (i for i, p in enumerate(parts) if i > (vpa_at or 1) and IFSC.match(p.upper())), None
    )
    # The name is one segment; anything between it and the "@" segment belongs to the VPA,
    # whose handle may contain hyphens ("paytm-79496683@paytm").
    name = parts[1] if len(parts) > 1 and vpa_at != 1 else None
    vpa = None
    if vpa_at is not None:
        end = ifsc_at if ifsc_at is not None else (rrn_at or vpa_at + 1)
        vpa = "-".join(parts[min(vpa_at, 2) : end]).replace(" ", "")
    note = meaningful("-".join(parts[rrn_at + 1 :])) if rrn_at is not None else None
    payee = clean_name(name) or payee_from_vpa(vpa)
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
    while tokens and tokens[0].upper() in MARKERS:
        tokens.pop(0)
    rrn_at = next((i for i, t in enumerate(tokens) if RRN.match(t)), None)
    name = None
    note = None
    rest = tokens
    if rrn_at == 0:
        rest = tokens[1:]
        if len(rest) >= 2 and ("@" in rest[1] or rest[0].upper() in EMPTY_WORDS):
            # ICICI: note, VPA (cut short, without "@", in long narrations), bank
            note, bank_at = meaningful(rest[0]), 2
            vpa = vpa_in(rest[1:2])
            bank = rest[bank_at] if len(rest) > bank_at else None
            return Narration(text, "upi", payee_from_vpa(vpa), vpa, tokens[0], bank, note)
        elif rest:
            name, rest = rest[0], rest[1:]
    elif rrn_at is not None:  # Kotak and newer exports put the name before the RRN
        name, rest = tokens[0], tokens[1:rrn_at] + tokens[rrn_at + 1 :]
    vpa = vpa_in(rest)
    leftovers = [t for t in rest if "@" not in t]
    bank = next((t for t in leftovers if bank_like(t)), None)
    if note is None:
        note = next((meaningful(t) for t in leftovers if t != bank and meaningful(t)), None)
    payee = clean_name(name) or payee_from_vpa(vpa)
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
            clean_name(parts[2]) if len(parts) > 2 else None,
            None,
            rrn,
            meaningful(parts[3]) if len(parts) > 3 else None,
            meaningful("-".join(parts[5:])) if len(parts) > 5 else None,
        )
    at = upper.find("IMPS/")
    if at < 0:
        return None
    tokens = [t.strip() for t in body[at:].split("/")][1:]
    while tokens and tokens[0].upper() in MARKERS:
        tokens.pop(0)
    rrn = tokens[0] if tokens and re.fullmatch(r"\d{6,}", tokens[0]) else None
    rest = tokens[1:] if rrn else tokens
    if upper.startswith("MMT/IMPS"):  # ICICI: note, name, IFSC
        note, name, bank = [*rest, None, None, None][:3]
    else:  # Axis: name, bank, ...
        name, bank = [*rest, None, None][:2]
        note = None
    return Narration(body, "imps", clean_name(name), None, rrn, meaningful(bank), meaningful(note))


def _neft_rtgs(body: str, upper: str) -> Narration | None:
    found = re.match(r"^(NEFT|RTGS)\b", upper)
    if not found:
        return None
    channel = found.group(1).lower()
    rest = body[found.end() :]
    if rest.startswith("*"):  # SBI: NEFT*<IFSC>*<UTR>*<name>
        parts = [p.strip() for p in rest.split("*")][1:]
        utr = next((p for p in parts if UTR.match(p.upper()) and not IFSC.match(p.upper())), None)
        name = next((p for p in parts if p != utr and not IFSC.match(p.upper())), None)
        bank = next((p.upper() for p in parts if IFSC.match(p.upper())), None)
        return Narration(body, channel, clean_name(name), None, utr, bank)
    if rest.startswith("/"):  # Axis: NEFT/<UTR>/<name>/<bank>/...
        parts = [p.strip() for p in rest.split("/")][1:]
        utr = parts[0] if parts and UTR.match(parts[0].upper()) else None
        others = parts[1:] if utr else parts
        name = others[0] if others else None
        bank = others[1] if len(others) > 1 else None
        return Narration(body, channel, clean_name(name), None, utr, meaningful(bank))
    parts = [p.strip() for p in body.split("-")]
    kind = parts[0].upper()
    ifsc_at = next((i for i, p in enumerate(parts) if i >= 1 and IFSC.match(p.upper())), None)
    utr_at = next(
        (
            i
            for i, p in enumerate(parts)
            if i >= 1 and i != ifsc_at and UTR.match(p.upper().replace(" ", ""))
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
        note = meaningful("-".join(parts[utr_at + 1 :])) if utr_at is not None else None
    else:  # ICICI: NEFT-<UTR>-<name>-...
        name = parts[utr_at + 1] if utr_at is not None and utr_at + 1 < len(parts) else None
        if name is None and len(parts) == 1:
            name = body[found.end() :]
        note = None
    return Narration(body, channel, clean_name(name), None, reference, bank, note)


def _atm(body: str, upper: str) -> Narration | None:
    if re.match(r"^(ATW|NWD|EAW)-", upper):
        parts = [p.strip() for p in body.split("-")]
        return Narration(body, "atm", None, None, None, None, meaningful(parts[-1]))
    if re.search(r"\bATM\s*(WDL|CASH|WITHDRAWAL)|\bCASH\s*(WDL|WITHDRAWAL)|^NFS/", upper):
        return Narration(body, "atm")
    return None


def _pos(body: str, upper: str) -> Narration | None:
    found = re.match(r"^(?:POS|PCD|VPS|IPS)[\s/]+", upper)
    if not found:
        return None
    rest = CARD.sub(" ", body[found.end() :])
    rest = re.sub(r"^[\dX]{4,}\s+", "", rest.strip(), flags=re.IGNORECASE)
    pieces = [p for p in re.split(r"[/]", rest) if clean_name(p)]
    return Narration(body, "pos", clean_name(pieces[0]) if pieces else None)


def _mandate(body: str, upper: str) -> Narration | None:
    found = _MANDATE.match(upper)
    if not found:
        return None
    channel = found.group(1).lower()
    parts = [p.strip() for p in re.split(r"[-/]", body[found.end() :]) if p.strip()]
    bank = None
    if len(parts) == 1:  # SBI: "ACHDr <IFSC> <LENDER> <ref>", space separated
        words = parts[0].split()
        if words and IFSC.match(words[0].upper()):
            bank, words = words[0].upper(), words[1:]
        parts = [" ".join(words[:-1]), words[-1]] if len(words) > 1 else words
    payee = clean_name(parts[0]) if parts else None
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
