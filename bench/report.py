"""The benchmark's figures as text: the printed table, the targets, docs/performance.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

BEGIN = "<!-- bench:begin (written by bench/run.py: edit outside these markers) -->"
END = "<!-- bench:end -->"
ORDER = ("100k", "1M", "10M", "50M")

# The targets (set by the project lead): at 10M the KPI step within 2.5x of the bare
# scan-and-sort and >= 3x faster than the pandas reference; at 50M peak memory <= 2 GB
# (DuckDB's GB: 10^9 bytes) with nothing crashing.
FLOOR_RATIO_MAX = 2.5
PANDAS_SPEEDUP_MIN = 3.0
PEAK_50M_MAX = 2_000_000_000


def _gb(b: float | None) -> str:
    return "—" if not b else f"{b / 1e9:.2f} GB"


def _s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def _step(res: dict[str, Any], name: str) -> dict[str, Any] | None:
    st = res.get(name)
    return st if isinstance(st, dict) else None


def _wall(res: dict[str, Any], name: str) -> float | None:
    st = _step(res, name)
    return st.get("wall_s") if st and st.get("ok") else None


def _sizes(results: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    got = results.get("sizes", {})
    return [(s, got[s]) for s in ORDER if s in got]


def rows(results: dict[str, Any]) -> list[list[str]]:
    out = []
    for size, res in _sizes(results):
        imp, kpi, floor, pdr = (_step(res, n) for n in ("import", "kpi", "floor", "pandas"))
        kw, fw, pw = _wall(res, "kpi"), _wall(res, "floor"), _wall(res, "pandas")

        def cell(st: dict[str, Any] | None, w: float | None) -> str:
            if st is None:
                return "—"
            if not st.get("ok"):
                return f"FAILED ({st['runs'][-1].get('error', '?')[:40]})"
            return _s(w)

        out.append(
            [
                size,
                f"{res['messages']:,} / {res['orders']:,}",
                str(res.get("runs", "?")),
                cell(imp, _wall(res, "import")),
                _gb(imp.get("peak_rss")) if imp else "—",
                cell(kpi, kw),
                _gb(kpi.get("peak_rss")) if kpi else "—",
                cell(floor, fw),
                f"{kw / fw:.1f}×" if kw and fw else "—",
                cell(pdr, pw),
                _gb(pdr.get("peak_rss")) if pdr else "—",
                f"{pw / kw:.1f}×" if kw and pw else "—",
            ]
        )
    return out


HEADER = [
    "size",
    "messages / orders",
    "runs",
    "import",
    "import peak",
    "KPI (1 month)",
    "KPI peak",
    "floor: scan+sort",
    "KPI ÷ floor",
    "pandas reference",
    "pandas peak",
    "pandas ÷ KPI",
]


def markdown_table(header: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def table(results: dict[str, Any]) -> str:
    body = rows(results)
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(HEADER)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*HEADER), *(fmt.format(*r) for r in body)])


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    sizes = results.get("sizes", {})
    out: list[dict[str, Any]] = []
    r10 = sizes.get("10M")
    kw = _wall(r10, "kpi") if r10 else None
    fw = _wall(r10, "floor") if r10 else None
    pw = _wall(r10, "pandas") if r10 else None
    out.append(
        {
            "target": f"10M messages: KPI step within {FLOOR_RATIO_MAX}× of the bare scan-and-sort",
            "status": "not measured"
            if not (kw and fw)
            else ("met" if kw <= FLOOR_RATIO_MAX * fw else "NOT met"),
            "measured": f"KPI {_s(kw)} vs floor {_s(fw)} = {kw / fw:.1f}×" if kw and fw else "—",
        }
    )
    out.append(
        {
            "target": f"10M messages: KPI step ≥ {PANDAS_SPEEDUP_MIN:g}× faster than the pandas reference",
            "status": "not measured"
            if not (kw and pw)
            else ("met" if pw >= PANDAS_SPEEDUP_MIN * kw else "NOT met"),
            "measured": f"pandas {_s(pw)} vs KPI {_s(kw)} = {pw / kw:.1f}×" if kw and pw else "—",
        }
    )
    r50 = sizes.get("50M")
    k50 = _step(r50, "kpi") if r50 else None
    if k50 is None:
        status, measured = "not measured", "—"
    else:
        peak = k50.get("peak_rss") or 0
        status = "met" if k50.get("ok") and peak <= PEAK_50M_MAX else "NOT met"
        limit = (r50 or {}).get("kpi_settings", {}).get("memory_limit")
        measured = f"KPI peak RSS {_gb(peak)} (KEFU_MEMORY_LIMIT={limit})" + (
            "" if k50.get("ok") else ", the step FAILED"
        )
    out.append(
        {"target": "50M messages: KPI peak memory ≤ 2 GB", "status": status, "measured": measured}
    )
    i50 = _step(r50, "import") if r50 else None
    if i50 is None:
        status, measured = "not measured", "—"
    else:
        peak = i50.get("peak_rss") or 0
        status = "met" if i50.get("ok") and peak <= PEAK_50M_MAX else "NOT met"
        limit = (r50 or {}).get("import_settings", {}).get("memory_limit") or "unset"
        measured = f"import peak RSS {_gb(peak)} (KEFU_MEMORY_LIMIT={limit})"
    out.append(
        {
            "target": "50M messages: import peak memory ≤ 2 GB",
            "status": status,
            "measured": measured,
        }
    )
    if r50 is None:
        status, measured = "not measured", "—"
    else:
        steps = [n for n in ("import", "kpi", "floor", "profile") if _step(r50, n)]
        failed = [n for n in steps if not _step(r50, n).get("ok")]  # type: ignore[union-attr]
        status = "met" if steps and not failed else "NOT met"
        measured = (
            f"failed: {', '.join(failed)}" if failed else f"ran without failing: {', '.join(steps)}"
        )
    out.append({"target": "50M messages: nothing crashes", "status": status, "measured": measured})
    return out


def targets_text(results: dict[str, Any]) -> str:
    return "\n".join(
        f"{t['status']:>12}  {t['target']}  [{t['measured']}]" for t in targets(results)
    )


def profile_table(res: dict[str, Any], top: int | None = None) -> str | None:
    prof = _step(res, "profile")
    if not prof or not prof.get("ok"):
        return None
    run = prof["runs"][0]
    steps = run["steps"]
    total = run.get("wall_s") or sum(s["s"] for s in steps)
    ranked = sorted(steps, key=lambda s: -s["s"])
    rest = ranked[top:] if top else []
    if top:
        ranked = ranked[:top]
    body = [
        [
            s["step"],
            f"{s['s']:.2f} s",
            "—" if s.get("cpu_s") is None else f"{s['cpu_s']:.2f} s",
            f"{100 * s['s'] / total:.0f} %",
            "—" if s["rows"] is None else f"{s['rows']:,}",
        ]
        for s in ranked
    ]
    if rest:
        body.append(
            [
                f"{len(rest)} other steps",
                f"{sum(s['s'] for s in rest):.2f} s",
                "",
                f"{100 * sum(s['s'] for s in rest) / total:.0f} %",
                "",
            ]
        )
    body.append(
        ["**KPI step, all of it**", f"{total:.2f} s", f"{run.get('cpu_s', 0):.2f} s", "100 %", ""]
    )
    return markdown_table(["step (kpi.sql)", "wall", "CPU", "share", "rows"], body)


def agreement(res: dict[str, Any]) -> str | None:
    """Whether the engine's and the reference's team figures of the month agree."""
    kpi, pdr = _step(res, "kpi"), _step(res, "pandas")
    if not (kpi and pdr and kpi.get("ok") and pdr.get("ok")):
        return None
    a, b = kpi["runs"][0]["digest"], pdr["runs"][0]["digest"]
    differ = [
        f"{k} {a['team'].get(k)} vs {b['team'].get(k)}"
        for k in sorted(set(a["team"]) & set(b["team"]))
        if a["team"].get(k) != b["team"].get(k)
    ]
    for k in ("agents_listed", "silent_orders", "silent_sales_fen"):
        if a.get(k) != b.get(k):
            differ.append(f"{k} {a.get(k)} vs {b.get(k)}")
    if not differ:
        n = len(set(a["team"]) & set(b["team"]))
        return f"identical ({n} team parts, agents listed, silent orders and sales)"
    return "DIFFER (engine vs reference): " + "; ".join(differ[:12])


def docs_section(results: dict[str, Any]) -> str:
    m = results.get("machine", {})
    lines = [
        BEGIN,
        "",
        "### Machine",
        "",
        f"- {m.get('nproc')} cores ({m.get('cpu_model')}), "
        f"{m.get('memory_bytes', 0) / 2**30:.1f} GiB memory, {m.get('os')}",
        f"- Python {m.get('python')}, DuckDB {m.get('duckdb')}, pandas {m.get('pandas')}, "
        f"pyarrow {m.get('pyarrow')}, numpy {m.get('numpy')}",
        "",
        "### Commands",
        "",
        "```",
        "make bench            # = .venv/bin/python bench/run.py (1M, 10M and 50M)",
    ]
    seen: set[str] = set()
    for cmd in results.get("commands", {}).values():
        if cmd not in seen:
            seen.add(cmd)
            sizes = [s for s, c in results["commands"].items() if c == cmd]
            lines.append(f"{cmd}    # measured {', '.join(sizes)}")
    lines += ["```", ""]
    for size, res in _sizes(results):
        kpi = _step(res, "kpi")
        code = (kpi or {}).get("runs", [{}])[0].get("code") or res.get("code") or {}
        head = (res.get("code") or {}).get("git_head")
        reused = (res.get("import") or {}).get("reused")
        lines.append(
            f"- {size} measured {res.get('when', '?')}"
            + (" (its import by an earlier run, kept with --reuse-store)" if reused else "")
            + f" on git HEAD {head} plus the working tree "
            f"(kpi.sql {code.get('src/kefu/metrics/sql/kpi.sql')}, engine.py "
            f"{code.get('src/kefu/metrics/engine.py')}, ingest.py "
            f"{code.get('src/kefu/store/ingest.py')}: first 12 hex digits of their SHA-256)"
        )
    lines += ["", "### Figures", ""]
    lines.append(markdown_table(HEADER, rows(results)))
    lines += [
        "",
        "Wall seconds: the median of the runs at 1M and 10M (3 each), a single run at 50M. "
        "Peak: the resident high-water mark (VmHWM) of the step's own fresh process, the "
        "highest over its runs, Python and imports included. Import = all the shop's Parquet "
        "files in one `import_files` call into a new store, to the final checkpoint. "
        "KPI = `StoreKpis(store).shop_months(shop, [month])` for the latest full month. "
        "Floor = `CREATE TEMP TABLE s AS SELECT * FROM messages ORDER BY shop_id, buyer_id, "
        "agent_id, sent_at` on the same store and connection settings. pandas = "
        "`kefu_reference.compute` on DataFrames already loaded from the same Parquet files "
        "(loading not counted; it computes every month of the data, the engine the month "
        "asked for).",
        "",
    ]
    for size, res in _sizes(results):
        ks = res.get("kpi_settings") or {}
        if ks:
            imp = "the import, " if (res.get("import_settings") or {}).get("memory_limit") else ""
            lines.append(
                f"At {size} {imp}the KPI, floor and profile steps ran with "
                f"KEFU_MEMORY_LIMIT={ks.get('memory_limit')} (the floor with the same "
                f"`SET memory_limit`), the last three with DuckDB temp_directory "
                f"`tmp/{Path(ks.get('temp_directory', '')).name}/` under the output folder."
            )
    lines += ["", "### Targets", ""]
    lines.append(
        markdown_table(
            ["target", "status", "measured"],
            [[t["target"], f"**{t['status']}**", t["measured"]] for t in targets(results)],
        )
    )
    for size, res in _sizes(results):
        if size not in ("10M", "50M"):
            continue
        pt = profile_table(res, top=8)
        if pt:
            lines += ["", f"### Where the KPI step's time goes at {size} (top steps, one run)", ""]
            lines.append(pt)
    checks = [(s, agreement(r)) for s, r in _sizes(results)]
    checks = [(s, c) for s, c in checks if c]
    if checks:
        lines += ["", "### Same answer?", ""]
        lines += [
            f"- {s}: team figures of the month, engine vs pandas reference: {c}" for s, c in checks
        ]
    imp = [
        (sz, r["import"]["runs"][-1])
        for sz, r in _sizes(results)
        if _step(r, "import") and r["import"].get("ok") and r["import"]["runs"]
    ]
    imp = [(sz, x) for sz, x in imp if "seconds_by_table" in x]
    if imp:
        lines += ["", "### Import, by table (last run)", ""]
        kinds = ["agents", "orders", "reviews", "messages", "checkpoint and rest"]
        lines.append(
            markdown_table(
                ["size", *kinds, "files by DuckDB's bulk path", "store file"],
                [
                    [
                        sz,
                        *(_s(x["seconds_by_table"].get(k)) for k in kinds),
                        f"{x['bulk_files']} of {x['files']}" if "bulk_files" in x else "—",
                        _gb(x.get("db_bytes")),
                    ]
                    for sz, x in imp
                ],
            )
        )
    lines += ["", END]
    return "\n".join(lines)


SKELETON = """# Performance

How fast kefu imports and computes, measured by `make bench` (bench/run.py). The figures
below are written by the benchmark itself; the analysis after them is by hand.

{section}
"""


def update_docs(path: Path, results: dict[str, Any]) -> None:
    section = docs_section(results)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SKELETON.format(section=section), encoding="utf-8")
        return
    text = path.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
