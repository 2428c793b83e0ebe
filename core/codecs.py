"""The database boundary's types: money crosses it as Decimal128 and comes back as Decimal
(never float), calendar dates as midnight UTC."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

from bson import Decimal128
from bson.codec_options import CodecOptions, TypeDecoder, TypeEncoder, TypeRegistry

_SPECIAL = 3 << 61  # NaN, Infinity and the (never canonical) large-coefficient form
_MAX_COEFFICIENT = 10**34 - 1


def decimal_from_bson(value: Decimal128) -> Decimal:
    """`Decimal128.to_decimal()` without its per-digit Python loop: 6x faster, and every money
    field of every document read goes through it (bench/RESULTS-load.md). Unusual encodings
    take bson's own path, so the result is always identical."""
    high, low = value.__getstate__()
    coefficient = ((high & 0x1FFFFFFFFFFFF) << 64) | low
    if high & _SPECIAL == _SPECIAL or coefficient > _MAX_COEFFICIENT:
        return value.to_decimal()
    sign = "-" if high >> 63 else ""
    return Decimal(f"{sign}{coefficient}E{((high >> 49) & 0x3FFF) - 6176}")


class _DecimalCodec(TypeEncoder, TypeDecoder):
    """Money crosses the database boundary as Decimal128 and comes back as Decimal."""

    python_type = Decimal
    bson_type = Decimal128

    def transform_python(self, value: Decimal) -> Decimal128:
        return Decimal128(value)

    def transform_bson(self, value: Decimal128) -> Decimal:
        return decimal_from_bson(value)


class _DateCodec(TypeEncoder):
    """BSON has no plain date: store calendar dates as midnight UTC."""

    python_type = date

    def transform_python(self, value: date) -> datetime:
        return datetime.combine(value, time(), tzinfo=UTC)


CODEC_OPTIONS: CodecOptions = CodecOptions(
    type_registry=TypeRegistry([_DecimalCodec(), _DateCodec()]), tz_aware=True, tzinfo=UTC
)
