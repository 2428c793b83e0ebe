"""Delta sync's rules, pure: the cursor, the windows of change numbers a page reads, when a
cursor has expired, and what a page answers of what it found (docs/sync.md).

A change number (`sync_seq`, core/sync.py) is taken by exactly one write, in commit order.
A page reads the changes numbered in a window (after, up to]: at most as many documents and
tombstones as the window is wide, whatever the user holds, so every read is a bounded range.
A document changed again since holds its latest number only; the numbers it left behind are
gaps, so a page may hold fewer changes than its limit while more follow."""

import re
from dataclasses import dataclass
from typing import Any

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
# Windows one request reads at most: gaps left by documents changed again may leave a page
# short; the client then asks again (`has_more`) instead of one request reading on and on.
MAX_ROUNDS = 8
CURSOR_PATTERN = r"^[0-9]{1,18}(\.[0-9]{1,18})?$"
_CURSOR = re.compile(CURSOR_PATTERN)


@dataclass(frozen=True)
class Cursor:
    """Where a client is: every change numbered up to `position` is delivered. `basis`: the
    counter when its full load began (a load reads old numbers, whose deletions it never
    needs: it holds nothing yet); for any other cursor, its position."""

    position: int
    basis: int

    @classmethod
    def parse(cls, since: str | None, head: int) -> "Cursor":
        """The cursor a client sent (`since`, as `str(cursor)` wrote it); none, or 0, is a
        full load from the counter as it is now (`head`)."""
        if since is None:
            return cls(0, head)
        if not _CURSOR.match(since):
            raise ValueError(f"not a sync cursor: {since!r}")
        position, _, basis = since.partition(".")
        if int(position) == 0:
            return cls(0, head)
        return cls(int(position), max(int(position), int(basis or 0)))

    @property
    def deletions_from(self) -> int:
        """The deletions this client needs are those numbered after this."""
        return max(self.position, self.basis)

    def moved_to(self, position: int) -> "Cursor":
        return Cursor(position, self.basis)

    def __str__(self) -> str:
        if self.basis > self.position:  # a full load still under way
            return f"{self.position}.{self.basis}"
        return str(self.position)


def expired(cursor: Cursor, head: int, last_deleted: int, first_kept: Any | None) -> bool:
    """Whether a deletion this cursor needs may have been forgotten (the client reloads).
    `last_deleted`: the number of the user's latest deletion ever; `first_kept`: the
    `prev_seq` of the first tombstone still kept after the cursor's deletions, or None
    when none is. Each tombstone names the one before it, so a gap before the first one
    kept means the ones in it expired. A cursor beyond the counter is from elsewhere (another
    database, a restore from backup): expired too."""
    if cursor.position > head or cursor.basis > head:
        return True
    if cursor.position == 0:  # a full load needs no deletion
        return False
    after = cursor.deletions_from
    if last_deleted <= after:  # nothing deleted since
        return False
    return first_kept is None or first_kept > after


def next_window(low: int, head: int, room: int) -> tuple[int, int] | None:
    """The window (low, high] a page reads next, `room` changes wide at most; None when the
    page is at the counter (`head`) or full."""
    if low >= head or room <= 0:
        return None
    return low, min(head, low + room)


def latest(found: list[tuple[int, str, Any, Any]]) -> list[tuple[int, str, Any, Any]]:
    """(number, resource, id, document or None) in write order, each resource once: its
    latest (a deletion after a creation in the same page is the deletion)."""
    newest: dict[tuple[str, Any], tuple[int, str, Any, Any]] = {}
    for change in found:
        key = (change[1], change[2])
        if key not in newest or newest[key][0] < change[0]:
            newest[key] = change
    return sorted(newest.values(), key=lambda change: change[0])
