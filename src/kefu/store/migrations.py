"""The store's migrations: numbered steps from each schema version to the next, declared as data.

Migration N takes a store from schema N-1 to N (migration 1 makes a new store). Opening a
store read-write applies every migration it lacks, in order, in ONE transaction: a store is
upgraded whole or not at all (a failure, or a killed process, leaves it at its old
version). A step is a SQL statement or a function of the connection; a step never
rewrites approved payroll runs or the audit log. Recipe for migration N+1: docs/store.md,
"Changing the schema".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb

from kefu import __version__
from kefu.store.schema import (
    AUDIT_LOG,
    DDL,
    ORDER_ITEMS,
    PERSONS,
    PRODUCTS,
    QUARANTINE_WHY,
    REPORTED_FIGURES,
    SCHEMA_VERSION,
    SEAT_HOLDERS,
    SERVICE_EVALS,
    SHOP_LEXICONS,
    USER_PERSONS,
    VOICE_LABEL_SETS,
    VOICE_LABELS,
    WEB_TABLES,
)

Step = str | Callable[[duckdb.DuckDBPyConnection], None]

# Rows no upgrade may change, add or remove: approved pay and the audit trail. apply()
# checks them (on the columns they had before) and fails the whole upgrade if one moved.
PROTECTED = ("payroll_runs", "payroll_lines", "audit_log")


class MigrationError(RuntimeError):
    """A migration broke a rule of upgrades (it changed protected rows)."""


@dataclass(frozen=True)
class Migration:
    version: int  # the schema version a store has once this migration is applied
    summary: str  # one line: what the version adds (docs/store.md lists them)
    steps: tuple[Step, ...]


def _one_person_per_agent(con: duckdb.DuckDBPyConnection) -> None:
    """Every agent of the store becomes a person holding that one seat (no dates: always).

    The person's id is the agent's own, or `shop:agent` where the same agent id is used in
    more than one shop (a person id is the same across shops)."""
    con.execute(
        """CREATE TEMP TABLE _kefu_people AS
        SELECT shop_id, agent_id, name, hired_on, left_on,
               CASE WHEN count(*) OVER (PARTITION BY agent_id) > 1
                    THEN shop_id || ':' || agent_id ELSE agent_id END AS person_id
        FROM agents"""
    )
    con.execute("INSERT INTO persons SELECT person_id, name, hired_on, left_on FROM _kefu_people")
    con.execute(
        "INSERT INTO seat_holders SELECT shop_id, agent_id, person_id, NULL, NULL FROM _kefu_people"
    )
    con.execute("DROP TABLE _kefu_people")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "canonical tables (agents, messages, orders, reviews), import log, quarantine,"
        " shop settings, payroll runs and lines",
        tuple(DDL),
    ),
    Migration(
        2,
        "reported_figures (the platforms' agent reports, issue #10); audit_log (who changed"
        " the store, when, how); schema_version records the kefu that applied each version",
        (
            REPORTED_FIGURES,
            AUDIT_LOG,
            "ALTER TABLE schema_version ADD COLUMN kefu_version VARCHAR",
        ),
    ),
    Migration(
        3,
        "quarantine.why: a quarantined row's reason as its catalogue key and values, shown in"
        " the reader's language",
        (QUARANTINE_WHY,),
    ),
    Migration(
        4,
        "the web workplace (issue #9): users, their shops and seats, sessions, API tokens,"
        " login attempts, payroll sign-off, questions and their threads, the KPI cache; a shop's"
        " own voice lexicon (issue #12)",
        (*WEB_TABLES, SHOP_LEXICONS),
    ),
    Migration(
        5,
        "order_items (what each order sold: product, SKU, unit price, quantity) and products"
        " (the shop's category, launch date and stage of a product; issue #11)",
        (ORDER_ITEMS, PRODUCTS),
    ),
    Migration(
        6,
        "persons and seat_holders (people behind seats, issue #10): one person per existing"
        " agent, holding that seat throughout",
        (PERSONS, SEAT_HOLDERS, _one_person_per_agent),
    ),
    Migration(
        7,
        "voice_labels and voice_label_sets: the voice of the buyer's labels of buyer texts,"
        " kept per shop and classifier version so a month read again is not classified again"
        " (issue #12)",
        (VOICE_LABELS, VOICE_LABEL_SETS),
    ),
    Migration(
        8,
        "user_persons: an agent's web account linked to the person (employee number) it is,"
        " not only to seats (issue #9)",
        (USER_PERSONS,),
    ),
    Migration(
        9,
        "service_evals (Taobao service evaluations: the buyers' 0–4 ratings of an agent, with their source;"
        " issue #10)",
        (SERVICE_EVALS,),
    ),
)


def check(migrations: Sequence[Migration] = MIGRATIONS) -> None:
    """Migrations are numbered 1, 2, … without gaps, and the last is SCHEMA_VERSION."""
    numbers = [m.version for m in migrations]
    if numbers != list(range(1, len(numbers) + 1)) or numbers[-1] != SCHEMA_VERSION:
        raise RuntimeError(
            f"kefu.store.migrations are numbered {numbers}; they must run 1, 2, … up to"
            f" SCHEMA_VERSION = {SCHEMA_VERSION} (kefu.store.schema)"
        )


check()


def stored_version(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> int | None:
    """The store's schema version; None when it has no schema_version table (not a kefu store)."""
    where = "table_name = 'schema_version' AND schema_name = 'main'"
    if catalog is not None:
        where += f" AND database_name = '{catalog}'"
    else:
        where += " AND database_name = current_database()"
    row = con.execute(f"SELECT count(*) FROM duckdb_tables() WHERE {where}").fetchone()
    if not row or not row[0]:
        return None
    table = f"{catalog}.main.schema_version" if catalog else "schema_version"
    found = con.execute(f"SELECT max(version) FROM {table}").fetchone()
    return int(found[0]) if found and found[0] is not None else 0


