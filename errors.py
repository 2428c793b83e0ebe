"""Domain errors: raised anywhere, turned into HTTP responses by one handler in main.py."""

from typing import Any


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self, detail: str, *, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.code
        self.headers = headers


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class Unauthorized(AppError):
    status_code = 401
    code = "not_authenticated"

    def __init__(self, detail: str = "Could not validate credentials", **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class NotFound(AppError):
    status_code = 404
    code = "not_found"

    def __init__(self, entity: str) -> None:
        # "debt" -> "Debt not found" / debt_not_found
        super().__init__(
            f"{entity.replace('_', ' ').capitalize()} not found", code=f"{entity}_not_found"
        )


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Unprocessable(AppError):
    status_code = 422
    code = "unprocessable"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class Gone(AppError):
    status_code = 410
    code = "gone"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"


class TooManyRequests(AppError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many attempts, try again later",
            headers={"Retry-After": str(max(1, retry_after))},
        )
