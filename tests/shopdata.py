"""Building small shops for tests: canonical records written into a real DuckDB store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from kefu.store import Store, open_store
from kefu.store.schema import COLUMNS

SHOP = "店"


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass
class Shop:
    """Canonical records of one or more shops, written into a store on demand."""

    agents: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    # Taobao 服务评价 (the store's service_evals table, schema 9)
    evals: list[dict[str, Any]] = field(default_factory=list)

    def agent(
        self,
        agent_id: str,
        role: str = "presale",
        hired_on: str | None = "2020-01-01",
        left_on: str | None = None,
        name: str | None = None,
        shop: str = SHOP,
    ) -> Shop:
        self.agents.append(
            {
                "shop_id": shop,
                "agent_id": agent_id,
                "name": name or agent_id,
                "role": role,
                "team": None,
                "hired_on": date.fromisoformat(hired_on) if hired_on else None,
                "left_on": date.fromisoformat(left_on) if left_on else None,
            }
        )
        return self

    def msg(
        self,
        buyer: str,
        agent: str,
        at: str,
        sender: str,
        text: str = "",
        chars: int | None = None,
        shop: str = SHOP,
    ) -> Shop:
        self.messages.append(
            {
                "shop_id": shop,
                "buyer_id": buyer,
                "agent_id": agent,
                "sent_at": ts(at),
                "sender": sender,
                "text": text,
                "chars": len(text) if chars is None else chars,
            }
        )
        return self

    def chat(self, buyer: str, agent: str, *events: tuple[str, str], shop: str = SHOP) -> Shop:
        """events: (time, sender) or (time, sender, text)."""
        for e in events:
            self.msg(buyer, agent, e[0], e[1], *(e[2:]), shop=shop)
        return self

    def order(
        self,
        order_id: str,
        buyer: str | None,
        created: str,
        paid: str | None = None,
        amount_fen: int = 10000,
        items: int = 1,
        refund_fen: int = 0,
        shop: str = SHOP,
    ) -> Shop:
        self.orders.append(
            {
                "shop_id": shop,
                "order_id": order_id,
                "buyer_id": buyer,
                "created_at": ts(created),
                "paid_at": ts(paid) if paid else None,
                "amount_fen": amount_fen if paid else 0,
                "items": items,
                "refund_fen": refund_fen,
                "refunded_at": None,
                "status": None,
            }
        )
        return self

    def review(
        self, order_id: str, rating: str, at: str = "2024-12-01 00:00:00", shop: str = SHOP
    ) -> Shop:
        self.reviews.append(
            {"shop_id": shop, "order_id": order_id, "rated_at": ts(at), "rating": rating}
        )
        return self

    def evaluation(
        self,
        agent: str,
        buyer: str,
        at: str,
        code: int,
        source: int | None = 1,
        shop: str = SHOP,
    ) -> Shop:
        """A buyer's 服务评价 of an agent: code 0 非常满意 … 4 非常不满意; source 0 客服邀评,
        1 消费者自主评价, 2 系统邀评."""
        self.evals.append(
            {
                "shop_id": shop,
                "agent_id": agent,
                "buyer_id": buyer,
                "evaluated_at": ts(at),
                "eval_code": code,
                "eval_source": source,
            }
        )
        return self

    def evals_frame(self) -> pd.DataFrame:
        cols = ["shop_id", "agent_id", "buyer_id", "evaluated_at", "eval_code", "eval_source"]
        return pd.DataFrame(self.evals, columns=cols)

    def frames(self) -> dict[str, pd.DataFrame]:
        out = {}
        for table in COLUMNS:
            rows = getattr(self, table)
            df = pd.DataFrame(rows, columns=list(COLUMNS[table]))
            out[table] = df
        return out

    def store(self, path: Path) -> Store:
        st = open_store(path)
        with st.transaction():
            for table, df in self.frames().items():
                if len(df):
                    st.upsert(table, _arrow(table, df))
            for e in self.evals:
                st.con.execute(
                    "INSERT INTO service_evals VALUES (?, ?, ?, ?, ?, ?, 'test', 0)",
                    [
                        e["shop_id"],
                        e["agent_id"],
                        e["buyer_id"],
                        e["evaluated_at"],
                        e["eval_code"],
                        e["eval_source"],
                    ],
                )
        return st


def _arrow(table: str, df: pd.DataFrame) -> pa.Table:
    types = {
        "VARCHAR": pa.string(),
        "TIMESTAMP": pa.timestamp("us"),
        "DATE": pa.date32(),
        "BIGINT": pa.int64(),
        "INTEGER": pa.int32(),
    }
    fields = [pa.field(c, types[t.split()[0]]) for c, t in COLUMNS[table].items()]
    return pa.Table.from_pandas(df, schema=pa.schema(fields), preserve_index=False)
