"""Names and references inside a bank narration: the shapes of an RRN, UTR, IFSC, VPA and
masked card number, and the cleaning that turns a narration's fragment into a payee name
(title-cased, placeholders and number soup dropped)."""

from __future__ import annotations

import re

RRN = re.compile(r"^\d{12}$")
IFSC = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
UTR = re.compile(r"^(?:[A-Z]{4}[A-Z0-9]\d{6,}[A-Z0-9]*|[A-Z]\d{8,}|\d{10,22})$")
VPA = re.compile(r"[A-Za-z0-9._-]+@\s?[A-Za-z][A-Za-z0-9.-]*")
CARD = re.compile(r"\b\d{4,6}X{4,}\d{4}\b|\bX{4,}\d{4}\b", re.IGNORECASE)
EMPTY_WORDS = {"NA", "N/A", "NULL", "UPI", "NONE", "-", "", "PAY", "PAYMENT"}
MARKERS = {"DR", "CR", "P2M", "P2A", "P2P", "DEBIT", "CREDIT"}
_ACRONYMS = {"HDFC", "SBI", "ICICI", "IRCTC", "LIC", "BSES", "HPCL", "BPCL", "IOCL", "NEFT"}


def clean_name(value: str | None) -> str | None:
    """A person or merchant name, title-cased; None for placeholders and number soup."""
    if not value:
        return None
    text = " ".join(value.replace("_", " ").split()).strip(" -/*.,:")
    if text.upper() in EMPTY_WORDS or "@" in text:
        return None
    letters = sum(ch.isalpha() for ch in text)
    digits = sum(ch.isdigit() for ch in text)
    if letters < 2 or digits > letters:
        return None
    return re.sub(r"[A-Za-z]+", _capitalise, text)


def _capitalise(match: re.Match[str]) -> str:
    word = match.group(0)
    return word.upper() if word.upper() in _ACRONYMS else word[:1].upper() + word[1:].lower()


def payee_from_vpa(vpa: str | None) -> str | None:
    """A merchant-like VPA handle ("swiggy8", "swiggy.stores") as a name; personal or
    machine handles (phone numbers, "paytmqr28100505...") give None."""
    if not vpa:
        return None
    handle = vpa.split("@")[0].lower()
    if not re.fullmatch(r"[a-z]+(?:[._-][a-z]+)*\d{0,3}", handle) or handle.startswith("paytmqr"):
        return None
    return clean_name(re.sub(r"[._-]", " ", re.sub(r"\d+$", "", handle)))


def vpa_in(tokens: list[str]) -> str | None:
    for token in tokens:
        found = VPA.search(token)
        if found:
            return found.group(0).replace(" ", "")
    return None


def bank_like(token: str) -> bool:
    upper = token.upper().strip()
    return bool(
        "BANK" in upper
        or IFSC.match(upper)
        or re.fullmatch(r"[A-Z]{4}", upper)
        or re.fullmatch(r"[A-Z]{4,8}BAN", upper)
    )


def meaningful(token: str | None) -> str | None:
    if token is None:
        return None
    text = " ".join(token.split())
    return None if text.upper() in EMPTY_WORDS else text
