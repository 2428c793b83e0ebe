"""The shapes every domain shares: request and response bases, a page of results, errors."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator

from core.dates import local_day
from core.errors import ErrorCode
from core.sync import etag as sync_etag
from schemas.types import ObjectIdStr

T = TypeVar("T")


def _days(value: Any, tz: str) -> Any:
    if isinstance(value, datetime):
        return local_day(value, tz)
    if isinstance(value, dict):
        return {k: _days(v, tz) for k, v in value.items()}
    return value


def _answer_schema(schema: dict[str, Any], _: type) -> None:
    # An answer is read-only as a whole. Pydantic marks a computed field `readOnly`, and
    # @hey-api/openapi-ts then generates a `...Writable` twin of the model (and of every model
    # holding it: `DebtOutWritable`, `PageDebtOutWritable`) for requests that never send it.
    for prop in schema.get("properties", {}).values():
        prop.pop("readOnly", None)


class ResponseModel(BaseModel):
    """A response body: every field is always sent, defaulted ones included.

    A field with a default is optional in a request but always present in an answer: an
    answer's schema (FastAPI's serialization mode) lists it as `required`, so generated
    clients type answers without `| undefined` / `Unset`. Only on models that are answers and
    never requests: a model that is both would be published twice (`X-Input`, `X-Output`, one
    title, which openapi-python-client can't tell apart)."""

    model_config = ConfigDict(
        json_schema_serialization_defaults_required=True, json_schema_extra=_answer_schema
    )


class RequestModel(BaseModel):
    """A request body: unknown fields are a 422, text is trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def values(self, tz: str, *, partial: bool = False) -> dict[str, Any]:
        """The fields as a dict (only those sent when `partial`), every day resolved to a
        calendar day in the user's timezone `tz` (the only datetimes a request holds are days)."""
        return _days(self.model_dump(exclude_unset=partial), tz)


IGNORED = "Read-only: the answer's value, ignored whatever it holds (an edit form sends it back)."


def _update_schema(schema: dict[str, Any], model: type["UpdateModel"]) -> None:
    # Untyped: the server takes any value there, and each request schema states exactly what
    # the server accepts (tests/process/test_fuzz.py holds them to it).
    properties = schema.setdefault("properties", {})
    for name in sorted(model.read_only()):
        properties[name] = {"readOnly": True, "description": IGNORED}


class UpdateModel(RequestModel):
    """A PUT body: partial (a field left out keeps its value), and it takes the object exactly
    as GET answered it, with the user's edits (the usual edit form: `{...debt, name}`):
    - every other field of the answer `echo_of` (id, timestamps, figures derived from time or
      from other data) is a read-only property of the schema, accepted whatever its value and
      ignored;
    - a derived value of a writable field (`derived_values`: `completed`, which only the
      amounts decide) is ignored: the status stays as the system has it;
    - `null` for a field in `null_is_unchanged` (nullable in the answer, but not a client's to
      clear: a debt's next due date can be moved, never removed) is ignored.
    Unknown fields stay a 422. A form loaded before another write is caught by its ETag
    (If-Match), never by comparing the echoed values."""

    model_config = RequestModel.model_config | ConfigDict(json_schema_extra=_update_schema)

    echo_of: ClassVar[type[BaseModel]]
    derived_values: ClassVar[dict[str, frozenset[str]]] = {}
    null_is_unchanged: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def read_only(cls) -> frozenset[str]:
        out = cls.echo_of
        shown = frozenset(out.model_fields) | frozenset(out.model_computed_fields)
        return shown - frozenset(cls.model_fields)

    # Whether the body carried read-only fields: the whole object sent back by an edit form,
    # where an unchanged value is an echo rather than a choice.
    _echo: bool = PrivateAttr(default=False)

    @property
    def is_echo(self) -> bool:
        return self._echo

    @model_validator(mode="wrap")
    @classmethod
    def _note_echo(cls, data: Any, handler: Any) -> Any:
        model = handler(data)
        model._echo = isinstance(data, dict) and bool(cls.read_only() & data.keys())
        return model

    @model_validator(mode="before")
    @classmethod
    def _drop_ignored(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        read_only = cls.read_only()

        def ignored(name: str, value: Any) -> bool:
            derived = cls.derived_values.get(name, frozenset())
            return (
                name in read_only
                or (value is None and name in cls.null_is_unchanged)
                or (isinstance(value, str) and value in derived)
            )

        return {k: v for k, v in data.items() if not ignored(k, v)}


class OutModel(ResponseModel):
    """A stored document as a response: `_id` becomes `id`, internal fields are dropped. The
    document's version (`sync_seq`, core/sync.py) stays with it, out of the body: its ETag."""

    model_config = ResponseModel.model_config | ConfigDict(extra="ignore")

    id: ObjectIdStr
    _version: int | None = PrivateAttr(default=None)
    _as_of: date | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _from_document(cls, data: Any) -> Any:
        if isinstance(data, dict) and "_id" in data:
            data = {**data, "id": data["_id"]}
        return data

    @model_validator(mode="wrap")
    @classmethod
    def _keep_version(cls, data: Any, handler: Any) -> Any:
        model = handler(data)
        if isinstance(data, dict) and data.get("sync_seq") is not None:
            model._version = data["sync_seq"]
        return model

    def as_of(self, day: date) -> Self:
        """This answer's figures are as of `day` (the user's today): its ETag names the day."""
        self._as_of = day
        return self

    @property
    def etag(self) -> str | None:
        """The strong ETag of the stored version this answer shows; None if it is unknown."""
        return None if self._version is None else sync_etag(self._version, self._as_of)

    def stored(self, **dump: Any) -> dict[str, Any]:
        """The answer as an Idempotency-Key's record keeps it: the body and its version, so a
        replay answers the first answer's ETag too."""
        return self.model_dump(**dump) | {"sync_seq": self._version}


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    skip: int
    limit: int


@dataclass(frozen=True)
class PageParams:
    skip: int = 0
    limit: int = 20


class ErrorOut(BaseModel):
    detail: str
    code: ErrorCode


class Message(BaseModel):
    detail: str


class ValidationIssue(BaseModel):
    """One invalid field: where (`loc`), what (`msg`, `type`) and the limits (`ctx`). The
    input is never echoed (it may be a password): the client has what it sent."""

    loc: list[str | int]
    msg: str
    type: str
    ctx: dict[str, str] | None = None


class ValidationErrorOut(BaseModel):
    """Every 422: the fields in error, each with its message, so a form can show it beside
    the field; `code` is `validation_error` for the schema, or the rule that was broken."""

    detail: list[ValidationIssue]
    code: ErrorCode


class ConflictOut(BaseModel):
    """A 409: a sentence, or, when the conflict is about one field (a taken email, a category
    that already has a budget), that field as a 422 names it, so a form shows it there."""

    detail: str | list[ValidationIssue]
    code: ErrorCode
