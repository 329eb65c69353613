"""The store's schema: the canonical tables of metrics.md §1 and kefu's own, versioned.

The tables a store has are made by the numbered migrations of kefu.store.migrations, which
use the statements here: `DDL` is schema 1 as released (never edit it; a store made by it
is kept in tests/stores/), later tables have their own statement below. A new table or
column is a new migration: see "Changing the schema" in docs/store.md.
"""

from __future__ import annotations

# The schema this kefu writes: the number of the last migration (kefu.store.migrations).
SCHEMA_VERSION = 9

# Identity of records (metrics.md §3): importing a record again with the same identity
# updates it. Messages are identified by every field but `chars` (text NULL counts as '').
KEYS: dict[str, tuple[str, ...]] = {
    "agents": ("shop_id", "agent_id"),
    "messages": ("shop_id", "buyer_id", "agent_id", "sent_at", "sender", "text"),
    "orders": ("shop_id", "order_id"),
    "reviews": ("shop_id", "order_id"),
}

COLUMNS: dict[str, dict[str, str]] = {
    "agents": {
        "shop_id": "VARCHAR NOT NULL",
        "agent_id": "VARCHAR NOT NULL",
        "name": "VARCHAR",
        "role": "VARCHAR NOT NULL",
        "team": "VARCHAR",
        "hired_on": "DATE",
        "left_on": "DATE",
    },
    "messages": {
        "shop_id": "VARCHAR NOT NULL",
        "buyer_id": "VARCHAR NOT NULL",
        "agent_id": "VARCHAR NOT NULL",
        "sent_at": "TIMESTAMP NOT NULL",
        "sender": "VARCHAR NOT NULL",
        "text": "VARCHAR NOT NULL",  # '' when the source has no text
        "chars": "INTEGER NOT NULL",
    },
    "orders": {
        "shop_id": "VARCHAR NOT NULL",
        "order_id": "VARCHAR NOT NULL",
        "buyer_id": "VARCHAR",
        "created_at": "TIMESTAMP NOT NULL",
        "paid_at": "TIMESTAMP",
        "amount_fen": "BIGINT NOT NULL",
        "items": "INTEGER NOT NULL",
        "refund_fen": "BIGINT NOT NULL",
        "refunded_at": "TIMESTAMP",
        "status": "VARCHAR",
    },
    "reviews": {
        "shop_id": "VARCHAR NOT NULL",
        "order_id": "VARCHAR NOT NULL",
        "rated_at": "TIMESTAMP",
        "rating": "VARCHAR NOT NULL",
    },
}

# Schema 1, as released: the statements of migration 1. Never edit or append to this list
# (tests/test_store_upgrade.py compares it with the released store): add a migration.
DDL = [
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)",
    *(
        f"CREATE TABLE IF NOT EXISTS {table} ("
        + ", ".join(f"{c} {t}" for c, t in cols.items())
        + (f", PRIMARY KEY ({', '.join(KEYS[table])})" if table != "messages" else "")
        + ")"
        for table, cols in COLUMNS.items()
    ),
    """CREATE TABLE IF NOT EXISTS import_log (
        import_id INTEGER NOT NULL PRIMARY KEY,
        imported_at TIMESTAMP NOT NULL,
        file VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        format VARCHAR NOT NULL,
        encoding VARCHAR,
        shop_id VARCHAR,
        rows_read INTEGER NOT NULL,
        imported INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        duplicates INTEGER NOT NULL,
        quarantined INTEGER NOT NULL,
        dropped INTEGER NOT NULL,
        warnings VARCHAR
    )""",
    # One row a rejected record: where it was, why, and its non-personal cells (as JSON).
    """CREATE TABLE IF NOT EXISTS quarantine (
        import_id INTEGER NOT NULL,
        file VARCHAR NOT NULL,
        row_no INTEGER,
        column_name VARCHAR,
        value VARCHAR,
        reason VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        record VARCHAR
    )""",
    """CREATE TABLE IF NOT EXISTS shop_settings (
        shop_id VARCHAR NOT NULL, name VARCHAR NOT NULL, value VARCHAR NOT NULL,
        PRIMARY KEY (shop_id, name))""",
    # Payroll runs (issue #3): immutable once approved; inputs and plan kept so a run can be
    # recomputed bit for bit without the data. JSON text, with the SHA-256 of each.
    """CREATE TABLE IF NOT EXISTS payroll_runs (
        run_id INTEGER NOT NULL PRIMARY KEY,
        shop_id VARCHAR NOT NULL,
        month VARCHAR NOT NULL,
        plan_name VARCHAR NOT NULL,
        plan_version VARCHAR NOT NULL,
        plan_source VARCHAR NOT NULL,
        plan_sha256 VARCHAR NOT NULL,
        plan_text VARCHAR NOT NULL,
        inputs_sha256 VARCHAR NOT NULL,
        inputs_json VARCHAR NOT NULL,
        results_sha256 VARCHAR NOT NULL,
        results_json VARCHAR NOT NULL,
        total_fen BIGINT NOT NULL,
        warnings_json VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        approved_at TIMESTAMP
    )""",
    """CREATE TABLE IF NOT EXISTS payroll_lines (
        run_id INTEGER NOT NULL,
        agent_id VARCHAR NOT NULL,
        seq INTEGER NOT NULL,
        component VARCHAR NOT NULL,
        amount_fen BIGINT NOT NULL,
        for_month VARCHAR,
        explanation_zh VARCHAR NOT NULL,
        explanation_en VARCHAR NOT NULL,
        inputs_json VARCHAR NOT NULL,
        PRIMARY KEY (run_id, agent_id, seq)
    )""",
]

