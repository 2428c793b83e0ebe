"""What kind of file the bytes are, decided from their content only (never a file name).

PDFs (encrypted or not) are told apart for ``pdfstatement``. Refuses, before any parser
touches them: images, archives that are
not spreadsheets, binary data posing as text, password-protected spreadsheets, and zip
bombs (judged from the zip central directory before anything is decompressed).
"""

from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass
from typing import Literal

from .model import CorruptFile, UnsupportedFile

Kind = Literal["xlsx", "xls", "ods", "text", "pdf"]

# Zip-bomb limits. A bank statement XLSX of 50,000 rows is ~10-15 MiB of sheet XML and
# compresses ~5-15x; these leave a wide margin while refusing absurd archives.
MAX_UNCOMPRESSED_TOTAL = 256 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_MIN_SIZE = 4 * 1024 * 1024  # tiny members may compress absurdly; harmless
MAX_MEMBERS = 2_000

_DOWNLOAD_CSV = "download the CSV or XLS statement from your bank's netbanking instead"

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
)
_ARCHIVE_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"Rar!\x1a\x07", "RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# An encrypted XLSX is an OLE container holding these streams (names are UTF-16LE).
_OLE_ENCRYPTED = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))


@dataclass(frozen=True)
class Sniffed:
    kind: Kind
    text: str | None = None  # decoded text when kind == "text"


def sniff(data: bytes) -> Sniffed:
    if not data or not data.strip():
        raise UnsupportedFile("empty", "The file is empty: " + _DOWNLOAD_CSV + ".")
    head = data[:16]
    if is_pdf(data):
        return Sniffed("pdf")
    for magic, name in _IMAGE_MAGIC:
        # "BM" alone is too weak for plain text: require the BMP header's reserved zeros.
        if head.startswith(magic) and (name != "BMP" or data[6:10] == b"\x00\x00\x00\x00"):
            raise UnsupportedFile(
                "image",
                f"This is a {name} image, not a statement; a photo or scan cannot be read: "
                + _DOWNLOAD_CSV
                + ".",
            )
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1") or (
        head.startswith(b"RIFF") and data[8:12] == b"WEBP"
    ):
        raise UnsupportedFile("image", "This is an image, not a statement: " + _DOWNLOAD_CSV + ".")
    for magic, name in _ARCHIVE_MAGIC:
        if head.startswith(magic):
            raise UnsupportedFile(
                "archive", f"This is a {name} archive; upload the statement file itself."
            )
    if head.startswith(_OLE_MAGIC):
        if any(marker in data for marker in _OLE_ENCRYPTED):
            raise UnsupportedFile(
                "encrypted_spreadsheet",
                "This spreadsheet is password-protected; open it, remove the password and "
                "save it again, or " + _DOWNLOAD_CSV + ".",
            )
        return Sniffed("xls")
    if head.startswith(_ZIP_MAGIC):
        return Sniffed(check_zip(data))
    return Sniffed("text", decode_text(data))


def is_pdf(data: bytes) -> bool:
    """A PDF: "%PDF" first, or its "%PDF-" header within the first KiB (after junk some
    mailers prepend)."""
    return data.lstrip()[:8].startswith(b"%PDF") or data[:1024].find(b"%PDF-") != -1


def check_zip(data: bytes) -> Kind:
    """Classify a zip as xlsx/ods, refusing other archives and bombs.

    The central directory (read by ``ZipFile`` without inflating anything) declares each
    member's sizes; absurd totals or ratios are refused before extraction. Declared sizes can
    lie, so every member is then inflated once in bounded chunks: ``zipfile`` stops at the
    declared size and fails the CRC if the data is longer, so the real size is never more
    than what was checked here.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise CorruptFile("corrupt_zip", "The XLSX/ODS file is damaged or truncated.") from exc
    names = {m.filename for m in members}
    if "xl/workbook.xml" in names:
        kind: Kind = "xlsx"
    elif "content.xml" in names and "mimetype" in names:
        kind = "ods"
    else:
        raise UnsupportedFile(
            "archive",
            "This is a zip archive, not a spreadsheet; upload the CSV or XLS statement itself.",
        )
    _refuse_bomb(members)
    try:
        for member in members:
            with archive.open(member) as stream:
                while stream.read(1 << 20):
                    pass
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise CorruptFile("corrupt_zip", "The XLSX/ODS file is damaged or truncated.") from exc
    return kind


def _refuse_bomb(members: list[zipfile.ZipInfo]) -> None:
    bomb = UnsupportedFile(
        "zip_bomb",
        "This spreadsheet declares an absurd uncompressed size or compression ratio and was "
        "refused unopened; a bank statement is at most a few MiB.",
    )
    if len(members) > MAX_MEMBERS:
        raise bomb
    total = 0
    for member in members:
        total += member.file_size
        if total > MAX_UNCOMPRESSED_TOTAL:
            raise bomb
        if member.file_size >= RATIO_CHECK_MIN_SIZE:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > MAX_COMPRESSION_RATIO:
                raise bomb


def decode_text(data: bytes) -> str:
    """Decode text, refusing binary. UTF-8 (with or without BOM) and UTF-16 with a BOM are
    read as such; anything else falls back to Windows-1252, which older netbanking exports
    use. NUL bytes or a high share of control characters mean binary, not CSV."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _binary() from exc
    if b"\x00" in data[:65536]:
        raise _binary()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise _binary() from exc
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f\v")
    if controls > max(8, len(sample) // 100):
        raise _binary()
    return text


def _binary() -> UnsupportedFile:
    return UnsupportedFile(
        "binary",
        "This file is binary data, not a CSV or text statement: " + _DOWNLOAD_CSV + ".",
    )
