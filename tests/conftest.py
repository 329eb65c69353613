"""Shared test set-up: small Spark partitions for small cases; artifacts folder."""

from __future__ import annotations

import os
from pathlib import Path

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
