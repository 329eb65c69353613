"""The web workplace under load: `.venv/bin/python bench/web.py --size 10M`.

On the bench shop of `--size` (bench/gen.py's synthetic Parquet files, cached in OUT/data):
1. import it into a fresh store and time `kefu kpi --format json` for the latest full month
   (the CLI's first computation);
2. start a real `kefu serve` on a loopback port, sign in, and time the first shop-month page
   of that month (the page's first computation, which fills the KPI cache);
3. send REQUESTS requests (shop-month page and the KPI API, alternately) from CLIENTS
   concurrent clients while the same shop's reviews file is imported again through the
   upload page; report p50 / p95 / max latency, failed requests, and whether the import
   kept every row. With `--changed-import` the file imported meanwhile has REVIEWS_CHANGED
   ratings changed, so the import changes the month's inputs and the month is computed again
   while the clients read it (otherwise every row is an unchanged duplicate). The clients go
   on until the import has landed and each has sent AFTER_IMPORT requests after it, so the
   requests that wait for the recomputation are measured (reported apart as after_import).
Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

import gen  # noqa: E402
from webshop import KEFU, Served  # noqa: E402  (the web tests' serve-and-wait helper)

CLIENTS = 20
REQUESTS = 200
REVIEWS_CHANGED = 1000
AFTER_IMPORT = 3  # requests each client sends once the concurrent import has landed


class Client:
    """One signed-in browser-like client (its own cookie jar)."""

    def __init__(self, base: str, name: str, password: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(base + "/login").read().decode()
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token
        body = urllib.parse.urlencode({"name": name, "password": password, "csrf": token.group(1)})
        home = self.opener.open(base + "/login", body.encode()).read().decode()
        found = re.search(r'name="csrf" value="([^"]+)"', home)
        assert found, "sign-in failed"
        self.csrf = found.group(1)

    def get(self, path: str) -> tuple[int, float]:
        t0 = time.perf_counter()
        try:
            with self.opener.open(self.base + urllib.parse.quote(path, safe="/:?=&")) as r:
                r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        return status, time.perf_counter() - t0

    def upload(self, path: str, file: Path) -> tuple[int, str]:
        boundary = uuid.uuid4().hex
        data = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{self.csrf}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{file.name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + file.read_bytes()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        req = urllib.request.Request(
            self.base + urllib.parse.quote(path),
            data=data,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        try:
            with self.opener.open(req, timeout=3600) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


def _changed_reviews(source: Path, folder: Path) -> Path:
    """A copy of the reviews file with the rating of its first REVIEWS_CHANGED rows changed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(source)
    ratings = table.column("rating").to_pylist()
    swap = {"good": "neutral", "neutral": "bad", "bad": "good"}
    ratings[:REVIEWS_CHANGED] = [swap.get(r, "good") for r in ratings[:REVIEWS_CHANGED]]
    table = table.set_column(table.schema.get_field_index("rating"), "rating", pa.array(ratings))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    pq.write_table(table, target)
    return target


def run(size: str, out: Path, changed_import: bool = False) -> dict[str, Any]:
    from kefu.store import open_store
    from kefu.store.ingest import import_files

    folder = gen.generate(size, out, log=lambda m: print(m, file=sys.stderr))
    files = sorted(folder.glob("*.parquet"))
    store_dir = out / "web"
    store_dir.mkdir(parents=True, exist_ok=True)
    db = store_dir / f"web-{size}.duckdb"
    for old in store_dir.glob(f"web-{size}.duckdb*"):
        old.unlink()
    t0 = time.perf_counter()
    with open_store(db) as store:
        reports = import_files(store, files)
        assert not [r.error for r in reports if r.error]
        shop = store.shops()[0]
        end = store.data_end(shop)
        assert end is not None
        reviews_before = store.count("reviews", shop)
    import_s = time.perf_counter() - t0
    month = f"{end.year - (end.month == 1)}-{(end.month - 2) % 12 + 1:02d}"  # last full month
    subprocess.run(
        [*KEFU, "users", "add", "boss", "--role", "owner", "--password-stdin", "--db", str(db)],
        input="bench-password\n",
        text=True,
        check=True,
        capture_output=True,
    )
    t0 = time.perf_counter()
    cli = subprocess.run(
        [*KEFU, "kpi", "--db", str(db), "--month", month, "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    cli_s = time.perf_counter() - t0
    expected = json.loads(cli.stdout)

    server = Served(db, timeout=120).start()
    base = server.base
    try:
        page = f"/shops/{shop}/months/{month}"
        api = f"/api/v1/shops/{shop}/kpi/{month}"
        first = Client(base, "boss", "bench-password")
        status, first_s = first.get(page)
        assert status == 200
        with first.opener.open(base + urllib.parse.quote(api)) as r:
            assert json.loads(r.read()) == expected, "the API differs from kefu kpi"

        clients = [Client(base, "boss", "bench-password") for _ in range(CLIENTS)]
        latencies: list[float] = []
        failures: list[int] = []
        lock = threading.Lock()
        per_client = REQUESTS // CLIENTS

        imported = threading.Event()
        after: list[float] = []

        def work(c: Client, k: int) -> None:
            # Each client sends its share, then goes on until the import has landed and it
            # has sent AFTER_IMPORT more requests, so the requests that wait for the month's
            # recomputation (with --changed-import) are always among those measured.
            i = sent_after = 0
            while i < per_client or sent_after < AFTER_IMPORT:
                landed = imported.is_set()
                status, seconds = c.get(page if (i + k) % 2 == 0 else api)
                i += 1
                sent_after += landed
                with lock:
                    latencies.append(seconds)
                    if landed:
                        after.append(seconds)
                    if status != 200:
                        failures.append(status)

        upload_result: dict[str, Any] = {}
        reviews = folder / "reviews.parquet"
        if changed_import:
            reviews = _changed_reviews(reviews, store_dir / "changed")

        def upload() -> None:
            t0 = time.perf_counter()
            status, body = first.upload(f"/shops/{shop}/import", reviews)
            upload_result.update(
                status=status,
                seconds=round(time.perf_counter() - t0, 2),
                error=bool(re.search(r'class="error">[^<]', body)),
            )
            imported.set()

        threads = [threading.Thread(target=work, args=(c, k)) for k, c in enumerate(clients)]
        importer = threading.Thread(target=upload)
        t0 = time.perf_counter()
        importer.start()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        load_s = time.perf_counter() - t0
        importer.join()
    finally:
        server.stop()
    with open_store(db) as store:
        reviews_after = store.count("reviews", shop)
    ordered = sorted(latencies)
    return {
        "size": size,
        "month": month,
        "changed_import": changed_import,
        "import_s": round(import_s, 2),
        "cli_kpi_s": round(cli_s, 2),
        "first_page_s": round(first_s, 2),
        "requests": len(latencies),
        "clients": CLIENTS,
        "failed": len(failures),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "load_s": round(load_s, 2),
        "after_import": {
            "requests": len(after),
            "p95_ms": round(sorted(after)[int(0.95 * (len(after) - 1))] * 1000, 1),
            "max_ms": round(max(after) * 1000, 1),
        },
        "concurrent_import": upload_result,
        "reviews_kept": reviews_after == reviews_before,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1M", help="1M or 10M (bench/gen.py sizes)")
    ap.add_argument("--out", default=str(HERE / "out"), help="where the bench data is cached")
    ap.add_argument(
        "--changed-import",
        action="store_true",
        help="the concurrent import changes ratings, so the month is computed again under load",
    )
    args = ap.parse_args()
    result = run(args.size, Path(args.out), args.changed_import)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
