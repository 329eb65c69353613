"""The Spark job's output tables read back as the KPI table (a KpiSource), with DuckDB.

`OutputKpis(path).shop_months(shop, months)` gives the same `ShopMonth` records the engine
gives (with the like-with-like strata), so diagnosis runs per shop from the job's output
(`kefu diagnose --lake-output`); with the lake's persons and seat holders,
`PersonKpis(LakeStore(lake), output, splits=output.split_months)` gives per-person figures.
"""

from __future__ import annotations

import glob as globbing
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from kefu.lake.errors import LakeError
from kefu.lake.files import LakeFiles, first_line, open_lake_files
from kefu.lake.source import arrow_view, data_files
from kefu.metrics.fields import EXTRA_PARTS, PARTS
from kefu.metrics.mix import Stratum
from kefu.metrics.product_sales import ProductFact, ProductSales
from kefu.metrics.table import Activity, AgentMonth, ShopMonth
from kefu.store.database import sql_text
from kefu.store.seats import Holding

TABLES = ("agent_months", "shop_months")
# written by the job for every computed pair that has strata; absent from an output written
# before the job wrote it (its diagnosis then compares with the plain team reference)
STRATA = "agent_strata"
STRATA_COLUMNS = (
    "SELECT CAST(NULL AS VARCHAR) AS shop_id, CAST(NULL AS VARCHAR) AS month,"
    " CAST(NULL AS VARCHAR) AS agent_id, CAST(NULL AS VARCHAR) AS measure,"
    " CAST(NULL AS VARCHAR) AS product, CAST(NULL AS VARCHAR) AS band,"
    " CAST(NULL AS BIGINT) AS n, CAST(NULL AS BIGINT) AS k"
)
# the months in which a seat changed hands, one row per holder (kefu.metrics.people); read by
# PersonKpis(…, splits=OutputKpis.split_months)
SPLIT = "split_agent_months"