# Agent reports of the platforms (赤兔, 生意参谋, 飞鸽, 拼多多, 京东; issue #10): the figures as
# REPORTED, one row per agent, period, source, credit rule and field, kept apart from what
# kefu derives. value = numerator / denominator, exact; `kind` says whether it adds up over
# days and agents (count, fen, seconds, hours) or is a rate or mean given without its parts
# (never pooled). `available` is false for placeholders such as 延迟统计. credit_rule is ''
# when the report does not say. Schema 2; IF NOT EXISTS because kefu builds of schema 1
# made between issue #10 and schema 2 created it on open.
REPORTED_FIGURES = """CREATE TABLE IF NOT EXISTS reported_figures (
        shop_id VARCHAR NOT NULL,
        agent_id VARCHAR NOT NULL,
        period_start DATE NOT NULL,
        period_end DATE NOT NULL,
        grain VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        credit_rule VARCHAR NOT NULL,
        field VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        numerator BIGINT,
        denominator BIGINT,
        value_text VARCHAR NOT NULL,
        column_name VARCHAR NOT NULL,
        available BOOLEAN NOT NULL,
        agent_name VARCHAR,
        team VARCHAR,
        file VARCHAR NOT NULL,
        import_id INTEGER NOT NULL,
        PRIMARY KEY (shop_id, agent_id, period_start, period_end, source, credit_rule, field)
    )"""

# Schema 2, with the reported figures above: the audit log (issue #7, read by issue #9).
# Append-only: kefu inserts one row per change a person makes to the store and never
# updates or deletes one; an upgrade never rewrites it. `at_utc` is UTC (an event's time, not the shop's business time);
# `actor` the operating-system user; `details` a JSON object.
AUDIT_LOG = """CREATE TABLE audit_log (
    entry_id BIGINT NOT NULL PRIMARY KEY,
    at_utc TIMESTAMP NOT NULL,
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    object VARCHAR,
    details VARCHAR NOT NULL
)"""

# Schema 3: a quarantined row's reason as its catalogue key and values (JSON), so it is shown
# in the reader's language; `reason` keeps the English sentence (older rows have only that).
QUARANTINE_WHY = "ALTER TABLE quarantine ADD COLUMN why VARCHAR"

