"""The shapes every domain shares: request and response bases, a page of results, errors."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator

from core.dates import local_day
from core.errors import ErrorCode, Unprocessable
from core.sync import etag as sync_etag
from schemas.types import ObjectIdStr

T = TypeVar("T")


def _days(value: Any, tz: str) -> Any:
    if isinstance(value, datetime):
        return local_day(value, tz)
    if isinstance(value, dict):
        return {k: _days(v, tz) for k, v in value.items()}
    return value


class ResponseModel(BaseModel):
    """A response body: every field is always sent, defaulted ones included.

    A field with a default is optional in a request but always present in an answer: an
    answer's schema (FastAPI's serialization mode) lists it as `required`, so generated
    clients type answers without `| undefined` / `Unset`. Only on models that are answers and
    never requests: a model that is both would be published twice (`X-Input`, `X-Output`, one
    title, which openapi-python-client can't tell apart)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class RequestModel(BaseModel):
    """A request body: unknown fields are a 422, text is trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def values(self, tz: str, *, partial: bool = False) -> dict[str, Any]:
        """The fields as a dict (only those sent when `partial`), every day resolved to a
        calendar day in the user's timezone `tz` (the only datetimes a request holds are days)."""
        return _days(self.model_dump(exclude_unset=partial), tz)


class UpdateModel(RequestModel):
    """A PUT body. It may also carry the object exactly as GET returned it (the usual edit
    form): a read-only field of `echo_of` (id, timestamps, computed figures) is accepted and
    then checked against the stored object by `check_echo`; unknown fields stay a 422."""

    echo_of: ClassVar[type[BaseModel]]
    # Values of a writable field that only the system sets (a goal's `completed`): accepted
    # when they equal the stored value, like a read-only field.
    derived_values: ClassVar[dict[str, frozenset[str]]] = {}
    _echoed: dict[str, Any] = PrivateAttr(default_factory=dict)

    @classmethod
    def read_only(cls) -> frozenset[str]:
        out = cls.echo_of
        shown = frozenset(out.model_fields) | frozenset(out.model_computed_fields)
        return shown - frozenset(cls.model_fields)

    @model_validator(mode="wrap")
    @classmethod
    def _set_aside_echoes(cls, data: Any, handler: Any) -> Any:
        echoed: dict[str, Any] = {}
        if isinstance(data, dict):
            derived = {
                k
                for k, values in cls.derived_values.items()
                if isinstance(data.get(k), str) and data[k] in values
            }
            echoed = {k: data[k] for k in (cls.read_only() | derived) & data.keys()}
            data = {k: v for k, v in data.items() if k not in echoed}
        model = handler(data)
        model._echoed = echoed
        return model

    def echo_check(self, shown: Callable[[Any], BaseModel]) -> Callable[[Any], None] | None:
        """For `database.update_owned`: check the echoed fields against the stored document as
        `shown` turns it into its response; None when nothing was echoed (no read needed)."""
        if not self._echoed:
            return None
        return lambda stored: self.check_echo(shown(stored))

    def check_echo(self, current: BaseModel) -> None:
        """A read-only field sent with another value than `current` (the stored object as GET
        returns it) is a 422 naming it."""
        shown = current.model_dump(mode="json")
        wrong = [k for k, v in self._echoed.items() if k not in shown or shown[k] != v]
        if wrong:
            raise Unprocessable(
                f"{', '.join(sorted(wrong))} cannot be changed here",
                code=ErrorCode.read_only_field,
                loc=[("body", k) for k in sorted(wrong)],
            )


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
