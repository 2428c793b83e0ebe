"""A PDF statement's lines as table rows, for the engine every tabular layout shares.

A PDF has no cells, only words at positions. The header row is found by splitting each
line at wide gaps and matching the bank layouts (``tables.find_header``); its cells give
the columns. Between two neighbouring header cells the boundary is put in the widest
stretch that no data word covers, so a right-aligned amount under a left-aligned heading
still lands in its column. Every word then goes to the column its middle falls in, and the
rows go through ``tables.read_table`` like a spreadsheet's: wrapped narrations, repeated
headers, opening lines and totals are handled there.

Page furniture is dropped first: on every page after the header's, the lines above the
repeated header (the letterhead); at the foot of each page, lines after its last row that
say "Page n of m" or repeat on another page's foot (addresses, disclaimers).
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable

from .pdf import Line, Word
from .tables import HEADER_SCAN_ROWS, HeaderMatch, Layout, find_header

_PAGE_MARK = re.compile(r"\bpage\s*(?:no\.?\s*)?:?\s*\d+(?:\s*(?:of|/)\s*\d+)?\b", re.I)
# A gap wider than this many average character widths separates two cells.
_CELL_GAP = 1.2
# Amount cells some issuers end with a bare "C" or "D" (SBI Card): the engine reads "Cr"/"Dr".
_BARE_MARKER = re.compile(r"^(.*\d)\s+([CD])$")


def split_cells(line: Line) -> list[list[Word]]:
    """The line's words grouped into cells at gaps wider than a space."""
    width = sum(w.x1 - w.x0 for w in line.words) / max(sum(len(w.text) for w in line.words), 1)
    cells: list[list[Word]] = []
    for word in line.words:
        if cells and word.x0 - cells[-1][-1].x1 <= _CELL_GAP * width:
            cells[-1].append(word)
        else:
            cells.append([word])
    return cells


def _text(words: Iterable[Word]) -> str:
    return " ".join(word.text for word in words)


def find_pdf_header(
    lines: list[Line], layouts: Iterable[Layout]
) -> tuple[HeaderMatch, list[list[Word]]] | None:
    """The header (``index`` is its line) and its cells, from the first lines."""
    scanned = [split_cells(line) for line in lines[:HEADER_SCAN_ROWS]]
    match = find_header([[_text(cell) for cell in cells] for cells in scanned], layouts)
    if match is None:
        return None
    return match, scanned[match.index]


class Columns:
    """Where each header cell's column starts and ends on the page."""

    def __init__(self, header: list[list[Word]], body: list[Line]) -> None:
        words = [word for cell in header for word in cell]
        words += [word for line in body for word in line.words]
        spans = [(word.x0, word.x1) for word in words]
        self.bounds = [_boundary(left, right, spans) for left, right in itertools.pairwise(header)]

    def cells(self, line: Line) -> list[object]:
        texts: list[list[str]] = [[] for _ in range(len(self.bounds) + 1)]
        for word in line.words:
            texts[bisect_right(self.bounds, (word.x0 + word.x1) / 2)].append(word.text)
        return [_amount_marker(" ".join(parts)) for parts in texts]


def _boundary(left: list[Word], right: list[Word], spans: list[tuple[float, float]]) -> float:
    """Between two header cells' middles, the middle of the stretch fewest words cross (a
    stray line may cross every column). Of equals, the one ending nearest the right-hand
    heading's start: the gap between a left-aligned heading and its right-aligned figures
    is empty too, but a column starts where its heading does."""
    low = (left[0].x0 + left[-1].x1) / 2
    high = (right[0].x0 + right[-1].x1) / 2
    inside = [(max(a, low), min(b, high)) for a, b in spans if b > low and a < high]
    edges = sorted({low, high, *(x for span in inside for x in span)})
    best: tuple[int, float, float] | None = None
    for start, end in itertools.pairwise(edges):
        crossing = sum(1 for a, b in inside if a <= start and b >= end)
        candidate = (crossing, abs(right[0].x0 - end), (start + end) / 2)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else (left[-1].x1 + right[0].x0) / 2


def _amount_marker(text: str) -> str:
    found = _BARE_MARKER.match(text)
    return f"{found.group(1)} {found.group(2)}r" if found else text


def table_lines(lines: list[Line], match: HeaderMatch) -> list[Line]:
    """The lines under the header, without the letterhead and foot of each page."""
    header_page = lines[match.index].page
    by_page: dict[int, list[Line]] = {}
    for line in lines[match.index + 1 :]:
        by_page.setdefault(line.page, []).append(line)
    bodies: dict[int, list[Line]] = {}
    feet: dict[int, list[Line]] = {}
    for page, page_lines in by_page.items():
        if page != header_page:
            page_lines = _after_header(page_lines, match.layout)
        last = _last_row(page_lines, match.layout)
        bodies[page], feet[page] = page_lines[: last + 1], page_lines[last + 1 :]
    repeated = Counter(shape for foot in feet.values() for shape in {_shape(n) for n in foot})
    kept: list[Line] = []
    for page in sorted(by_page):
        kept += bodies[page]
        kept += [
            line
            for line in feet[page]
            if not _PAGE_MARK.search(line.text) and repeated[_shape(line)] < 2
        ]
    return kept


def _shape(line: Line) -> str:
    """A line's text with its numbers blanked: "Page 2 of 9" and "Page 3 of 9" alike."""
    return re.sub(r"\d+", "#", line.text.lower())


def _after_header(lines: list[Line], layout: Layout) -> list[Line]:
    for index, line in enumerate(lines):
        if layout.match([_text(cell) for cell in split_cells(line)]) is not None:
            return lines[index + 1 :]
    return lines


def _last_row(lines: list[Line], layout: Layout) -> int:
    """Index of the page's last line that looks like a table row (two or more cells with a
    figure in them); -1 when there is none."""
    for index in range(len(lines) - 1, -1, -1):
        cells = split_cells(lines[index])
        if len(cells) > 1 and any(re.search(r"\d[\d,]*\.\d\d", _text(c)) for c in cells):
            return index
    return -1
