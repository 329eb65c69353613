"""CLI command: demo — build the demo shop, import it for real, and show its latest month."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Annotated

import typer

from kefu.cli.common import LangOption, check_lang, console, fail, h, piped
from kefu.i18n import t
from kefu.output import OutputError
from kefu.store import Store


def demo(
    workspace: Annotated[Path, typer.Option("--workspace", help=h("cli.opt.workspace"))] = Path(
        "demo-workspace"
    ),
    seed: Annotated[int, typer.Option("--seed", help=h("cli.opt.seed"))] = 7,
    lang: LangOption = None,
) -> None:
    from kefu.demo.generate import generate_demo_shop
    from kefu.diagnosis import diagnose, from_shop_settings
    from kefu.metrics.engine import StoreKpis
    from kefu.report import kpi_table
    from kefu.report.html import write_html
    from kefu.store import open_store
    from kefu.store.ingest import import_files

    lang = check_lang(lang)
    if workspace.exists():
        if not _is_demo_workspace(workspace):  # never delete a folder kefu did not make
            fail(t("output.demo_not_workspace", lang, folder=str(workspace)))
        shutil.rmtree(workspace)
    files_dir = workspace / "files"
    shop = generate_demo_shop(files_dir, seed=seed)
    db = workspace / "kefu.duckdb"
    line = t("cli.demo.shop", lang, shop=shop.shop_id, n=len(shop.files), folder=files_dir)
    console.print(line, highlight=False)
    with open_store(db) as store:
        reports = import_files(store, shop.files)
        for r in reports:
            if not r.ok:
                fail(f"{r.file}: {r.error_text(lang)}")
            line = t(
                "cli.demo.file",
                lang,
                file=r.file,
                kind=r.kind,
                format=r.format,
                rows=r.rows_read,
                imported=r.imported,
                quarantined=r.quarantined,
                dropped=r.dropped_total,
            )
            console.print(line, highlight=False)
        if shop.products is not None:  # the shop's own facts about its products
            from kefu.io.products_file import read_products
            from kefu.store.products import import_products

            import_products(store, shop.shop_id, read_products(shop.products))
        month = shop.months[-1]
        sm = StoreKpis(store).shop_months(shop.shop_id, [month])[month]
        kpi_table.print_to(console, sm, lang, wide=piped(console))
        xlsx = workspace / f"kpi-{month}.xlsx"
        # the article's judgements on the last complete month, as one self-contained page
        judged = shop.months[-2]
        d = diagnose(StoreKpis(store), shop.shop_id, judged, from_shop_settings({}))
        from kefu.report.content import voice_section
        from kefu.voice.month import VoiceOfBuyer

        voice = [voice_section(VoiceOfBuyer(store).month(shop.shop_id, judged), lang)]
        try:
            kpi_table.to_xlsx(sm, xlsx, lang)
            html = write_html(d, workspace / f"report-{judged}.html", lang, voice)  # docs/voice.md
        except OutputError as e:
            fail(e.message(lang))
        users = _demo_users(store, shop.shop_id)
    console.print(t("cli.demo.wrote", lang, xlsx=xlsx, html=html), highlight=False)
    console.print(t("cli.demo.next", lang))
    for cmd in (
        f"kefu kpi --db {db} --month {month} --format json",
        f"kefu explain order <{t('cli.demo.order_id', lang)}> --db {db}",
        f"kefu diagnose --db {db} --month {month}",
        f"kefu pay --db {db} --month {month} --plan seed",
        f"kefu voice --db {db} --month {judged}",
    ):
        console.print(f"  {cmd}", highlight=False)
    console.print(t("cli.demo.serve", lang, db=db), highlight=False)
    for name, role, password in users:
        console.print(
            t(
                "cli.demo.user",
                lang,
                name=name,
                role=t(f"web.role.{role}", lang),
                password=password,
            ),
            highlight=False,
        )


# The demo store's people for `kefu serve` (demo passwords, printed; never use them elsewhere):
# an owner, a manager, and two agents on the shop's first two pre-sale sub-accounts.
DEMO_USERS = (
    ("boss", "owner", "demo-boss"),
    ("lead", "manager", "demo-lead"),
    ("agent1", "agent", "demo-agent1"),
    ("agent2", "agent", "demo-agent2"),
)


def _demo_users(store: Store, shop_id: str) -> list[tuple[str, str, str]]:
    from kefu.store.people import People

    seats = [
        r[0]
        for r in store.con.execute(
            # agents still at work: a seat-linked account is whoever holds the seat today
            "SELECT agent_id FROM agents WHERE shop_id = ? AND role = 'presale' "
            "AND left_on IS NULL ORDER BY agent_id LIMIT 2",
            [shop_id],
        ).fetchall()
    ]
    people = People(store)
    made = []
    agents = iter(seats)
    for name, role, password in DEMO_USERS:
        seat = [(shop_id, next(agents))] if role == "agent" else []
        people.add(
            name,
            role,
            password,
            shops=[shop_id] if role == "manager" else [],
            seats=seat,
        )
        made.append((name, role, password))
    return made


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
    app.command("demo", help=h("cli.demo.help"))(demo)
