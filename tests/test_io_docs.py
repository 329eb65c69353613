"""docs/importers.md keeps up with the code: every format, option and not-yet-supported export is in it."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from kefu.cli.main import app
from kefu.i18n import t
from kefu.io.detect import NOT_YET

DOC = (Path(__file__).resolve().parents[1] / "docs" / "importers.md").read_text(encoding="utf-8")
SRC = Path(__file__).resolve().parents[1] / "src" / "kefu" / "io"

FORMATS = [
    "canonical-csv", "canonical-xlsx", "canonical-parquet", "taobao-export-csv", "taobao-export-xlsx",
    "tmall-order-report", "taobao-detail-csv", "taobao-detail-xlsx", "qianniu-clipboard", "qianniu-web",
    "jd-orders-csv", "jd-orders-xlsx", "douyin-orders-csv", "douyin-orders-xlsx", "pdd-orders-csv",
    "pdd-orders-xlsx", "taobao-traderates-csv", "taobao-traderates-xlsx",
]  # fmt: skip


def test_every_format_is_documented() -> None:
    for fmt in FORMATS:
        assert f"`{fmt}`" in DOC, fmt


def test_every_format_the_code_names_is_listed_here() -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in SRC.glob("*.py"))
    literal = set(re.findall(r'"((?:canonical|taobao|tmall|qianniu|jd|douyin|pdd)-[a-z-]+)"', code))
    literal -= {"taobao-orders", "taobao-detail", "taobao-traderates"}  # header families
    literal -= {"jd-orders", "douyin-orders", "pdd-orders"}  # prefixes of -csv / -xlsx
    assert literal <= set(FORMATS)


def test_every_option_of_kefu_import_is_documented() -> None:
    command = typer.main.get_command(app)
    params = command.commands["import"].params  # type: ignore[attr-defined]
    for p in params:
        for opt in p.opts:
            if opt.startswith("--"):
                assert f"`{opt}`" in DOC, opt


def test_not_yet_supported_exports_are_documented() -> None:
    for _, key in NOT_YET:
        what = t(key, "en")
        platform = re.sub(r"^an? ", "", what).split(" ")[0]
        assert platform in DOC, what
