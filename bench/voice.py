"""The voice of the buyer's benchmark: topic accuracy on the labelled sets, and speed at 10M.

    .venv/bin/python bench/voice.py                  # accuracy, then the 10M shop (docs/performance.md)
    .venv/bin/python bench/voice.py --sizes 1M       # a smaller shop
    .venv/bin/python bench/voice.py --accuracy-only

Speed: the synthetic shop of bench/gen.py (generated once into bench/out/data/<size>/) is
imported into bench/out/stores/voice-<size>.duckdb; then, each in this one process after a
warm-up, the KPI step (`StoreKpis(store).shop_months(shop, [month])`), the month's topics
(`VoiceOfBuyer.topics`, a fresh classifier, so every distinct text is classified), and the
whole month (`VoiceOfBuyer.month`: topics, lost sales with its own engine run, rising words).
The median of --runs runs of each is printed as JSON.
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


def speed(size: str, runs: int) -> dict[str, Any]:
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
    month, shop = gen.LATEST_FULL_MONTH, gen.SHOP
    timings: dict[str, list[float]] = {"kpi": [], "topics": [], "voice_month": []}
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
            v = VoiceOfBuyer(store, Classifier())
            v.classifier.tokenizer  # noqa: B018 - loading jieba's dictionary is not the month's work
            t = time.perf_counter()
            v.topics(shop, month)
            timings["topics"].append(time.perf_counter() - t)
            v = VoiceOfBuyer(store, Classifier())
            v.classifier.tokenizer  # noqa: B018
            t = time.perf_counter()
            v.month(shop, month)
            timings["voice_month"].append(time.perf_counter() - t)
    med = {k: round(statistics.median(v), 3) for k, v in timings.items()}
    buyer_messages, distinct = n_msgs or (0, 0)
    return {
        "size": size,
        "month": month,
        "buyer_messages_in_month": buyer_messages,
        "distinct_buyer_texts_in_month": distinct,
        "runs": runs,
        "import_seconds": import_seconds,
        "seconds": med,
        "topics_over_kpi": round(med["topics"] / med["kpi"], 2),
        "voice_month_over_kpi": round(med["voice_month"] / med["kpi"], 2),
        "buyer_messages_per_second_topics": round(buyer_messages / med["topics"]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10M")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--accuracy-only", action="store_true")
    opts = ap.parse_args(argv)
    result: dict[str, Any] = {"accuracy": accuracy(), "classifier": throughput()}
    print(json.dumps(result, ensure_ascii=False, indent=1), flush=True)
    if not opts.accuracy_only:
        for size in opts.sizes.split(","):
            result[size] = speed(size, opts.runs)
            print(json.dumps(result[size], ensure_ascii=False, indent=1), flush=True)
    out = HERE / "out" / "voice.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
