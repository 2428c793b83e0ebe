"""An OFX body as an ``ElementTree``: SGML (1.x, leaf elements left unclosed) and XML (2.x)
alike, read from ``<OFX>`` to the last ``</OFX>`` whatever header comes before.

A leaf is an element followed by text: it ends there (SGML) and a matching end tag right
after it (XML) is accepted. An end tag closes the nearest open element of that name and
any left open inside it (SGML aggregates are sometimes not closed). Anything else is
damage, reported with its line: text outside an element, an end tag for an element that
is not open, a stray "<". Every element carries the line its tag is on (attribute
``LINE``), so rows and messages can point into the file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .model import CorruptFile

LINE = "line"

_BODY = re.compile(r"<OFX>", re.IGNORECASE)
_END = "</OFX>"
_TOKEN = re.compile(
    r"<!--.*?-->"
    r"|<\?.*?\?>"
    r"|<!\[CDATA\[(?P<cdata>.*?)\]\]>"
    r"|<(?P<close>/)?(?P<tag>[A-Za-z][A-Za-z0-9._]*)\s*(?P<empty>/)?>"
    r"|(?P<text>(?:[^<]|<(?![A-Za-z/!?]))+)"  # "a < b" in a narration is text
    r"|(?P<stray><)",
    re.DOTALL,
)


def damaged(line: int, what: str) -> CorruptFile:
    return CorruptFile("corrupt_ofx", f"The OFX file is damaged on line {line}: {what}.")


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."


class _Builder:
    def __init__(self, line: int) -> None:
        self.line = line
        self.stack: list[ET.Element] = []
        self.root: ET.Element | None = None
        self.ended_leaf: str | None = None  # a leaf just ended by its text

    def feed(self, match: re.Match[str]) -> None:
        if match.group("tag") is not None:
            tag = match.group("tag").upper()
            if match.group("close"):
                self._close(tag)
            else:
                self._open(tag, empty=match.group("empty") is not None)
        elif match.group("text") is not None or match.group("cdata") is not None:
            self._text(match.group("text") or match.group("cdata") or "")
        elif match.group("stray") is not None:
            raise damaged(self.line, "a '<' that begins no tag")
        self.line += match.group(0).count("\n")

    def _open(self, tag: str, empty: bool) -> None:
        self.ended_leaf = None
        element = ET.Element(tag, {LINE: str(self.line)})
        if self.stack:
            self.stack[-1].append(element)
        elif self.root is None:
            self.root = element
        else:
            raise damaged(self.line, f"<{tag}> after the closing </OFX>")
        if not empty:
            self.stack.append(element)

    def _text(self, text: str) -> None:
        value = text.strip()
        if not value:
            return
        current = self.stack[-1] if self.stack else None
        if current is None:
            raise damaged(self.line, f"text '{_short(value)}' outside <OFX>")
        if len(current):
            raise damaged(
                self.line, f"text '{_short(value)}' inside <{current.tag}> between its elements"
            )
        current.text = value
        self.stack.pop()
        self.ended_leaf = current.tag

    def _close(self, tag: str) -> None:
        if self.ended_leaf == tag:
            self.ended_leaf = None
            return
        self.ended_leaf = None
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return
        raise damaged(self.line, f"</{tag}> closes an element that is not open")


def ofx_tree(text: str) -> ET.Element:
    """The ``<OFX>`` element of an OFX file's text; ``CorruptFile`` when there is none,
    when it is never closed (a truncated download) or when the markup is damaged."""
    start = _BODY.search(text)
    if start is None:
        raise CorruptFile("corrupt_ofx", "The OFX file has no <OFX> element: it holds no data.")
    end = text.upper().rfind(_END)
    if end < start.start():
        raise CorruptFile("corrupt_ofx", "The OFX file is truncated: it has no closing </OFX>.")
    builder = _Builder(text.count("\n", 0, start.start()) + 1)
    for match in _TOKEN.finditer(text, start.start(), end + len(_END)):
        builder.feed(match)
    if builder.root is None:  # unreachable: the scan starts at the <OFX> tag
        raise CorruptFile("corrupt_ofx", "The OFX file has no <OFX> element: it holds no data.")
    return builder.root
