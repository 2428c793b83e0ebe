"""The shapes every domain shares: request and response bases, a page of results, errors."""

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, model_validator

from errors import ErrorCode
from schemas.types import ObjectIdStr

T = TypeVar("T")


# A field with a default is optional in a request but always present in an answer: an answer's
# schema (FastAPI's serialization mode) lists it as `required`, so generated clients type answers
# without `| undefined` / `Unset`. Only on models that are answers and never requests: a model
# that is both would be published twice (`X-Input`, `X-Output`, one title, which
# openapi-python-client can't tell apart).
ANSWER_DEFAULTS_REQUIRED = ConfigDict(json_schema_serialization_defaults_required=True)


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OutModel(BaseModel):
    """A stored document as a response: `_id` becomes `id`, internal fields are dropped."""

    model_config = ConfigDict(extra="ignore") | ANSWER_DEFAULTS_REQUIRED

    id: ObjectIdStr

    @model_validator(mode="before")
    @classmethod
    def _from_document(cls, data: Any) -> Any:
        if isinstance(data, dict) and "_id" in data:
            data = {**data, "id": data["_id"]}
        return data


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
    """One invalid field: where (`loc`), what (`msg`, `type`), the input and the limits."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = None
    ctx: dict[str, str] | None = None


class ValidationErrorOut(BaseModel):
    """A 422: field errors (`code: validation_error`) or a broken rule (`detail` explains it)."""

    detail: list[ValidationIssue] | str
    code: ErrorCode
