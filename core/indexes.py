"""Every index a query relies on, in one place (docs/architecture.md), and the collections
that hold a user's data."""

from pymongo import ASCENDING, IndexModel

from core.sync import RESOURCES, TOMBSTONE_DAYS

# Every collection holding a user's data; `DELETE /users/me` empties all of them.
USER_COLLECTIONS = (
    "sessions",
    "password_resets",
    "notifications",
    "debts",
    "payments",
    "idempotency_keys",
    "income",
    "expenses",
    "budgets",
    "budget_alerts",
    "category_spend",
    "goals",
    "goal_contributions",
    "reminders",
    "card_alerts",
    "imports",
    "import_rows",
    "import_fingerprints",
    "import_templates",
    "rules",
    "sync_state",
    "sync_tombstones",
    "accounts",
    "transfers",
    "import_skips",
    "import_uploads",
    "recurring_items",
    "recurring_alerts",
    "recurring_queue",
    "account_months",
)


def _per_user(*extra: IndexModel) -> list[IndexModel]:
    """The collection's indexes with (user_id, created_at), for lists in the order of
    creation. Entries (income, expenses, payments) are listed by their own day instead and do
    without it: each index costs every insert (10,000 imported entries, about 0.6 s each on
    SecantusDB, bench/RESULTS-imports.md)."""
    # Ascending keys only: SecantusDB mishandles an inclusive bound on a descending key, and
    # an ascending index serves newest-first sorts just as well (it is walked backwards).
    return [IndexModel([("user_id", ASCENDING), ("created_at", ASCENDING)]), *extra]


