"""CLI command: demo — build the demo shop, import it for real, and show its latest month."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Annotated

import typer

from kefu.cli.common import LangOption, check_lang, console, fail, piped
from kefu.i18n import t
from kefu.output import OutputError


def demo(
    workspace: Annotated[
        Path, typer.Option("--workspace", help="folder to build the demo shop in")
    ] = Path("demo-workspace"),
    seed: Annotated[int, typer.Option("--seed", help="random seed of the demo shop")] = 7,
    lang: LangOption = "zh",
) -> None:
    """Build a realistic demo shop, import its files, print the latest month's KPIs, write xlsx
    and the HTML diagnosis report of the last complete month."""
    from kefu.demo.generate import generate_demo_shop
    from kefu.diagnosis import diagnose, from_shop_settings
    from kefu.metrics.engine import StoreKpis
    from kefu.report import kpi_table
    from kefu.report.html import write_html
    from kefu.store import open_store
    from kefu.store.ingest import import_files

    check_lang(lang)
    zh = lang != "en"
    if workspace.exists():
        if not _is_demo_workspace(workspace):  # never delete a folder kefu did not make
            fail(t("output.demo_not_workspace", lang, folder=str(workspace)))
        shutil.rmtree(workspace)
    files_dir = workspace / "files"
    shop = generate_demo_shop(files_dir, seed=seed)
    db = workspace / "kefu.duckdb"
    console.print(
        f"[bold]{'演示店铺' if zh else 'demo shop'}[/] {shop.shop_id}: {len(shop.files)} "
        f"{'个文件' if zh else 'files'} → {files_dir}"
    )
    with open_store(db) as store:
        reports = import_files(store, shop.files)
        for r in reports:
            if not r.ok:
                fail(f"{r.file}: {r.error}")
            console.print(
                f"  {r.file}: {r.kind}/{r.format}, {r.rows_read} {'行' if zh else 'rows'}, "
                f"{r.imported} {'导入' if zh else 'imported'}, {r.quarantined} "
                f"{'隔离' if zh else 'quarantined'}, {r.dropped_total} {'丢弃' if zh else 'dropped'}"
            )
        month = shop.months[-1]
        sm = StoreKpis(store).shop_months(shop.shop_id, [month])[month]
        kpi_table.print_to(console, sm, lang, wide=piped(console))
        xlsx = workspace / f"kpi-{month}.xlsx"
        # the article's judgements on the last complete month, as one self-contained page
        judged = shop.months[-2]
        d = diagnose(StoreKpis(store), shop.shop_id, judged, from_shop_settings({}))
        try:
            kpi_table.to_xlsx(sm, xlsx, lang)
            html = write_html(d, workspace / f"report-{judged}.html", lang)
        except OutputError as e:
            fail(e.message(lang))
    console.print(f"{'已写入' if zh else 'wrote'} {xlsx}, {html}")
    console.print("接下来可以试试:" if zh else "next, try:")
    for cmd in (
        f"kefu kpi --db {db} --month {month} --format json",
        f"kefu explain order <{'订单编号' if zh else 'order id'}> --db {db}",
        f"kefu diagnose --db {db} --month {month}",
        f"kefu pay --db {db} --month {month} --plan seed",
    ):
        console.print(f"  {cmd}", highlight=False)


# What a demo workspace holds: a folder with anything else in it is not one.
_DEMO_ENTRY = re.compile(
    r"files|kefu\.duckdb(\.wal|\.tmp)?|kpi-\d{4}-\d{2}\.xlsx|report-\d{4}-\d{2}\.html|\..*\.tmp"
)


def _is_demo_workspace(folder: Path) -> bool:
    """An empty folder, or one made by `kefu demo`: the only kind it may delete and rebuild."""
    if not folder.is_dir() or folder.is_symlink():
        return False
    return all(_DEMO_ENTRY.fullmatch(p.name) for p in folder.iterdir())


def register(app: typer.Typer) -> None:
    """Add demo to the kefu app."""
    app.command("demo")(demo)
