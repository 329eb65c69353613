"""Make the store file a released schema writes: a tiny shop through kefu's own commands.

    .venv/bin/python tests/stores/make_store.py tests/stores/schema-N.duckdb.gz

Run it at the commit where kefu's SCHEMA_VERSION is N (the file is only useful as what
*that* kefu wrote), then commit the file and never regenerate it: tests/test_store_upgrade.py
opens (a copy of) every `schema-*.duckdb.gz` here and checks that today's kefu upgrades it without losing
or changing anything. The shop goes in through the CLI (`kefu import`, `kefu settings`,
`kefu payroll run`, `kefu payroll approve`), the interface every version keeps, so the
same script works at every version. What it holds: one shop, 3 agents, chats and orders
of 2024-04 and 2024-05, reviews, a setting, one quarantined order row (its amount is not
a number), from schema 9 four Taobao 服务评价 (one quarantined), and an approved payroll run
of 2024-05 with its lines. The DuckDB file is
exactly what kefu wrote (4 MB: DuckDB gives every table its own 256 KB blocks), gzipped
(≈ 20 KB) to keep the repository small.
"""

from __future__ import annotations

import csv
import gzip
import shutil
import sys
import tempfile
from pathlib import Path

from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.store.schema import SCHEMA_VERSION

SHOP = "样例店"
AGENTS = [
    ("小美", "presale", "2023-01-01"),
    ("小林", "presale", "2023-06-01"),
    ("阿强", "aftersale", "2023-03-01"),
]


def _messages_and_orders() -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    messages: list[list[str]] = []
    orders: list[list[str]] = []
    reviews: list[list[str]] = []
    n = 0
    for month in ("2024-04", "2024-05"):
        for day in range(1, 15):
            for agent, hour in (("小美", 10), ("小林", 14)):
                n += 1
                buyer = f"buyer{n:03d}"
                at = f"{month}-{day:02d} {hour:02d}:00:00"
                messages += [
                    [SHOP, buyer, agent, at, "buyer", "在吗？这个有货吗"],
                    [
                        SHOP,
                        buyer,
                        agent,
                        f"{month}-{day:02d} {hour:02d}:00:20",
                        "agent",
                        "亲，有的",
                    ],
                    [SHOP, buyer, agent, f"{month}-{day:02d} {hour:02d}:01:00", "buyer", "好的"],
                ]
                if n % 3:  # two buyers in three buy, after asking
                    order_id = f"{4000000000 + n}"
                    amount = 9900 + 1000 * (n % 5) + (2000 if agent == "小美" else 0)
                    created = f"{month}-{day:02d} {hour:02d}:05:00"
                    paid = f"{month}-{day:02d} {hour:02d}:06:00"
                    orders.append([SHOP, order_id, buyer, created, paid, str(amount), "1", "0"])
                    reviews.append([SHOP, order_id, "good" if n % 4 else "bad"])
    orders.append([SHOP, "4000009999", "buyer999", "2024-05-20 10:00:00", "", "十块", "1", "0"])
    return messages, orders, reviews


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _kefu(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    if result.exit_code != 0:
        raise SystemExit(f"kefu {' '.join(args)} failed: {result.output}")
    return result.output


def make(target: Path) -> None:
    """Write the tiny shop into a new store, gzipped at `target` (refused if it exists)."""
    if target.exists():
        raise SystemExit(f"{target} exists: a released schema's store is never regenerated")
    if not target.name.endswith(".duckdb.gz"):
        raise SystemExit(f"{target}: name it schema-N.duckdb.gz")
    messages, orders, reviews = _messages_and_orders()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = folder / "kefu.duckdb"
        files = [
            _write(
                folder / "agents.csv",
                ["shop_id", "agent_id", "name", "role", "hired_on"],
                [[SHOP, a, a, role, hired] for a, role, hired in AGENTS],
            ),
            _write(
                folder / "messages.csv",
                ["shop_id", "buyer_id", "agent_id", "sent_at", "sender", "text"],
                messages,
            ),
            _write(
                folder / "orders.csv",
                [
                    "shop_id",
                    "order_id",
                    "buyer_id",
                    "created_at",
                    "paid_at",
                    "amount_fen",
                    "items",
                    "refund_fen",
                ],
                orders,
            ),
            _write(folder / "reviews.csv", ["shop_id", "order_id", "rating"], reviews),
        ]
        if SCHEMA_VERSION >= 9:  # Taobao 服务评价 (schema 9): two agents rated in 2024-05
            files.append(
                _write(
                    folder / "kefueval.csv",
                    ["eval_code", "eval_recer", "eval_sender", "eval_time", "source"],
                    [
                        ["0", f"{SHOP}:小美", "buyer001", "2024-05-02 11:00:00", "0"],
                        ["1", f"{SHOP}:小美", "buyer003", "2024-05-03 11:00:00", "1"],
                        ["3", f"{SHOP}:小林", "buyer002", "2024-05-02 15:00:00", "2"],
                        ["九", f"{SHOP}:小林", "buyer004", "2024-05-04 15:00:00", "1"],
                    ],
                )
            )
        db = str(store)
        _kefu("import", *map(str, files), "--db", db)
        _kefu("settings", "attribution_days", "2", "--db", db)
        _kefu("payroll", "run", "--month", "2024-05", "--plan", "seed", "--db", db)
        _kefu("payroll", "approve", "1", "--db", db)
        if Path(db + ".wal").exists():  # kefu checkpoints on close: the file is the whole store
            raise SystemExit(f"{db}.wal was left beside the store")
        with store.open("rb") as src, gzip.GzipFile(target, "wb", 9, mtime=0) as out:
            shutil.copyfileobj(src, out)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: make_store.py tests/stores/schema-N.duckdb.gz")
    make(Path(sys.argv[1]))
