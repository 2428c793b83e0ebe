"""Domain errors: raised anywhere (rules, stores, routers) without knowing about HTTP;
`core.http_errors` is the one place that turns each kind into its status and body.

Every error carries a code from `ErrorCode`, the one list of codes a client can receive (the
OpenAPI schema publishes it as an enum)."""

from enum import StrEnum
from typing import Any

Loc = tuple[str | int, ...]  # where in the request: ("body", "amount"), ("query", "from")


class ErrorCode(StrEnum):
    # transport and schema
    malformed_body = "malformed_body"
    validation_error = "validation_error"
    not_found = "not_found"
    method_not_allowed = "method_not_allowed"
    payload_too_large = "payload_too_large"
    unsupported_media_type = "unsupported_media_type"
    rate_limited = "rate_limited"
    database_unavailable = "database_unavailable"
    internal_error = "internal_error"
    # conditional requests and delta sync
    precondition_failed = "precondition_failed"
    sync_cursor_expired = "sync_cursor_expired"
    # auth and users
    not_authenticated = "not_authenticated"
    invalid_credentials = "invalid_credentials"
    refresh_token_reused = "refresh_token_reused"
    session_ended = "session_ended"
    invalid_reset_token = "invalid_reset_token"
    wrong_password = "wrong_password"
    email_taken = "email_taken"
    # records that are missing or someone else's
    user_not_found = "user_not_found"
    debt_not_found = "debt_not_found"
    payment_not_found = "payment_not_found"
    income_not_found = "income_not_found"
    expense_not_found = "expense_not_found"
    emi_not_found = "emi_not_found"
    receipt_not_found = "receipt_not_found"
    budget_not_found = "budget_not_found"
    goal_not_found = "goal_not_found"
    notification_not_found = "notification_not_found"
    account_not_found = "account_not_found"
    transfer_not_found = "transfer_not_found"
    recurring_item_not_found = "recurring_item_not_found"
    # loans
    debt_not_active = "debt_not_active"
    debt_has_payments = "debt_has_payments"
    debt_completed = "debt_completed"
    invalid_amounts = "invalid_amounts"
    overpayment = "overpayment"
    payment_too_small = "payment_too_small"
    payment_date_in_future = "payment_date_in_future"
    rate_change_date_in_future = "rate_change_date_in_future"
    never_pays_off = "never_pays_off"
    conflicts_with_history = "conflicts_with_history"
    emi_below_minimum = "emi_below_minimum"
    rate_change_not_found = "rate_change_not_found"
    idempotency_key_reused = "idempotency_key_reused"
    idempotency_in_progress = "idempotency_in_progress"
    # entries, budgets, goals
    budget_exists = "budget_exists"
    goal_closed = "goal_closed"
    target_date_in_past = "target_date_in_past"
    future_date = "future_date"
    # accounts and transfers
    account_exists = "account_exists"
    account_in_use = "account_in_use"
    same_account = "same_account"
    # periods
    invalid_range = "invalid_range"
    invalid_period = "invalid_period"
    invalid_fiscal_year = "invalid_fiscal_year"
    # receipts
    file_too_large = "file_too_large"
    unsupported_file_type = "unsupported_file_type"
    storage_unavailable = "storage_unavailable"
    invalid_signature = "invalid_signature"
    link_expired = "link_expired"
    # statement import: the file (the codes `statements` raises, verbatim), the import, rules
    empty = "empty"
    pdf_password = "pdf_password"
    pdf_password_required = "pdf_password_required"
    pdf_scanned = "pdf_scanned"
    pdf_too_many_pages = "pdf_too_many_pages"
    pdf_too_slow = "pdf_too_slow"
    corrupt_pdf = "corrupt_pdf"
    image = "image"
    archive = "archive"
    binary = "binary"
    zip_bomb = "zip_bomb"
    encrypted_spreadsheet = "encrypted_spreadsheet"
    html = "html"
    unknown_layout = "unknown_layout"
    unknown_format = "unknown_format"
    format_mismatch = "format_mismatch"
    several_accounts = "several_accounts"
    invalid_mapping = "invalid_mapping"
    mapping_required = "mapping_required"
    mapping_conflict = "mapping_conflict"
    mapping_columns_missing = "mapping_columns_missing"
    corrupt_csv = "corrupt_csv"
    corrupt_json = "corrupt_json"
    corrupt_ofx = "corrupt_ofx"
    corrupt_spreadsheet = "corrupt_spreadsheet"
    corrupt_zip = "corrupt_zip"
    too_many_rows = "too_many_rows"
    template_not_found = "template_not_found"
    import_not_found = "import_not_found"
    row_not_found = "row_not_found"
    rule_not_found = "rule_not_found"
    import_not_in_preview = "import_not_in_preview"
    import_committed = "import_committed"
    import_not_committed = "import_not_committed"
    import_busy = "import_busy"
    too_many_rules = "too_many_rules"
    empty_rule = "empty_rule"
    row_not_importable = "row_not_importable"
    unreadable_file = "unreadable_file"
    payment_needs_debt = "payment_needs_debt"
    ambiguous_date_order = "ambiguous_date_order"
    invalid_date_order = "invalid_date_order"
    account_required = "account_required"
    account_mismatch = "account_mismatch"
    currency_mismatch = "currency_mismatch"
    transfer_needs_account = "transfer_needs_account"
    card_terms_missing = "card_terms_missing"
    statement_day_changed = "statement_day_changed"
    not_a_card = "not_a_card"
    invalid_late_fee_slabs = "invalid_late_fee_slabs"
    expense_not_on_card = "expense_not_on_card"
    expense_converted = "expense_converted"
    emi_closed = "emi_closed"
    card_emi_terms = "card_emi_terms"


