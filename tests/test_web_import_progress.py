"""Import progress is the import's own: files done of N, the file and step under way, the rows
read of each file — polled from a real `kefu serve` while the import runs, and shown by the
import page in Debian's chromium (issue #9, "progress while they import")."""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kefu.demo.generate import generate_demo_shop
from webshop import Served, kefu

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "web"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
PEOPLE = {
    "boss": ("owner", [], "boss-password"),
    "stranger": ("manager", ["--shop", "别家店"], "stranger-password"),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("import-progress")
    shop = generate_demo_shop(folder / "files")
    db = folder / "kefu.duckdb"
    for name, (role, extra, password) in PEOPLE.items():
        made = kefu(
            "users", "add", name, "--role", role, *extra, "--password-stdin", "--db", str(db),
            stdin=password + "\n",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
    with Served(db) as server:
        yield {"server": server, "shop": shop}


def _client(base: str, name: str) -> Any:
    client = httpx.Client(base_url=base, timeout=600)
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    r = client.post(
        "/login", data={"name": name, "password": PEOPLE[name][2], "csrf": token.group(1)}
    )
    assert r.status_code in (200, 303), r.text
    home = client.get("/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', home.text)
    assert csrf
    client.headers["X-CSRF-Token"] = csrf.group(1)
    return client


def test_the_import_reports_its_own_progress_while_it_runs(served: dict[str, Any]) -> None:
    base, shop = served["server"].base, served["shop"]
    sid = shop.shop_id
    files = list(shop.files)
    job = secrets.token_hex(16)
    progress_url = f"/shops/{sid}/import/progress/{job}"
    boss = _client(base, "boss")
    assert boss.get(progress_url).json()["state"] == "waiting"  # nothing started yet
    answer: dict[str, Any] = {}

    def upload() -> None:
        parts = [("files", (f.name, f.read_bytes(), "application/octet-stream")) for f in files]
        answer["r"] = boss.post(f"/shops/{sid}/import", data={"job": job}, files=parts)

    uploading = threading.Thread(target=upload)
    uploading.start()
    seen: list[dict[str, Any]] = []
    poller = _client(base, "boss")  # the same person's other connection, as the page's fetch
    while uploading.is_alive():
        seen.append(poller.get(progress_url).json())
        time.sleep(0.1)
    uploading.join()
    final = poller.get(progress_url).json()
    r = answer["r"]
    assert r.status_code == 200, r.text[-2000:]
    running = [b for b in seen if b["state"] == "importing"]
    assert running, f"no progress seen while importing: {[b['state'] for b in seen][-5:]}"
    for b in running:
        assert b["files_total"] == len(files)
        assert 0 <= b["files_done"] <= len(files) and 0 <= b["percent"] <= 100
        if b["file"] is None:  # every file read and written: the import finishes its report
            assert b["files_done"] == len(files) and b["percent"] == 100
            continue
        assert b["files_done"] < len(files) and b["percent"] < 100
        assert b["file"] in {f.name for f in files} and b["step"] in ("reading", "writing")
        assert b["text"] and b["file"] in b["text"][0]
    assert any(b["file"] is not None for b in running)
    done = [b["files_done"] for b in running]
    percent = [b["percent"] for b in running]
    assert done == sorted(done) and percent == sorted(percent)  # it only goes forward
    # the rows read of each file are the import report's
    report = re.findall(r"<tr><th>([^<]+)</th><td>[^<]*</td><td>(\d+)</td>", r.text)
    assert len(report) == len(files)
    assert final["state"] == "done" and final["files_done"] == len(files)
    assert final["percent"] == 100
    assert final["rows"] == {name: int(n) for name, n in report}
    # nobody else reads it: another manager is refused the shop, the same id of another
    # user is a job of theirs (none)
    stranger = _client(base, "stranger")
    assert stranger.get(progress_url).status_code == 403
    assert boss.get(f"/shops/{sid}/import/progress/not-a-job").status_code == 404


@pytest.mark.browser
def test_the_import_page_shows_the_imports_progress(served: dict[str, Any]) -> None:
    """The page shows "files done of N, now reading FILE" while the import runs, then the report."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make chromium)")
    base, shop = served["server"].base, served["shop"]
    sid = shop.shop_id
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            page.goto(base + "/login")
            page.fill("input[name=name]", "boss")
            page.fill("input[name=password]", PEOPLE["boss"][2])
            page.click("button[type=submit]")
            page.goto(base + f"/shops/{sid}/import")
            page.set_input_files("#files", [str(f) for f in shop.files])
            page.click("#upload button[type=submit]")
            status = page.locator("#import-progress")
            n = len(shop.files)
            sync_api.expect(status).to_contain_text(
                re.compile(rf"已导入 \d+/{n} 个文件；正在(读取|写入) "), timeout=300_000
            )
            shown = status.inner_text()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "import-progress-zh-phone.png"), full_page=True)
            page.wait_for_selector("#report", timeout=300_000)
            assert page.locator("#report tbody tr").count() == n
        finally:
            browser.close()
    assert any(f.name in shown for f in shop.files)
