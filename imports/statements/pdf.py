"""A PDF statement's text, as lines of positioned words.

pikepdf (qpdf) opens the file and removes its password; pypdfium2 (PDFium, Chrome's PDF
engine) reads each page's characters with their boxes, grouped here into words and lines.
PDFium rather than pdfplumber/pdfminer.six: pdfminer interprets every page in Python,
~0.6 s a page on this machine (a 20-page statement in 13 s, holding the GIL), where PDFium
reads the same 20 pages in ~0.4 s. Nothing here knows a bank's layout: ``pdftable``
turns the lines into table cells. The page limit is checked before a page is read; the time
limit is the parser process's deadline (``imports.parsers``), which holds inside a page too.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pikepdf
import pypdfium2 as pdfium

from .model import CorruptFile, StatementError, TooManyRows, UnsupportedFile

MAX_PAGES = 200
# Words whose tops differ by less than this share a line (points; text is 6-12 pt).
LINE_TOLERANCE = 3.0


class PasswordProblem(StatementError):
    """The PDF is encrypted and the password is missing or wrong (a 422 on `password`)."""

    http_status = 422


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float


@dataclass(frozen=True)
class Line:
    page: int
    top: float
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)


@dataclass(frozen=True)
class PdfLimits:
    max_pages: int = MAX_PAGES


OnPage = Callable[[int, int], None]  # (pages read, pages in the file), after each page


def decrypted(data: bytes, password: str | None, max_pages: int) -> bytes:
    """The PDF without its password (unchanged when it has none), refused past
    ``max_pages`` before anything else is done with it. The password is only handed to
    qpdf; it is never put into an error message."""
    try:
        with pikepdf.open(io.BytesIO(data), password=password or "") as pdf:
            _check_pages(len(pdf.pages), max_pages)
            if not pdf.is_encrypted:
                return data
            out = io.BytesIO()
            pdf.save(out)
            return out.getvalue()
    except pikepdf.PasswordError as exc:
        if not password:
            raise PasswordProblem(
                "pdf_password_required",
                "This PDF statement is password-protected: send its password in the "
                "`password` field (banks usually use part of your name and date of birth, "
                "or your customer ID).",
            ) from exc
        raise PasswordProblem(
            "pdf_password", "The password does not open this PDF statement."
        ) from exc
    except pikepdf.PdfError as exc:
        raise CorruptFile("corrupt_pdf", "The PDF file is damaged or truncated.") from exc


def decrypted_and_pages(data: bytes, password: str | None, max_pages: int) -> tuple[bytes, int]:
    """The PDF without its password and its number of pages: what an upload parsed later
    keeps instead of the password (``decrypted``'s refusals)."""
    plain = decrypted(data, password, max_pages)
    with pikepdf.open(io.BytesIO(plain)) as pdf:
        return plain, len(pdf.pages)


def pdf_lines(
    data: bytes, password: str | None, limits: PdfLimits, on_page: OnPage | None = None
) -> Iterator[Line]:
    """Every line of text, page by page, top to bottom; ``on_page`` is told after each page.
    Refuses a file over the page limit before reading it, and a scanned (image-only) one."""
    plain = decrypted(data, password, limits.max_pages)
    try:
        document = pdfium.PdfDocument(plain)
    except pdfium.PdfiumError as exc:
        raise CorruptFile("corrupt_pdf", "The PDF file is damaged or truncated.") from exc
    try:
        pages = len(document)
        _check_pages(pages, limits.max_pages)
        any_text = False
        for number in range(1, pages + 1):
            words = _page_words(document[number - 1])
            any_text = any_text or bool(words)
            yield from _lines(number, words)
            if on_page is not None:
                on_page(number, pages)
    finally:
        document.close()
    if not any_text:
        raise UnsupportedFile(
            "pdf_scanned",
            "This PDF is a scanned image with no text in it, so it cannot be read. "
            "Download the statement from netbanking (PDF, XLS or CSV) instead.",
        )


def _check_pages(pages: int, max_pages: int) -> None:
    if pages > max_pages:
        raise TooManyRows(
            "pdf_too_many_pages",
            f"This PDF has {pages} pages; at most {max_pages} are read. Upload the statement "
            "a few months at a time.",
        )


def _page_words(page: pdfium.PdfPage) -> list[_Word]:
    """The page's words: runs of characters between spaces and line ends (PDFium writes
    those between words it sees apart). ``top`` grows downwards, as on paper."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count)
        words: list[_Word] = []
        current: list[tuple[str, tuple[float, float, float, float]]] = []
        for index, char in enumerate(text[:count]):
            if char.isspace():
                words += _word(current)
                current = []
                continue
            current.append((char, textpage.get_charbox(index)))
        words += _word(current)
        return words
    finally:
        textpage.close()
        page.close()


_Word = tuple[str, float, float, float]  # text, x0, x1, top


def _word(chars: list[tuple[str, tuple[float, float, float, float]]]) -> list[_Word]:
    if not chars:
        return []
    text = "".join(char for char, _ in chars)
    return [(text, chars[0][1][0], chars[-1][1][2], -max(box[3] for _, box in chars))]


def _lines(page: int, words: list[_Word]) -> Iterator[Line]:
    ordered = sorted(words, key=lambda w: (round(w[3]), w[1]))
    current: list[_Word] = []
    for word in ordered:
        if current and abs(word[3] - current[0][3]) > LINE_TOLERANCE:
            yield _line(page, current)
            current = []
        current.append(word)
    if current:
        yield _line(page, current)


def _line(page: int, words: list[_Word]) -> Line:
    ordered = sorted(words, key=lambda w: w[1])
    return Line(page, words[0][3], tuple(Word(text, x0, x1) for text, x0, x1, _ in ordered))
