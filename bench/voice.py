"""The voice of the buyer's benchmark: topic accuracy on the labelled sets, and speed at 10M.

    .venv/bin/python bench/voice.py                  # accuracy, then the 10M shop (docs/performance.md)
    .venv/bin/python bench/voice.py --sizes 1M       # a smaller shop
    .venv/bin/python bench/voice.py --accuracy-only
    .venv/bin/python bench/voice.py --sizes 1M --distinct   # also every buyer text distinct

Speed: the synthetic shop of bench/gen.py (generated once into bench/out/data/<size>/) is
imported into bench/out/stores/voice-<size>.duckdb; then, each in this one process after a
warm-up, the KPI step (`StoreKpis(store).shop_months(shop, [month])`), the month's topics
(`VoiceOfBuyer.month` without lost sales and rising words) and the whole month (topics, lost
sales with its own engine run, rising words against 3 months), each with the store's
classification cache emptied first (cold: every distinct text is classified) and again with
it full (warm), always with a fresh classifier. The median of --runs runs of each is printed
as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))


def accuracy() -> dict[str, Any]:
    import yaml

    from kefu.voice.lexicon import TOPICS
    from kefu.voice.topics import Classifier

    c = Classifier()
    out: dict[str, Any] = {}
    for name in ("labelled", "heldout"):
        cases = yaml.safe_load((ROOT / "tests" / "voice" / f"{name}.yaml").read_text("utf-8"))
        rows = {}
        for topic in TOPICS:
            tp = fp = fn = 0
            for text, want in cases.items():
                got = topic in c.topics(str(text))
                tp += got and topic in want
                fp += got and topic not in want
                fn += not got and topic in want
            rows[topic] = {
                "n": tp + fn,
                "precision": round(tp / (tp + fp), 3) if tp + fp else None,
                "recall": round(tp / (tp + fn), 3) if tp + fn else None,
            }
        out[name] = {"messages": len(cases), "topics": rows}
    return out


def throughput(n: int = 20_000) -> dict[str, Any]:
    """Distinct texts classified a second, on `n` made-up distinct texts (a real shop's month
    has many more distinct texts than the synthetic shop's few dozen)."""
    import random

    import yaml

    from kefu.voice.topics import Classifier

    cases = list(yaml.safe_load((ROOT / "tests" / "voice" / "labelled.yaml").read_text("utf-8")))
    rng = random.Random(1)
    texts = {f"{rng.choice(cases)}，{rng.choice(cases)}{rng.randrange(10**6)}" for _ in range(n)}
    c = Classifier()
    c.tokenizer  # noqa: B018 - loading jieba's dictionary once
    t = time.perf_counter()
    for text in texts:
        c.labels(text)
    dt = time.perf_counter() - t
    return {
        "distinct_texts": len(texts),
        "seconds": round(dt, 2),
        "per_second": round(len(texts) / dt),
    }


def _distinct_copy(db: Path) -> Path:
    """A copy of the bench store whose buyer texts are (almost) all distinct: each gets a
    number appended (digits are never content, so topics and terms stay the same). The
    synthetic shop draws its texts from a list of 58; a real shop's buyers type far more."""
    import shutil

    from kefu.store import open_store

    out = db.with_name(db.stem + "-distinct.duckdb")
    if not out.exists():
        tmp = out.with_suffix(".tmp")
        shutil.copy(db, tmp)
        with open_store(tmp) as store:
            store.con.execute(
                "UPDATE messages SET text = text || ' #' || CAST(abs(hash(buyer_id, sent_at))"
                " % 1000000 AS VARCHAR) WHERE sender = 'buyer' AND text IS NOT NULL"
            )
        tmp.rename(out)
    return out


def speed(size: str, runs: int, distinct: bool = False) -> dict[str, Any]:
    import gen
    from kefu.metrics.engine import StoreKpis
    from kefu.store import open_store
    from kefu.store.ingest import import_files
    from kefu.voice.month import VoiceOfBuyer
    from kefu.voice.topics import Classifier

    out_dir = HERE / "out"
    folder = gen.generate(size, out_dir)
    by_table = gen.files_of(folder)
    files = [f for table in ("agents", "orders", "reviews", "messages") for f in by_table[table]]
    db = out_dir / "stores" / f"voice-{size}.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    import_seconds = None
    if not db.exists():
        with open_store(db) as store:
            t = time.perf_counter()
            reports = import_files(store, files)
            import_seconds = round(time.perf_counter() - t, 2)
            bad = [r.error for r in reports if not r.ok]
            if bad:
                raise SystemExit(f"import failed: {bad}")
    if distinct:
        db = _distinct_copy(db)
    month, shop = gen.LATEST_FULL_MONTH, gen.SHOP
    timings: dict[str, list[float]] = {
        k: [] for k in ("kpi", "topics_cold", "topics_warm", "voice_month_cold", "voice_month_warm")
    }
    classified: dict[str, list[int]] = {k: [] for k in timings if k != "kpi"}

    def fresh(store: Any, cold: bool) -> VoiceOfBuyer:
        if cold:  # the store's classification cache emptied: every distinct text is classified
            store.con.execute("DELETE FROM voice_labels")
            store.con.execute("DELETE FROM voice_label_sets")
        v = VoiceOfBuyer(store, Classifier())
        v.classifier.tokenizer  # noqa: B018 - loading jieba's dictionary is not the month's work
        return v

    with open_store(db) as store:
        StoreKpis(store).shop_months(shop, [month])  # warm-up
        n_msgs = store.con.execute(
            "SELECT count(*), count(DISTINCT text) FROM messages WHERE sender = 'buyer' "
            "AND strftime(sent_at, '%Y-%m') = ?",
            [month],
        ).fetchone()
        for _ in range(runs):
            t = time.perf_counter()
            StoreKpis(store).shop_months(shop, [month])
            timings["kpi"].append(time.perf_counter() - t)
            for kind in ("topics", "voice_month"):
                for temp in ("cold", "warm"):  # warm: a fresh classifier, the store's cache full
                    v = fresh(store, temp == "cold")
                    t = time.perf_counter()
                    if kind == "topics":
                        got = v.month(shop, month, lost_sales=False, rising=False)
                    else:
                        got = v.month(shop, month)
                    timings[f"{kind}_{temp}"].append(time.perf_counter() - t)
                    classified[f"{kind}_{temp}"].append(got.classified)
        cached = store.con.execute("SELECT count(*) FROM voice_labels").fetchone()
    med = {k: round(statistics.median(v), 3) for k, v in timings.items()}
    buyer_messages, distinct_texts = n_msgs or (0, 0)
    return {
        "size": size,
        "distinct_texts_variant": distinct,
        "month": month,
        "buyer_messages_in_month": buyer_messages,
        "distinct_buyer_texts_in_month": distinct_texts,
        "texts_cached_after": cached[0] if cached else 0,
        "runs": runs,
        "import_seconds": import_seconds,
        "seconds": med,
        "classified_anew": {k: max(v) for k, v in classified.items()},
        "over_kpi": {k: round(v / med["kpi"], 2) for k, v in med.items() if k != "kpi"},
        "buyer_messages_per_second_topics_warm": round(buyer_messages / med["topics_warm"]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10M")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--accuracy-only", action="store_true")
    ap.add_argument(
        "--distinct", action="store_true", help="also a copy whose buyer texts are all distinct"
    )
    opts = ap.parse_args(argv)
    result: dict[str, Any] = {"accuracy": accuracy(), "classifier": throughput()}
    print(json.dumps(result, ensure_ascii=False, indent=1), flush=True)
    if not opts.accuracy_only:
        for size in opts.sizes.split(","):
            result[size] = speed(size, opts.runs)
            print(json.dumps(result[size], ensure_ascii=False, indent=1), flush=True)
            if opts.distinct:
                result[f"{size}-distinct"] = speed(size, opts.runs, distinct=True)
                print(json.dumps(result[f"{size}-distinct"], ensure_ascii=False, indent=1))
    out = HERE / "out" / "voice.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