class AppError(Exception):
    """A request the domain refuses: a code from `ErrorCode`, a sentence, and the input(s) it
    is about. Its kind (the subclass) says what went wrong, not how HTTP says it: the one map
    from kind to status is `core.http_errors.STATUS`."""

    code = ErrorCode.malformed_body

    def __init__(
        self, detail: str, *, code: ErrorCode | None = None, loc: Loc | list[Loc] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.code
        # The input(s) the error is about: the answer names its field(s), so a form can show
        # the message beside the field.
        self.locs: list[Loc] = [] if loc is None else loc if isinstance(loc, list) else [loc]


class BadRequest(AppError):
    """The request can't be acted on as sent (a wrong password, a spent token)."""


class Unauthorized(AppError):
    """No valid credentials."""

    code = ErrorCode.not_authenticated

    def __init__(self, detail: str = "Could not validate credentials", **kw: Any) -> None:
        super().__init__(detail, **kw)


class Forbidden(AppError):
    """Valid credentials that don't grant this."""


class NotFound(AppError):
    """A record that does not exist, or is someone else's."""

    code = ErrorCode.not_found

    def __init__(self, entity: str) -> None:
        # "debt" -> "Debt not found" / debt_not_found
        super().__init__(
            f"{entity.replace('_', ' ').capitalize()} not found",
            code=ErrorCode(f"{entity}_not_found"),
        )


class Conflict(AppError):
    """Valid input that the current state refuses (a taken email, an overpayment)."""


class Gone(AppError):
    """Something that existed and no longer can be used (an expired link)."""


class PreconditionFailed(AppError):
    """A write conditional on the version the client holds (If-Match), refused because the
    record changed since the client read it."""

    code = ErrorCode.precondition_failed

    def __init__(self, entity: str) -> None:
        # "debt" -> "This debt changed since you read it: read it again"
        super().__init__(
            f"This {entity.replace('_', ' ')} changed since you read it: read it again"
        )


class PayloadTooLarge(AppError):
    code = ErrorCode.payload_too_large


class UnsupportedMediaType(AppError):
    code = ErrorCode.unsupported_media_type


class Unprocessable(AppError):
    """Input that breaks a rule the schema can't state; names the field(s)."""


class TooManyRequests(AppError):
    code = ErrorCode.rate_limited

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many attempts, try again later")
        self.retry_after = max(1, retry_after)  # seconds


class ServiceUnavailable(AppError):
    """A dependency (storage, the database) is away for now."""