class OutputKpis:
    """The KPI months of the job's output folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = root
        self.con = duckdb.connect()
        lake = open_lake_files(root)
        try:
            for name in TABLES:
                if not self._view(lake, name):
                    raise LakeError("lake.no_output", path=str(root))
            for name in (STRATA, SPLIT):
                if not self._view(lake, name):  # no month had any: empty, with the columns
                    like = STRATA_COLUMNS if name == STRATA else "SELECT * FROM agent_months"
                    self.con.execute(f"CREATE VIEW {name} AS {like} LIMIT 0")
        except OSError as e:
            raise LakeError("lake.remote_failed", uri=lake.uri, error=first_line(e)) from e

    def _view(self, lake: LakeFiles, name: str) -> bool:
        """The view `name` over the output table's files (shop_id and month as text), or
        False when the table has no file."""
        if lake.local:
            pattern = f"{lake.root}/{name}/*/*/*.parquet"
            if not globbing.glob(pattern):
                return False
            source = (
                f"read_parquet({sql_text(pattern)}, hive_partitioning = true,"
                " hive_types = {'shop_id': 'VARCHAR', 'month': 'VARCHAR'},"
                # by name: pairs written by jobs of different versions have different columns
                " union_by_name = true)"
            )
        else:
            files = data_files(lake, name, 2)
            if not files:
                return False
            source = arrow_view(self.con, name, lake, name, files, ("shop_id", "month"))
        self.con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source}")
        return True

    def shops(self) -> list[str]:
        return [
            r[0]
            for r in self.con.execute(
                "SELECT DISTINCT shop_id FROM shop_months ORDER BY 1"
            ).fetchall()
        ]

    def months(self, shop_id: str) -> list[str]:
        rows = self.con.execute(
            "SELECT month FROM shop_months WHERE shop_id = ? ORDER BY 1", [shop_id]
        ).fetchall()
        return [r[0] for r in rows]

    def settings(self, shop_id: str) -> dict[str, str]:
        """Every setting of the shop (name → value, as stored) the job last computed with."""
        row = self.con.execute(
            "SELECT shop_settings FROM shop_months WHERE shop_id = ? ORDER BY month DESC LIMIT 1",
            [shop_id],
        ).fetchone()
        return dict(json.loads(row[0])) if row and row[0] else {}

    def reported_month(self, shop_id: str, month: str) -> ShopMonth | None:
        """Never a platform's report: the job computes every month from chats and orders."""
        return None

    def _dicts(self, sql: str, args: list[Any]) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, args)
        cols = [d[0] for d in cur.description or []]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def shop_months(self, shop_id: str, months: list[str]) -> dict[str, ShopMonth]:
        """The months asked for that the job computed (a month it did not compute is absent)."""
        return self._months(shop_id, months, "agent_months")

    def split_months(
        self, shop_id: str, months: list[str], holds: Sequence[Holding]
    ) -> dict[str, ShopMonth]:
        """The months with each holder of a seat that changed hands as an agent of their own
        (`seat` + SPLIT_MARK + `person`), as the job computed them: the `splits` of
        kefu.metrics.people.PersonKpis, so that per-person figures come from the output."""
        return self._months(shop_id, months, SPLIT)

    def _months(self, shop_id: str, months: list[str], table: str) -> dict[str, ShopMonth]:
        marks = ", ".join("?" for _ in months) or "NULL"
        heads = self._dicts(
            f"SELECT * FROM shop_months WHERE shop_id = ? AND month IN ({marks})",
            [shop_id, *months],
        )
        rows = self._dicts(
            f"SELECT * FROM {table} WHERE shop_id = ? AND month IN ({marks})"
            " ORDER BY month, agent_id",
            [shop_id, *months],
        )
        agents: dict[str, list[AgentMonth]] = {}
        for r in rows:
            agents.setdefault(r["month"], []).append(
                AgentMonth(
                    shop_id=shop_id,
                    month=r["month"],
                    agent_id=r["agent_id"],
                    name=r["name"],
                    role=r["role"],
                    team=r["team"],
                    hired_on=r["hired_on"],
                    left_on=r["left_on"],
                    known=bool(r["known"]),
                    parts={f: int(r[f]) for f in (*PARTS, *EXTRA_PARTS)},
                    activity=Activity(
                        active_hours=int(r["active_hours"]),
                        active_days=int(r["active_days"]),
                        peak_day_inquiries=int(r["peak_day_inquiries"]),
                        hour_sessions=tuple(int(r[f"h{h:02d}"]) for h in range(24)),
                    ),
                )
            )
        strata: dict[str, list[Stratum]] = {}
        for r in self._dicts(
            f"SELECT month, agent_id, measure, product, band, n, k FROM {STRATA}"
            f" WHERE shop_id = ? AND month IN ({marks})"
            " ORDER BY month, agent_id, measure, product, band",
            [shop_id, *months],
        ):
            strata.setdefault(r["month"], []).append(
                Stratum(
                    r["agent_id"], r["measure"], r["product"], r["band"], int(r["n"]), int(r["k"])
                )
            )
        out = {}
        for h in heads:
            m = h["month"]
            out[m] = ShopMonth(
                shop_id=shop_id,
                month=m,
                provisional=bool(h["provisional"]),
                repurchase_provisional=bool(h["repurchase_provisional"]),
                agents=agents.get(m, []),
                silent_orders=int(h["silent_orders"]),
                silent_sales_fen=int(h["silent_sales_fen"]),
                paid_orders=int(h["paid_orders"]),
                paid_sales_fen=int(h["paid_sales_fen"]),
                paid_net_sales_fen=int(h["paid_net_sales_fen"]),
                unattributable_orders=int(h["unattributable_orders"]),
                unattributable_sales_fen=int(h["unattributable_sales_fen"]),
                settings=json.loads(h["settings"]),
                # the presale agents' strata, as StoreKpis keeps them
                strata=tuple(
                    x
                    for x in strata.get(m, [])
                    if x.agent_id in {a.agent_id for a in agents.get(m, []) if a.role == "presale"}
                ),
            )
        return {m: out[m] for m in months if m in out}