# Schema 4: the web workplace (issue #9, docs/web.md, docs/security.md). IF NOT EXISTS
# because kefu builds of schema 2 made while the workplace was written created these tables
# when `kefu serve` or `kefu users` opened the store; such a store upgrades keeping their rows.
# Passwords are Argon2id hashes, session and API tokens SHA-256 hashes of random tokens.
WEB_TABLES: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS users (
        user_id INTEGER NOT NULL PRIMARY KEY,
        name VARCHAR NOT NULL UNIQUE,
        role VARCHAR NOT NULL,
        password_hash VARCHAR NOT NULL,
        disabled BOOLEAN NOT NULL DEFAULT false,
        lang VARCHAR NOT NULL DEFAULT 'zh',
        created_at TIMESTAMP NOT NULL
    )""",
    # the shops a manager (or agent) works in; an owner sees every shop
    """CREATE TABLE IF NOT EXISTS user_shops (
        user_id INTEGER NOT NULL, shop_id VARCHAR NOT NULL, PRIMARY KEY (user_id, shop_id))""",
    # the sub-accounts (seats) an agent is; possibly several, across shops
    """CREATE TABLE IF NOT EXISTS user_agents (
        user_id INTEGER NOT NULL, shop_id VARCHAR NOT NULL, agent_id VARCHAR NOT NULL,
        PRIMARY KEY (user_id, shop_id, agent_id))""",
    """CREATE TABLE IF NOT EXISTS web_sessions (
        token_sha256 VARCHAR NOT NULL PRIMARY KEY,
        user_id INTEGER NOT NULL,
        csrf VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        expires_at TIMESTAMP NOT NULL,
        revoked_at TIMESTAMP
    )""",
    """CREATE TABLE IF NOT EXISTS api_tokens (
        token_sha256 VARCHAR NOT NULL PRIMARY KEY,
        user_id INTEGER NOT NULL,
        label VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        revoked_at TIMESTAMP
    )""",
    # who drafted and who approved each payroll run (the four-eyes rule of the workplace)
    """CREATE TABLE IF NOT EXISTS payroll_signoff (
        run_id INTEGER NOT NULL PRIMARY KEY, drafted_by VARCHAR, approved_by VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS login_attempts (
        name VARCHAR NOT NULL, address VARCHAR NOT NULL, attempted_at TIMESTAMP NOT NULL, ok BOOLEAN NOT NULL)""",
    # questions (申诉) an agent raises about a payslip line or an order's credit, and the thread
    """CREATE TABLE IF NOT EXISTS questions (
        question_id INTEGER NOT NULL PRIMARY KEY,
        shop_id VARCHAR NOT NULL,
        agent_id VARCHAR NOT NULL,
        month VARCHAR,
        about VARCHAR NOT NULL,
        asked_by VARCHAR NOT NULL,
        asked_at TIMESTAMP NOT NULL,
        status VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS question_messages (
        question_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        author VARCHAR NOT NULL,
        written_at TIMESTAMP NOT NULL,
        text VARCHAR NOT NULL,
        PRIMARY KEY (question_id, seq)
    )""",
    # a shop-month's KPI object as JSON, under the hash of what it depends on (kefu.metrics.cache)
    """CREATE TABLE IF NOT EXISTS kpi_cache (
        shop_id VARCHAR NOT NULL,
        month VARCHAR NOT NULL,
        inputs_key VARCHAR NOT NULL,
        body VARCHAR NOT NULL,
        computed_at TIMESTAMP NOT NULL,
        PRIMARY KEY (shop_id, month)
    )""",
)

# Schema 4, with the workplace: a shop's own lexicon for the voice of the buyer (docs/voice.md),
# the YAML text as uploaded, merged over kefu's lexicon by `kefu voice` and the voice page.
SHOP_LEXICONS = """CREATE TABLE IF NOT EXISTS shop_lexicons (
    shop_id VARCHAR NOT NULL PRIMARY KEY,
    lexicon_text VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    set_by VARCHAR NOT NULL,
    set_at TIMESTAMP NOT NULL
)"""

# Schema 5 (issue #11): what each order sold, line by line, and the shop's products.
# One row per order line: `line_id` is the export's sub-order id (子订单编号, 商品ID) or the
# line's number within its order in the file. `product_id` is the platform's product id
# when the export has one, else the merchant code (商家编码), else the title. Money in fen:
# `unit_price_fen` as the export gives it, `line_fen` = what the line sold for before
# order-level discounts (unit × quantity, or the export's line total). Re-importing an
# order replaces all its lines.
ORDER_ITEMS = """CREATE TABLE order_items (
    shop_id VARCHAR NOT NULL,
    order_id VARCHAR NOT NULL,
    line_id VARCHAR NOT NULL,
    product_id VARCHAR NOT NULL,
    title VARCHAR,
    sku VARCHAR,
    unit_price_fen BIGINT NOT NULL,
    quantity INTEGER NOT NULL,
    line_fen BIGINT NOT NULL,
    category VARCHAR,
    PRIMARY KEY (shop_id, order_id, line_id)
)"""

# What the shop says about a product (`kefu products import`): its title, category, launch
# date and stage ('new' or 'established'; NULL = derived from the dates). The first sale
# date is derived from order_items and orders, never stored.
PRODUCTS = """CREATE TABLE products (
    shop_id VARCHAR NOT NULL,
    product_id VARCHAR NOT NULL,
    title VARCHAR,
    category VARCHAR,
    launched_on DATE,
    stage VARCHAR,
    PRIMARY KEY (shop_id, product_id)
)"""

# Schema 6: people behind seats (issue #10). A person (a 工号, with name, hiring and leaving
# dates) holds sub-accounts (the `agents` rows, "seats") over dated intervals, across shops:
# a seat can pass from one person to another on a date. held_from / held_until are days
# held, both included; NULL falls back on the person's hired_on / left_on, else open. One
# seat has at most one holder on any day (checked where an agents file is read). An
# upgraded store gets one person per agent, holding it throughout (docs/store.md).
PERSONS = """CREATE TABLE persons (
    person_id VARCHAR NOT NULL PRIMARY KEY,
    name VARCHAR,
    hired_on DATE,
    left_on DATE
)"""

SEAT_HOLDERS = """CREATE TABLE seat_holders (
    shop_id VARCHAR NOT NULL,
    agent_id VARCHAR NOT NULL,
    person_id VARCHAR NOT NULL,
    held_from DATE,
    held_until DATE
)"""

# Schema 7 (issue #12): the voice of the buyer's labels of buyer texts, kept across runs so
# a month read again (or a text seen in an earlier month) is not segmented again. One row per
# shop, classifier version (kefu.voice.topics.Classifier.version: the lexicon's texts, the
# labelling code, jieba) and text, keyed by md5_number(text): the text itself is not kept
# twice. A run with another version writes new rows; a shop keeps its two most recently used
# versions (voice_label_sets), older ones are deleted. Nothing else reads these tables:
# deleting their rows only costs time.
VOICE_LABELS = """CREATE TABLE voice_labels (
    shop_id VARCHAR NOT NULL,
    classifier VARCHAR NOT NULL,
    text_md5 UHUGEINT NOT NULL,
    topics VARCHAR[] NOT NULL,
    subtopics VARCHAR[] NOT NULL,
    terms VARCHAR[] NOT NULL
)"""

VOICE_LABEL_SETS = """CREATE TABLE voice_label_sets (
    shop_id VARCHAR NOT NULL,
    classifier VARCHAR NOT NULL,
    used_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, classifier)
)"""

# Schema 8 (issue #9): the person (工号) an agent's web account is: its figures and payslips
# are that person's, on the days they held their seats (kefu.web.access)
USER_PERSONS = """CREATE TABLE user_persons (
    user_id INTEGER NOT NULL,
    person_id VARCHAR NOT NULL,
    PRIMARY KEY (user_id, person_id)
)"""

# Schema 9: Taobao 服务评价 (issue #10), the buyers' ratings of an agent in 旺旺 (TOP API
# taobao.qianniu.kefueval.get). One row per evaluation: the agent (sub-account) rated, the
# buyer who rated, when, `eval_code` 0 非常满意, 1 满意, 2 一般, 3 不满意, 4 非常不满意, and
# `eval_source` 0 客服邀评, 1 消费者自主评价, 2 系统邀评 (NULL when the file does not say). An
# evaluation is identified by (shop, agent, buyer, time): importing it again updates its code
# and source, never duplicates it (docs/importers.md, Service evaluations).
SERVICE_EVALS = """CREATE TABLE service_evals (
    shop_id VARCHAR NOT NULL,
    agent_id VARCHAR NOT NULL,
    buyer_id VARCHAR NOT NULL,
    evaluated_at TIMESTAMP NOT NULL,
    eval_code INTEGER NOT NULL,
    eval_source INTEGER,
    file VARCHAR NOT NULL,
    import_id INTEGER NOT NULL,
    PRIMARY KEY (shop_id, agent_id, buyer_id, evaluated_at)
)"""
