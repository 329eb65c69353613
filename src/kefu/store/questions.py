"""Questions (申诉): an agent questions a payslip line or an order's credit; a manager answers.

The thread and its outcome are kept for good; the payslip of the month shows them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu.store.database import Store

OUTCOMES = ("open", "answered", "corrected", "declined")


class Questions:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.con = store.con

    def ask(
        self, shop_id: str, agent_id: str, month: str | None, about: str, by: str, text: str
    ) -> int:
        now = datetime.now()
        with self.store.transaction():
            row = self.con.execute(
                "SELECT coalesce(max(question_id), 0) + 1 FROM questions"
            ).fetchone()
            qid = int(row[0]) if row else 1
            self.con.execute(
                "INSERT INTO questions VALUES (?, ?, ?, ?, ?, ?, ?, 'open')",
                [qid, shop_id, agent_id, month, about, by, now],
            )
            self.con.execute(
                "INSERT INTO question_messages VALUES (?, 1, ?, ?, ?)", [qid, by, now, text]
            )
        return qid

    def answer(self, qid: int | str, by: str, text: str, outcome: str) -> None:
        if outcome not in OUTCOMES[1:]:
            raise ValueError(outcome)
        now = datetime.now()
        with self.store.transaction():
            row = self.con.execute(
                "SELECT coalesce(max(seq), 0) + 1 FROM question_messages WHERE question_id = ?",
                [int(qid)],
            ).fetchone()
            seq = int(row[0]) if row else 1
            self.con.execute(
                "INSERT INTO question_messages VALUES (?, ?, ?, ?, ?)",
                [int(qid), seq, by, now, text],
            )
            self.con.execute(
                "UPDATE questions SET status = ? WHERE question_id = ?", [outcome, int(qid)]
            )

    def get(self, qid: int | str) -> dict[str, Any] | None:
        cur = self.con.execute("SELECT * FROM questions WHERE question_id = ?", [int(qid)])
        names = [d[0] for d in cur.description or []]
        row = cur.fetchone()
        if row is None:
            return None
        q = dict(zip(names, row, strict=True))
        cur = self.con.execute(
            "SELECT seq, author, written_at, text FROM question_messages WHERE question_id = ? ORDER BY seq",
            [int(qid)],
        )
        q["messages"] = [
            dict(zip(("seq", "author", "written_at", "text"), r, strict=True))
            for r in cur.fetchall()
        ]
        return q

    def where(self, sql: str, args: list[Any]) -> list[dict[str, Any]]:
        cur = self.con.execute(
            f"SELECT * FROM questions WHERE {sql} ORDER BY question_id DESC", args
        )
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def for_seat(
        self, shop_id: str, agent_id: str, month: str | None = None
    ) -> list[dict[str, Any]]:
        if month is None:
            return self.where("shop_id = ? AND agent_id = ?", [shop_id, agent_id])
        return self.where("shop_id = ? AND agent_id = ? AND month = ?", [shop_id, agent_id, month])

    def for_shops(self, shops: list[str]) -> list[dict[str, Any]]:
        return self.where("list_contains(?, shop_id)", [shops])