# One place for every index a query relies on (see README, "Indexes"). Keys are ascending
# throughout: SecantusDB 0.7 drops an inclusive bound on a descending key that another key
# follows, and MongoDB walks an ascending index backwards for newest-first sorts anyway.
# A per-user collection is sharded on user_id, and a sharded cluster enforces uniqueness only
# for an index the shard key prefixes: every unique index on one starts with user_id. (An
# index's key changed means a new name: ops/migrations.py drops the one it replaces.)
INDEXES: dict[str, list[IndexModel]] = {
    "users": [IndexModel("email", unique=True)],
    "sessions": _per_user(IndexModel("expires_at", expireAfterSeconds=0)),
    "password_resets": _per_user(IndexModel("expires_at", expireAfterSeconds=0)),
    "rate_limits": [IndexModel("expires_at", expireAfterSeconds=0)],
    "locks": [IndexModel("expires_at")],
    "outbox": [
        IndexModel([("status", ASCENDING), ("next_attempt_at", ASCENDING)]),
        IndexModel("sent_at", expireAfterSeconds=30 * 24 * 3600),
    ],
    # The inbox (newest first, optionally unread only) and its unread count. Read notifications
    # get `expires_at` (read_at + NOTIFICATION_TTL_DAYS); unread ones never expire.
    "notifications": _per_user(
        IndexModel([("user_id", ASCENDING), ("is_read", ASCENDING), ("created_at", ASCENDING)]),
        IndexModel("expires_at", expireAfterSeconds=0),
        # The notifications that link to an entry being deleted (they lose the link).
        IndexModel([("user_id", ASCENDING), ("action_url", ASCENDING)]),
    ),
    # Debt lists (newest first, optionally one status or type), summary and payoff plan.
    "debts": [
        IndexModel([("user_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)]),
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("status", ASCENDING),
                ("created_at", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("debt_type", ASCENDING),
                ("created_at", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
        # The reminder scheduler: active debts due within the next few days, across users.
        IndexModel([("status", ASCENDING), ("next_payment_date", ASCENDING)]),
        # A card's EMIs (newest first), and the EMI a purchase was converted into.
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("card_account_id", ASCENDING),
                ("created_at", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
        # A purchase converts once (bare amounts have no expense: not in the index).
        IndexModel(
            [("user_id", ASCENDING), ("card_emi.expense_id", ASCENDING)],
            unique=True,
            partialFilterExpression={"card_emi.converted": True},
        ),
    ],
    # Payment lists and monthly stats by date, overall or for one debt (also its cascade delete).
    # Ascending like income's: SecantusDB drops a `$gte` bound on a descending key + another key.
    "payments": [
        IndexModel([("user_id", ASCENDING), ("payment_date", ASCENDING), ("_id", ASCENDING)]),
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("debt_id", ASCENDING),
                ("payment_date", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
        IndexModel([("user_id", ASCENDING), ("transaction_id", ASCENDING)], unique=True),
        # An import's payments (its undo); hand-entered ones near a statement's days.
        IndexModel([("user_id", ASCENDING), ("import_id", ASCENDING), ("payment_date", ASCENDING)]),
        # An account's payments after its last statement (its balance).
        IndexModel(
            [("user_id", ASCENDING), ("account_id", ASCENDING), ("payment_date", ASCENDING)]
        ),
    ],
    # One record per (user, Idempotency-Key): the unique index makes a concurrent repeat wait.
    "idempotency_keys": [
        IndexModel([("user_id", ASCENDING), ("key", ASCENDING)], unique=True),
        IndexModel("expires_at", expireAfterSeconds=0),
    ],
    # Lists (newest first, read backwards) and stats within the user's date range, optionally
    # one type/category/tag. Ascending on purpose: SecantusDB 0.7 drops the inclusive `$gte`
    # bound on a descending key followed by another key; ranges here are always [$gte, $lt).
    "income": [
        IndexModel([("user_id", ASCENDING), ("date", ASCENDING), ("_id", ASCENDING)]),
        # An import's entries (its undo); the hand-entered ones (import_id null) near a
        # statement's days, without reading the imported ones.
        IndexModel([("user_id", ASCENDING), ("import_id", ASCENDING), ("date", ASCENDING)]),
        # An account's entries after its last statement (its balance).
        IndexModel([("user_id", ASCENDING), ("account_id", ASCENDING), ("date", ASCENDING)]),
        # A payee's entries (recurring detection of the payees a write touched).
        IndexModel([("user_id", ASCENDING), ("payee_key", ASCENDING)]),
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("income_type", ASCENDING),
                ("date", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
    ],
    "expenses": [
        IndexModel([("user_id", ASCENDING), ("date", ASCENDING), ("_id", ASCENDING)]),
        # As income's.
        IndexModel([("user_id", ASCENDING), ("import_id", ASCENDING), ("date", ASCENDING)]),
        IndexModel([("user_id", ASCENDING), ("account_id", ASCENDING), ("date", ASCENDING)]),
        IndexModel([("user_id", ASCENDING), ("payee_key", ASCENDING)]),
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("category", ASCENDING),
                ("date", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
        IndexModel(
            [("user_id", ASCENDING), ("tags", ASCENDING), ("date", ASCENDING), ("_id", ASCENDING)]
        ),
    ],
    # One active budget per (user, category); inactive ones may repeat.
    "budgets": _per_user(
        IndexModel(
            [("user_id", ASCENDING), ("category", ASCENDING)],
            unique=True,
            partialFilterExpression={"active": True},
            name="one_active_budget_per_category",
        )
    ),
    # One movement counter per user, account and month (accounts/months.py): every write of
    # an entry or transfer moves its own with `$inc`; a balance reads an account's range.
    "account_months": [
        IndexModel(
            [("user_id", ASCENDING), ("account_id", ASCENDING), ("month", ASCENDING)], unique=True
        ),
    ],
    # One spend counter per user, category and month (ledger.store): every expense write
    # moves its own with `$inc`, and the unique index makes two first writes one counter.
    "category_spend": [
        IndexModel(
            [("user_id", ASCENDING), ("category", ASCENDING), ("month", ASCENDING)], unique=True
        ),
    ],
    # An expense alert is sent once per budget, month and level: the insert that wins sends it.
    "budget_alerts": _per_user(
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("budget_id", ASCENDING),
                ("month", ASCENDING),
                ("level", ASCENDING),
            ],
            unique=True,
        )
    ),
    # Goal lists (newest first, optionally one status) and the summary.
    "goals": _per_user(
        IndexModel([("user_id", ASCENDING), ("status", ASCENDING), ("created_at", ASCENDING)])
    ),
    # One goal's contributions, newest first (also its cascade delete); every goal's within a
    # date range for the monthly and annual reports.
    "goal_contributions": _per_user(
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("goal_id", ASCENDING),
                ("date", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
        IndexModel([("user_id", ASCENDING), ("date", ASCENDING), ("_id", ASCENDING)]),
    ),
    # One reminder per debt, due date and kind: the insert that wins sends it. A record only
    # matters until its due date has passed (REMINDER_DAYS is at most 60), so it expires.
    "reminders": _per_user(
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("debt_id", ASCENDING),
                ("due_date", ASCENDING),
                ("kind", ASCENDING),
            ],
            unique=True,
        ),
        IndexModel("created_at", expireAfterSeconds=90 * 24 * 3600),
    ),
    # One card reminder or alert per card, statement (or cycle) and kind: the insert that wins
    # sends it. A record matters only until its cycle is over, so it expires like the above.
    "card_alerts": _per_user(
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("account_id", ASCENDING),
                ("key", ASCENDING),
                ("kind", ASCENDING),
            ],
            unique=True,
        ),
        IndexModel("created_at", expireAfterSeconds=90 * 24 * 3600),
    ),
    # Statement imports, newest first; an account's (its last committed statement, or
    # whether it has any); the commits whose lease expired, across users (the resume loop of
    # imports/jobs.py, a few times a minute: it reads only those).
    "imports": [
        IndexModel([("user_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("user_id", ASCENDING), ("account_id", ASCENDING), ("status", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("lease.expires_at", ASCENDING)]),
    ],
    # A file read in the background (imports/parsing.py), kept until it is read: found by
    # its import's _id with the user's; a user's, oldest first.
    "import_uploads": _per_user(),
    # An import's rows in file order, optionally one status.
    "import_rows": [
        IndexModel([("user_id", ASCENDING), ("import_id", ASCENDING), ("line", ASCENDING)]),
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("import_id", ASCENDING),
                ("status", ASCENDING),
                ("line", ASCENDING),
            ]
        ),
    ],
    # The committed rows' fingerprints, each one's `_id` the user's and the fingerprint
    # (imports.store.fingerprint_id): the insert that takes it decides which commit creates
    # an entry, with no unique index to keep up. A preview reads the fingerprints of its
    # statement's days by (user_id, date) (never a `$in` over thousands of them); an
    # import's, by line, say what became of a page of its rows, and an undo removes them.
    "import_fingerprints": [
        IndexModel([("user_id", ASCENDING), ("date", ASCENDING)]),
        IndexModel([("user_id", ASCENDING), ("import_id", ASCENDING), ("line", ASCENDING)]),
    ],
    # A generic CSV/XLS column mapping saved under a name, one per (user, name).
    "import_templates": [
        IndexModel([("user_id", ASCENDING), ("name", ASCENDING)], unique=True),
    ],
    # The rows a user skipped, by fingerprint: a re-import keeps them skipped; a preview
    # reads those of its days.
    "import_skips": [
        IndexModel([("user_id", ASCENDING), ("fingerprint", ASCENDING)], unique=True),
        IndexModel([("user_id", ASCENDING), ("date", ASCENDING)]),
    ],
    # Accounts by name (one name per user: a statement's `account` label finds it by name),
    # and by the last four digits a statement prints.
    "accounts": _per_user(
        IndexModel([("user_id", ASCENDING), ("name_key", ASCENDING)], unique=True),
        IndexModel([("user_id", ASCENDING), ("number_last4", ASCENDING)]),
        # The card reminders' pass: every credit card with a statement day, across users.
        IndexModel([("kind", ASCENDING), ("statement_day", ASCENDING)]),
    ),
    # Transfers newest first; an account's by day (its balance, a statement's pairing); the
    # imports whose rows a transfer holds (an undo).
    "transfers": _per_user(
        IndexModel([("user_id", ASCENDING), ("date", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("user_id", ASCENDING), ("account_ids", ASCENDING), ("date", ASCENDING)]),
        IndexModel([("user_id", ASCENDING), ("import_ids", ASCENDING)]),
    ),
    # Recurring items (a handful a user, read whole in the order they were found), and the
    # record that makes each of their notifications go out once.
    "recurring_items": _per_user(),
    "recurring_alerts": [
        IndexModel(
            [("user_id", ASCENDING), ("item_id", ASCENDING), ("event", ASCENDING)], unique=True
        )
    ],
    # The payees waiting for detection (recurring/jobs.py): one record per (user, payee);
    # the first due across users (the worker's claim), then that user's due ones.
    "recurring_queue": [
        IndexModel([("user_id", ASCENDING), ("payee_key", ASCENDING)], unique=True),
        IndexModel([("user_id", ASCENDING), ("due_at", ASCENDING)]),
        IndexModel("due_at"),
    ],
    # The user's rules in the order they apply.
    "rules": [
        IndexModel(
            [
                ("user_id", ASCENDING),
                ("order", ASCENDING),
                ("created_at", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
    ],
}

# Delta sync (core/sync.py, GET /api/sync): every synced collection in write order, a bounded
# range of (user_id, sync_seq) a page; the deletions likewise, kept TOMBSTONE_DAYS. (`users`
# is read by its `_id`; the counters in `sync_state` by theirs, the user's id.)
BY_SYNC_SEQ = IndexModel([("user_id", ASCENDING), ("sync_seq", ASCENDING)])
for _synced in set(RESOURCES.values()) - {"users"}:
    INDEXES[_synced].append(BY_SYNC_SEQ)
INDEXES["sync_tombstones"] = [
    BY_SYNC_SEQ,
    IndexModel("deleted_at", expireAfterSeconds=TOMBSTONE_DAYS * 24 * 3600),
]