# Pay from the job's output (kefu pay --lake-output): the credited sales by product and buyer
# kind with the products' facts, and shop_months' job_version and seats_held, written by the
# job from PAY_VERSION on (kefu.lake.job.JOB_VERSION); a pair written before lacks them.
PRODUCTS = "agent_products"
PAY_VERSION = 3
PRODUCTS_COLUMNS = (
    "SELECT CAST(NULL AS VARCHAR) AS shop_id, CAST(NULL AS VARCHAR) AS month,"
    " CAST(NULL AS VARCHAR) AS agent_id, CAST(NULL AS VARCHAR) AS product,"
    " CAST(NULL AS BOOLEAN) AS is_returning, CAST(NULL AS BIGINT) AS sales_fen,"
    " CAST(NULL AS BIGINT) AS net_sales_fen, CAST(NULL AS DATE) AS first_sale,"
    " CAST(NULL AS DATE) AS launched_on, CAST(NULL AS VARCHAR) AS stage_set"
)


@dataclass(frozen=True)
class PayCheck:
    """What the output holds of the months a pay computation needs."""

    missing: list[str]  # months the job did not compute for the shop
    old: list[str]  # months computed by a job older than PAY_VERSION (no sales by product)
    seats_held: bool  # a seat of the shop is held by a person: pay is per person


class OutputPayKpis:
    """The job's output as pay reads it (a KpiSource): OutputKpis' months with each agent's
    credited sales by product and buyer kind and the facts of those products, as the
    engine's StoreKpis gives them to pay (kefu.pay.compute.stage_split)."""

    def __init__(self, output: OutputKpis) -> None:
        self.output = output
        con = output.con
        # on the output's own file system (a folder or an object store), as its other views;
        # read by name: a pair written by an older job has no job_version
        if not output._view(open_lake_files(output.root), PRODUCTS):
            # no pair had a credited order (or no pair was written by PAY_VERSION)
            con.execute(f"CREATE OR REPLACE VIEW {PRODUCTS} AS {PRODUCTS_COLUMNS} LIMIT 0")
        con.execute("CREATE OR REPLACE VIEW _pay_heads AS SELECT * FROM shop_months")
        cols = {r[0] for r in con.execute("DESCRIBE _pay_heads").fetchall()}
        self._versioned = {"job_version", "seats_held"} <= cols

    def check(self, shop_id: str, months: Sequence[str]) -> PayCheck:
        marks = ", ".join("?" for _ in months) or "NULL"
        wanted = "CAST(job_version AS VARCHAR), seats_held" if self._versioned else "NULL, NULL"
        rows = self.output.con.execute(
            f"SELECT month, {wanted} FROM _pay_heads WHERE shop_id = ? AND month IN ({marks})",
            [shop_id, *months],
        ).fetchall()
        have = {r[0]: r for r in rows}
        old = sorted(
            m for m, v, _ in rows if v is None or not str(v).isdigit() or int(v) < PAY_VERSION
        )
        return PayCheck(
            sorted(m for m in months if m not in have),
            old,
            any(bool(r[2]) for r in rows),
        )

    def settings(self, shop_id: str) -> dict[str, str]:
        return self.output.settings(shop_id)

    def split_months(
        self, shop_id: str, months: list[str], holds: Sequence[Holding]
    ) -> dict[str, ShopMonth]:
        return self.output.split_months(shop_id, months, holds)

    def shop_months(self, shop_id: str, months: list[str]) -> dict[str, ShopMonth]:
        out = self.output.shop_months(shop_id, months)
        if not out:
            return out
        marks = ", ".join("?" for _ in out)
        sales: dict[str, list[ProductSales]] = {}
        facts: dict[str, dict[str, ProductFact]] = {}
        for r in self.output._dicts(
            "SELECT month, agent_id, product, is_returning, sales_fen, net_sales_fen,"
            f" first_sale, launched_on, stage_set FROM {PRODUCTS}"
            f" WHERE shop_id = ? AND month IN ({marks})"
            " ORDER BY month, agent_id, product, is_returning",
            [shop_id, *out],
        ):
            m = r["month"]
            sales.setdefault(m, []).append(ProductSales.of_row(r))
            if r["product"]:  # '' is the product of orders without order lines
                facts.setdefault(m, {})[r["product"]] = ProductFact(
                    r["product"], r["first_sale"], r["launched_on"], r["stage_set"]
                )
        return {
            m: replace(
                sm,
                product_sales=tuple(sales.get(m, [])),
                products=tuple(f for _, f in sorted(facts.get(m, {}).items())),
            )
            for m, sm in out.items()
        }
