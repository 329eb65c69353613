"""Stored payroll runs: plan, inputs and results as JSON text with their hashes; approval locks.

Plain storage: the pay logic lives in kefu.pay. A run is written once; the only change ever
made to it is setting approved_at, once, and an approved run is never written again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kefu.store.database import Store, StoreError


def canonical_json(value: Any) -> str:
    """The one text of a JSON value: sorted keys, no spaces, UTF-8 kept (what hashes cover)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RunLine:
    agent_id: str
    seq: int
    component: str
    amount_fen: int
    for_month: str | None
    explanation_zh: str
    explanation_en: str
    inputs: dict[str, Any]


@dataclass(frozen=True)
class RunRecord:
    run_id: int
    shop_id: str
    month: str
    plan_name: str
    plan_version: str
    plan_source: str
    plan_sha256: str
    plan_text: str
    inputs_sha256: str
    inputs_json: str
    results_sha256: str
    results_json: str
    total_fen: int
    warnings_json: str
    created_at: datetime
    approved_at: datetime | None

    @property
    def approved(self) -> bool:
        return self.approved_at is not None

    @property
    def inputs(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.inputs_json)
        return value

    @property
    def results(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.results_json)
        return value

    def intact(self) -> bool:
        """The stored texts still match their hashes."""
        return (
            sha256(self.inputs_json) == self.inputs_sha256
            and sha256(self.results_json) == self.results_sha256
            and sha256(self.plan_text) == self.plan_sha256
        )


_COLS = (
    "run_id, shop_id, month, plan_name, plan_version, plan_source, plan_sha256, plan_text,"
    " inputs_sha256, inputs_json, results_sha256, results_json, total_fen, warnings_json,"
    " created_at, approved_at"
)


class PayrollRuns:
    """The payroll_runs and payroll_lines tables of a store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.con = store.con

    def add(
        self,
        *,
        shop_id: str,
        month: str,
        plan_name: str,
        plan_version: str,
        plan_source: str,
        plan_text: str,
        inputs: Any,
        results: Any,
        total_fen: int,
        warnings: Any,
        lines: Sequence[RunLine],
        created_at: datetime,
    ) -> RunRecord:
        inputs_json, results_json = canonical_json(inputs), canonical_json(results)
        with self.store.transaction():
            row = self.con.execute(
                "SELECT coalesce(max(run_id), 0) + 1 FROM payroll_runs"
            ).fetchone()
            run_id = int(row[0]) if row else 1
            self.con.execute(
                f"INSERT INTO payroll_runs ({_COLS}) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [
                    run_id,
                    shop_id,
                    month,
                    plan_name,
                    plan_version,
                    plan_source,
                    sha256(plan_text),
                    plan_text,
                    sha256(inputs_json),
                    inputs_json,
                    sha256(results_json),
                    results_json,
                    total_fen,
                    canonical_json(warnings),
                    created_at,
                ],
            )
            if lines:
                self.con.executemany(
                    "INSERT INTO payroll_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        [
                            run_id,
                            x.agent_id,
                            x.seq,
                            x.component,
                            x.amount_fen,
                            x.for_month,
                            x.explanation_zh,
                            x.explanation_en,
                            canonical_json(x.inputs),
                        ]
                        for x in lines
                    ],
                )
            self.store.audit(
                "payroll.run",
                str(run_id),
                {
                    "shop_id": shop_id,
                    "month": month,
                    "plan": f"{plan_name} {plan_version}",
                    "total_fen": total_fen,
                    "results_sha256": sha256(results_json),
                },
            )
        run = self.get(run_id)
        assert run is not None
        return run

    def get(self, run_id: int) -> RunRecord | None:
        row = self.con.execute(
            f"SELECT {_COLS} FROM payroll_runs WHERE run_id = ?", [run_id]
        ).fetchone()
        return RunRecord(*row) if row else None

    def all(self, shop_id: str | None = None) -> list[RunRecord]:
        sql = f"SELECT {_COLS} FROM payroll_runs"
        args: list[Any] = []
        if shop_id is not None:
            sql += " WHERE shop_id = ?"
            args.append(shop_id)
        rows = self.con.execute(sql + " ORDER BY run_id", args).fetchall()
        return [RunRecord(*r) for r in rows]

    def approved(self, shop_id: str) -> list[RunRecord]:
        return [r for r in self.all(shop_id) if r.approved]

    def approved_for(self, shop_id: str, month: str) -> RunRecord | None:
        return next((r for r in self.approved(shop_id) if r.month == month), None)

    def lines(self, run_id: int) -> list[RunLine]:
        rows = self.con.execute(
            "SELECT agent_id, seq, component, amount_fen, for_month, explanation_zh,"
            " explanation_en, inputs_json FROM payroll_lines WHERE run_id = ? ORDER BY agent_id, seq",
            [run_id],
        ).fetchall()
        return [
            RunLine(r[0], int(r[1]), r[2], int(r[3]), r[4], r[5], r[6], json.loads(r[7]))
            for r in rows
        ]

    def approve(self, run_id: int, at: datetime) -> RunRecord:
        """Lock a run. Refused when it is approved already, or its month has an approved run."""
        with self.store.transaction():
            run = self.get(run_id)
            if run is None:
                raise StoreError.of("store.run_unknown", run=run_id)
            if run.approved:
                raise StoreError.of(
                    "store.run_approved", run=run_id, at=f"{run.approved_at:%Y-%m-%d %H:%M}"
                )
            other = self.approved_for(run.shop_id, run.month)
            if other is not None:
                raise StoreError.of(
                    "store.month_approved", shop=run.shop_id, month=run.month, run=other.run_id
                )
            if not run.intact():
                raise StoreError.of("store.run_hashes", run=run_id)
            self.con.execute(
                "UPDATE payroll_runs SET approved_at = ? WHERE run_id = ? AND approved_at IS NULL",
                [at, run_id],
            )
            self.store.audit(
                "payroll.approve",
                str(run_id),
                {
                    "shop_id": run.shop_id,
                    "month": run.month,
                    "total_fen": run.total_fen,
                    "results_sha256": run.results_sha256,
                },
            )
        done = self.get(run_id)
        assert done is not None
        return done
