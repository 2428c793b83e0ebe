"""Receipt files: which kinds an expense may carry, told by their first bytes (never by the
client's content type). Pure: no I/O."""

HEIF_BRANDS = frozenset({b"heic", b"heix", b"mif1", b"msf1", b"heis", b"hevc"})
EXTENSION_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
    "pdf": "application/pdf",
}
HEAD_BYTES = 16  # enough for every signature below


def detect_file_type(head: bytes) -> str | None:
    """The receipt's extension from its first bytes, or None for any other kind of file."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heic"
    return None
