"""Shared test set-up: small Spark partitions for small cases; artifacts folder."""

from __future__ import annotations

import os
from pathlib import Path

# One Spark session is shared by the whole suite (kefu.metrics.spark caches it); the cases
# are tiny, so one shuffle partition keeps it quick.
os.environ.setdefault("KEFU_SPARK_PARTITIONS", "1")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
ARTIFACTS.mkdir(exist_ok=True)
FIXTURES = (ROOT.parent / "shared" / "fixtures").resolve()
