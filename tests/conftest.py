"""Shared test set-up: small Spark partitions for small cases; artifacts folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# One Spark session is shared by the whole suite (kefu.metrics.spark caches it); the cases
# are tiny, so one shuffle partition keeps it quick.
os.environ.setdefault("KEFU_SPARK_PARTITIONS", "1")
# What people read is Chinese unless they ask otherwise; the suite must not depend on the
# machine's locale (tests of English pass --lang en or set KEFU_LANG themselves).
os.environ["KEFU_LANG"] = "zh"

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
ARTIFACTS.mkdir(exist_ok=True)
# The real export samples live in shared/ beside the repository (as in CI).
_CANDIDATES = [
    Path(os.environ["KEFU_FIXTURES"]) if os.environ.get("KEFU_FIXTURES") else None,
    ROOT / "tests" / "fixtures",
    ROOT.parent / "shared" / "fixtures",
    Path("/work/shared/fixtures"),
]
FIXTURES = next(
    (p for p in _CANDIDATES if p is not None and p.is_dir()), ROOT.parent / "shared" / "fixtures"
)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo shop, built once per session by the installed `kefu demo` — in a folder
    whose path has Chinese characters and a space, on a GBK console (as on Windows).

    Gives the workspace, the database, the shop, its last month and last complete month.
    """
    kefu = Path(sys.executable).parent / ("kefu.exe" if os.name == "nt" else "kefu")
    if not kefu.exists():
        pytest.skip(f"the kefu command is not installed next to {sys.executable}")
    ws = tmp_path_factory.mktemp("demo") / "客服 数据" / "ws"
    env = portable_env(tmp_path_factory.mktemp("nopandas"))
    env.pop("KEFU_DB", None)
    proc = subprocess.run(
        [str(kefu), "demo", "--workspace", str(ws)],
        capture_output=True,
        env=env,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr.decode("gbk", "replace")
    from kefu.store import open_store

    db = ws / "kefu.duckdb"
    with open_store(db) as store:
        shop = store.shops()[0]
        last = store.con.execute(
            "SELECT strftime(max(sent_at), '%Y-%m') FROM messages WHERE shop_id = ?", [shop]
        ).fetchone()
    month = last[0] if last else ""
    y, m = int(month[:4]), int(month[5:7])
    complete = f"{y - (m == 1)}-{12 if m == 1 else m - 1:02d}"
    return {
        "kefu": kefu,
        "workspace": ws,
        "db": db,
        "shop": shop,
        "month": month,
        "complete": complete,
        "stdout": proc.stdout.decode("gbk"),
        "env": env,
    }


def portable_env(folder: Path) -> dict[str, str]:
    """The environment of a plain Windows install: a GBK console, and no pandas (kefu's
    runtime does not depend on it; a stub that refuses to import stands first on the path)."""
    stub = folder / "pandas"
    stub.mkdir(parents=True, exist_ok=True)
    (stub / "__init__.py").write_text(
        'raise ImportError("kefu must run without pandas (a runtime dependency it does not have)")\n',
        encoding="utf-8",
    )
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONIOENCODING": "gbk", "NO_COLOR": "1", "PYTHONPATH": path}