def table_names(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> list[str]:
    """The store's tables (main schema), sorted."""
    where = f"database_name = '{catalog}'" if catalog else "database_name = current_database()"
    rows = con.execute(
        f"SELECT table_name FROM duckdb_tables() WHERE {where} AND schema_name = 'main'"
        " AND NOT temporary ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def apply(
    con: duckdb.DuckDBPyConnection,
    found: int,
    applied_at: object,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> list[int]:
    """Apply the migrations after version `found`, each recorded in schema_version; call in a transaction.

    Returns the versions applied. The caller owns the transaction: an exception here must
    roll the whole upgrade back.
    """
    guarded = {t: _fingerprint(con, t) for t in PROTECTED if t in table_names(con)}
    done: list[int] = []
    for migration in migrations:
        if migration.version <= found:
            continue
        for step in migration.steps:
            if isinstance(step, str):
                con.execute(step)
            else:
                step(con)
        recorded = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = 'schema_version'"
                " AND database_name = current_database() AND schema_name = 'main'"
            ).fetchall()
        }
        if "kefu_version" in recorded:
            con.execute(
                "INSERT INTO schema_version (version, applied_at, kefu_version) VALUES (?, ?, ?)",
                [migration.version, applied_at, __version__],
            )
        else:
            con.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                [migration.version, applied_at],
            )
        done.append(migration.version)
    for table, (columns, before) in guarded.items():
        if _fingerprint(con, table, columns)[1] != before:
            raise MigrationError(f"an upgrade must not change the rows of {table}")
    return done


def _fingerprint(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str] | None = None
) -> tuple[list[str], tuple[int, int]]:
    """A table's row count and the sum of its rows' hashes over `columns` (default: all)."""
    if columns is None:
        columns = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ?"
                " AND database_name = current_database() AND schema_name = 'main'"
                " ORDER BY column_index",
                [table],
            ).fetchall()
        ]
    cols = ", ".join(f'"{c}"' for c in columns)
    row = con.execute(
        f"SELECT count(*), coalesce(sum(hash({cols})::HUGEINT), 0) FROM {table}"
    ).fetchone()
    assert row is not None
    return list(columns), (int(row[0]), int(row[1]))
