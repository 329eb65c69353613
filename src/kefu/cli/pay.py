"""CLI commands: pay, pay compare, payslip, payroll run|approve|diff|list, plan test|check."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from kefu import i18n
from kefu.cli.common import (
    ColumnsOption,
    DbOption,
    LangOption,
    ShopOption,
    WideOption,
    check_choice,
    check_lang,
    check_month,
    console,
    current_lang,
    data_months,
    err_console,
    fail,
    h,
    no_data,
    open_db,
    piped,
    resolve_agent,
    resolve_shop,
    say,
)
from kefu.i18n import t
from kefu.inert import shown, visible
from kefu.metrics.table import KpiSource
from kefu.output import OutputError, check_target, write_text
from kefu.pay.compute import ORDER, MonthPay, Note
from kefu.pay.plan import Plan, PlanError, load_plan
from kefu.pay.text import money, percent
from kefu.report.fit import Col, Grid, UnknownColumns, check_columns, parse_columns, print_grid
from kefu.store import Store
from kefu.store.database import StoreError
from kefu.store.payroll import PayrollRuns

PlanOption = Annotated[str, typer.Option("--plan", help=h("cli.opt.plan"))]


def kpi_source(store: Store) -> KpiSource:
    """The KPI months of the store per person (docs/pay.md, people behind seats): the metrics
    engine, or agent reports for months without chats, imported only when needed."""
    try:
        from kefu.metrics.people import PersonKpis
        from kefu.metrics.reported import ChosenKpis
    except ImportError:
        say("cli.err.no_engine")
    source: KpiSource = PersonKpis(store, ChosenKpis(store))
    return source


def today() -> date:
    return date.today()


def _plan(ref: str) -> Plan:
    try:
        return load_plan(ref)
    except PlanError as e:
        fail(e.text(current_lang()))


def _warn(warnings: tuple[Note, ...] | list[Note], lang: str) -> None:
    word = i18n.t("cli.warning", lang)
    for w in warnings:
        err_console.print(f"[yellow]{word}:[/] {escape(visible(w.text(lang)))}", highlight=False)


def _check_output(path: Path, lang: str) -> None:
    """Refuse a bad output file (the store, a folder, a missing folder) before any work."""
    try:
        check_target(path)
    except OutputError as e:
        fail(e.message(lang))


def _wrote(path: Path, lang: str) -> None:
    console.print(shown(i18n.t("output.wrote", lang, path=str(path))), highlight=False)


def _w(key: str, lang: str, **values: object) -> str:
    return i18n.t(key, lang, **values)


def _share(pay: MonthPay) -> str:
    s = pay.share
    return "—" if s is None else percent(s)


def _pay_grid(pay: MonthPay, lang: str, title: str) -> Grid:
    """The pay table: one row per agent, one column per component, totals in the footer."""
    comps = [c for c in ORDER if any(x.component == c for a in pay.agents for x in a.lines)]
    total_word = _w("cli.col.total", lang)
    cols = [
        Col("agent", _w("cli.col.agent", lang), identity=True, footer=total_word),
        Col("name", _w("cli.col.name", lang)),
    ]
    for c in comps:
        total = sum(x.amount_fen for a in pay.agents for x in a.lines if x.component == c)
        cols.append(Col(c, _w(f"pay.component.{c}", lang), numeric=True, footer=money(total)))
    cols.append(Col("total", total_word, numeric=True, footer=money(pay.total_fen)))
    # narrow terminals keep the agent's total first, then the components in pay-slip order
    grid = Grid(columns=cols, title=title, show_footer=True, priority=["total", "name", *comps])
    for a in pay.agents:
        cells = []
        for c in comps:
            lines = [x for x in a.lines if x.component == c]
            if not lines:
                cells.append("")
                continue
            amount = money(sum(x.amount_fen for x in lines))
            if any(x.status == "withheld" for x in lines):
                amount += " *"
            cells.append(amount)
        grid.add_row([a.agent_id, a.name, *cells, money(a.total_fen)])
    return grid


def _print_pay(
    pay: MonthPay,
    plan: Plan,
    lang: str,
    state: str = "trial",
    columns: list[str] | None = None,
    wide: bool = False,
    note: str = "cli.pay.trial_note",
) -> None:
    """The pay table, fitted to the console; a trial (no payroll run) or a run awaiting
    approval says so (`note`: what a trial's last line says)."""
    title = _w(
        f"cli.pay.title_{state}", lang, shop=pay.shop_id, month=pay.month, plan=plan.label(lang)
    )
    grid = _pay_grid(pay, lang, title)
    print_grid(console, grid, lang, wanted=columns, wide=wide or piped(console))
    if any(x.status == "withheld" for a in pay.agents for x in a.lines):
        console.print(_w("cli.pay.withheld_mark", lang), highlight=False)
    share = _w(
        "cli.pay.share",
        lang,
        share=_share(pay),
        total=money(pay.total_fen),
        net=money(pay.paid_net_sales_fen),
    )
    console.print(share, highlight=False)
    if state == "trial":
        console.print(_w(note, lang, month=pay.month), highlight=False)


def _compute(store: Store, plan: Plan, shop: str, month: str) -> tuple[MonthPay, list[Note]]:
    from kefu.pay.runs import prepare

    try:
        runs = PayrollRuns(store).all(shop)
        prepared = prepare(plan, shop, month, kpi_source(store), runs, today())
    except PlanError as e:
        fail(e.text(current_lang()))
    return prepared.pay, list(prepared.warnings)


# -- kefu pay -------------------------------------------------------------------------------------
pay_app = typer.Typer(
    help=h("cli.pay.help"),
    invoke_without_command=True,
    no_args_is_help=False,
)


@pay_app.callback()
def pay(
    ctx: typer.Context,
    month: Annotated[str | None, typer.Option("--month", help=h("cli.opt.month"))] = None,
    plan: PlanOption = "seed",
    shop: ShopOption = None,
    fmt: Annotated[str, typer.Option("--format", help=h("cli.opt.pay_format"))] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "--out", help=h("cli.opt.pay_out"))
    ] = None,
    columns: ColumnsOption = None,
    wide: WideOption = False,
    lang: LangOption = None,
    db: DbOption = None,
    lake_output: Annotated[
        str | None, typer.Option("--lake-output", help=h("lake.pay.help_lake_output"))
    ] = None,
    lake: Annotated[str | None, typer.Option("--lake", help=h("lake.pay.help_lake"))] = None,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    lang = check_lang(lang)
    if month is None:
        say("cli.err.month_required")
    check_month(month)
    check_choice("--format", fmt, ("table", "json", "xlsx"))
    if lake is not None and lake_output is None:
        say("lake.pay.lake_alone")
    if output is not None:
        _check_output(output, lang)
    the_plan = _plan(plan)
    note = "cli.pay.trial_note"
    if lake_output is not None:  # the Spark job's output tables (docs/lake.md)
        result, warnings, shop_id = _from_lake_output(lake_output, lake, the_plan, shop, month)
        handovers: list[dict[str, str]] = []  # the job computes every month from chats
        note = "lake.pay.note"
    else:
        with open_db(db, must_exist=True) as store:
            shop_id = resolve_shop(store, shop)
            result, warnings = _compute(store, the_plan, shop_id, month)
            if not result.agents and month not in data_months(store, shop_id):
                fail(no_data(store, shop_id, month, lang))
            from kefu.metrics.people import reported_handovers

            handovers = reported_handovers(store, shop_id, month)
    _warn(warnings, lang)
    if fmt == "json":
        from kefu.report.payslip import pay_json

        typer.echo(json.dumps(pay_json(result, lang), ensure_ascii=False, indent=2))
    elif fmt == "xlsx":
        from kefu.report.pay_xlsx import write_xlsx

        path = output or Path(f"pay-{shop_id}-{month}.xlsx".replace(":", "_").replace("/", "_"))
        try:
            write_xlsx(result, path, lang)
        except OutputError as e:
            fail(e.message(lang))
        _wrote(path, lang)
    else:
        wanted = _columns(result, lang, columns)
        _print_pay(result, the_plan, lang, columns=wanted, wide=wide, note=note)
        for h in handovers:  # a monthly report could not be split between a seat's holders
            note = t("people.handover.reported", lang, month=month, **h)
            console.print(escape(visible(note)), highlight=False)


def _from_lake_output(
    path: str, lake: str | None, plan: Plan, shop: str | None, month: str
) -> tuple[MonthPay, list[Note], str]:
    """The month's pay from the job's output, as `kefu pay` computes it from a store: per
    person with the lake's persons and seat holders; no payroll run, so no clawback."""
    from kefu.cli.kpi import open_lake, open_output
    from kefu.lake.output import OutputPayKpis
    from kefu.metrics.people import PersonKpis
    from kefu.pay.compute import months_needed
    from kefu.pay.runs import prepare

    lang = current_lang()
    output, shop_id = open_output(path, shop, month, lang)
    source = OutputPayKpis(output)
    try:
        check = source.check(shop_id, months_needed(plan, month))
    except PlanError as e:
        fail(e.text(lang))
    where = {"path": str(path), "shop": shop_id, "month": month}
    if check.missing:
        say("lake.pay.months_missing", months=", ".join(check.missing), **where)
    if check.old:
        say("lake.pay.old_output", months=", ".join(check.old), **where)
    if check.seats_held and lake is None:
        say("lake.pay.needs_lake", shop=shop_id)
    kpis: KpiSource = source
    if lake is not None:  # the lake's persons, the job's figures (split seats included)
        kpis = PersonKpis(open_lake(lake, lang), source, splits=source.split_months)
    try:
        prepared = prepare(plan, shop_id, month, kpis, [], today())
    except PlanError as e:
        fail(e.text(lang))
    return prepared.pay, list(prepared.warnings), shop_id


def _columns(pay: MonthPay, lang: str, spec: str | None) -> list[str] | None:
    """--columns of the pay table, checked against the components this month has."""
    wanted = parse_columns(spec)
    try:
        check_columns(_pay_grid(pay, lang, ""), wanted)
    except UnknownColumns as e:
        fail(
            t("table.unknown_columns", lang, unknown=", ".join(e.unknown), known=",".join(e.known))
        )
    return wanted


@pay_app.command("compare", help=h("cli.compare.help"))
def pay_compare(
    plans: Annotated[list[str], typer.Option("--plan", help=h("cli.opt.compare_plan"))],
    start: Annotated[str, typer.Option("--from", help=h("cli.opt.from"))],
    end: Annotated[str, typer.Option("--to", help=h("cli.opt.to"))],
    shop: ShopOption = None,
    fmt: Annotated[str, typer.Option("--format", help=h("cli.opt.table_json"))] = "table",
    wide: WideOption = False,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from kefu.pay.compare import compare

    lang = check_lang(lang)
    check_month(start)
    check_month(end)
    if start > end:
        say("cli.err.from_after_to", start=start, end=end)
    if len(plans) < 2:
        say("cli.err.two_plans")
    check_choice("--format", fmt, ("table", "json"))
    loaded = [_plan(p) for p in plans]
    with open_db(db, must_exist=True) as store:
        shop_id = resolve_shop(store, shop)
        try:
            result = compare(loaded, shop_id, start, end, kpi_source(store))
        except PlanError as e:
            fail(e.text(current_lang()))
    if fmt == "json":
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    title = _w("cli.compare.title", lang, shop=shop_id, start=start, end=end)
    total_word = _w("cli.col.total", lang)
    cols = [
        Col("agent", _w("cli.col.agent", lang), identity=True, footer=total_word),
        Col("name", _w("cli.col.name", lang)),
    ]
    for i, name in enumerate(result.plans):
        cols.append(Col(f"plan{i}", name, numeric=True, footer=money(result.totals[i])))
    for i, name in enumerate(result.plans[1:], start=1):
        delta = result.totals[i] - result.totals[0]
        cols.append(
            Col(f"delta{i}", f"{name} − {result.plans[0]}", numeric=True, footer=_signed(delta))
        )
    grid = Grid(columns=cols, title=title, show_footer=True)
    # narrow terminals keep each plan's pay, then the differences, then the names
    grid.priority = [c.key for c in cols if c.key.startswith("plan")]
    grid.priority += [c.key for c in cols if c.key.startswith("delta")] + ["name"]
    for a in result.agents:
        grid.add_row(
            [a.agent_id, a.name, *[money(x) for x in a.totals], *[_signed(d) for d in a.deltas[1:]]]
        )
    print_grid(console, grid, lang, wide=wide or piped(console), can_choose=False)
    for name, share in zip(result.plans, result.shares(), strict=True):
        text = "—" if share is None else percent(share)
        console.print(_w("cli.compare.share", lang, plan=name, share=text), highlight=False)


def _signed(fen: int) -> str:
    return ("+" if fen > 0 else "") + money(fen)


# -- kefu payslip ---------------------------------------------------------------------------------
def payslip(
    month: Annotated[str, typer.Option("--month", help=h("cli.opt.month"))],
    agent: Annotated[str, typer.Option("--agent", help=h("cli.opt.agent_any"))],
    plan: Annotated[str | None, typer.Option("--plan", help=h("cli.opt.payslip_plan"))] = None,
    run: Annotated[int | None, typer.Option("--run", help=h("cli.opt.run"))] = None,
    shop: ShopOption = None,
    fmt: Annotated[str, typer.Option("--format", help=h("cli.opt.text_html"))] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", help=h("cli.opt.payslip_output"))
    ] = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from kefu.report.payslip import State, from_run, payslip_html, payslip_text, source_text

    lang = check_lang(lang)
    check_month(month)
    check_choice("--format", fmt, ("text", "html"))
    if output is not None:
        _check_output(output, lang)
    stored: dict[int, dict[str, str]] | None = None
    state: State
    with open_db(db, must_exist=True) as store:
        shop_id = resolve_shop(store, shop)
        runs = PayrollRuns(store)
        record = runs.get(run) if run is not None else None
        if run is not None and record is None:
            say("cli.err.no_run", run=run)
        if record is None and plan is None:
            record = runs.approved_for(shop_id, month)
        if record is not None:
            if record.month != month or record.shop_id != shop_id:
                say(
                    "cli.err.run_other_month",
                    run=record.run_id,
                    run_shop=record.shop_id,
                    run_month=record.month,
                    shop=shop_id,
                    month=month,
                )
            run_lines = runs.lines(record.run_id)
            result, plan_label, state, source, stored = from_run(record, run_lines, agent, lang)
        else:
            the_plan = _plan(plan or "seed")
            result, warnings = _compute(store, the_plan, shop_id, month)
            if not result.agents and month not in data_months(store, shop_id):
                fail(no_data(store, shop_id, month, lang))
            _warn(warnings, lang)
            plan_label = the_plan.label(lang)
            state = "trial"
            source = source_text(state, lang)
        holders = _holders(store, shop_id, month, agent)
    known = [(a.agent_id, a.name) for a in result.agents]
    held = [(p, n) for p, n in known if p in holders]
    if agent not in dict(known) and held:  # a seat: the person who held it in the month
        if len(held) > 1:
            listed = ", ".join(f"{p} ({n})" for p, n in held)
            fail(t("agent.ambiguous", lang, query=agent, matches=listed))
        agent = held[0][0]
        if record is not None:
            result, plan_label, state, source, stored = from_run(record, run_lines, agent, lang)
    if agent not in dict(known) and any(agent in (n, a.split(":", 1)[-1]) for a, n in known):
        agent = resolve_agent(known, agent, lang)  # a name (or the part after shop:)
        if record is not None:  # the run's stored sentences are the named agent's
            result, plan_label, state, source, stored = from_run(record, run_lines, agent, lang)
    who = result.agent(agent)
    if who is None:
        paid = ", ".join(a.agent_id for a in result.agents) or i18n.t("pay.none", lang)
        say("cli.err.not_paid", agent=agent, month=month, paid=paid)
    render = payslip_html if fmt == "html" else payslip_text
    slip = render(result, who, lang, plan_label, state, source, stored)
    if output is not None:
        try:
            write_text(output, slip)
        except OutputError as e:
            fail(e.message(lang))
        _wrote(output, lang)
    else:  # html is escaped by payslip_html; text shows control characters, never obeys them
        typer.echo(slip if fmt == "html" else visible(slip, tabs=True), nl=False)


def _holders(store: Store, shop_id: str, month: str, seat: str) -> list[str]:
    """The persons who held a seat (sub-account) of the shop in the month."""
    from kefu.metrics.people import held_days
    from kefu.store.seats import holdings

    found = holdings(store, [shop_id])
    return sorted({h.person_id for h in found if h.agent_id == seat and held_days(h, month)})


# -- kefu payroll ---------------------------------------------------------------------------------
payroll_app = typer.Typer(help=h("cli.payroll.help"), no_args_is_help=True)


@payroll_app.command("run", help=h("cli.payroll.run_help"))
def payroll_run(
    month: Annotated[str, typer.Option("--month", help=h("cli.opt.month"))],
    plan: PlanOption = "seed",
    shop: ShopOption = None,
    wide: WideOption = False,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from kefu.pay.runs import prepare, store_run
    from kefu.report.payslip import explain_both

    lang = check_lang(lang)
    check_month(month)
    the_plan = _plan(plan)
    with open_db(db, must_exist=True) as store:
        shop_id = resolve_shop(store, shop)
        runs = PayrollRuns(store)
        done = runs.approved_for(shop_id, month)
        if done is not None:
            say("cli.err.month_approved", shop=shop_id, month=month, run=done.run_id)
        try:
            prepared = prepare(
                the_plan, shop_id, month, kpi_source(store), runs.all(shop_id), today()
            )
        except PlanError as e:
            fail(e.text(current_lang()))
        record = store_run(runs, prepared, datetime.now(), explain_both)
    _warn(prepared.warnings, lang)
    _print_pay(prepared.pay, the_plan, lang, "pending", wide=wide)
    stored = _w(
        "cli.payroll.stored",
        lang,
        run=record.run_id,
        plan=the_plan.name,
        version=the_plan.version,
        plan_sha=record.plan_sha256[:12],
        inputs_sha=record.inputs_sha256[:12],
    )
    console.print(stored, highlight=False)


@payroll_app.command("approve", help=h("cli.payroll.approve_help"))
def payroll_approve(
    run: Annotated[int, typer.Argument(help=h("cli.opt.run_number"))],
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    lang = check_lang(lang)
    with open_db(db, must_exist=True) as store:
        runs = PayrollRuns(store)
        found = runs.get(run)
        # the store refuses these too (in its transaction); here they are said in words
        if found is None:
            say("cli.err.no_run", run=run)
        if found.approved_at is not None:
            say("cli.err.run_approved", run=run, at=f"{found.approved_at:%Y-%m-%d %H:%M}")
        other = runs.approved_for(found.shop_id, found.month)
        if other is not None:
            say(
                "cli.err.month_has_approved",
                shop=found.shop_id,
                month=found.month,
                other=other.run_id,
            )
        if not found.intact():
            say("cli.err.run_tampered", run=run)
        try:
            record = runs.approve(run, datetime.now())
        except StoreError as e:
            fail(e.text(current_lang()))
    done = _w(
        "cli.payroll.approved",
        lang,
        run=record.run_id,
        shop=record.shop_id,
        month=record.month,
        total=money(record.total_fen),
    )
    console.print(done, highlight=False)


@payroll_app.command("diff", help=h("cli.payroll.diff_help"))
def payroll_diff(
    run: Annotated[int, typer.Argument(help=h("cli.opt.run_number"))],
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from kefu.pay.runs import diff

    lang = check_lang(lang)
    with open_db(db, must_exist=True) as store:
        runs = PayrollRuns(store)
        record = runs.get(run)
        if record is None:
            say("cli.err.no_run", run=run)
        try:
            now, changes = diff(record, kpi_source(store), runs.all(record.shop_id))
        except PlanError as e:
            fail(e.text(current_lang()))
    if not changes:
        same = _w("cli.payroll.no_change", lang, month=record.month, total=money(record.total_fen))
        console.print(same, highlight=False)
        return
    title = _w("cli.payroll.diff_title", lang, run=run, shop=record.shop_id, month=record.month)
    grid = Grid(
        columns=[
            Col("agent", _w("cli.col.agent", lang), identity=True),
            Col("component", _w("cli.col.component", lang)),
            Col("stored", _w("cli.col.stored", lang), numeric=True),
            Col("now", _w("cli.col.now", lang), numeric=True),
            Col("change", _w("cli.col.change", lang), numeric=True),
        ],
        title=title,
        priority=["change", "component", "now", "stored"],
    )
    for c in changes:
        grid.add_row(
            [
                c.agent_id,
                _w(f"pay.component.{c.component}", lang),
                money(c.stored_fen),
                money(c.now_fen),
                _signed(c.delta_fen),
            ]
        )
    print_grid(console, grid, lang, wide=piped(console))
    total = _w(
        "cli.payroll.diff_total",
        lang,
        then=money(record.total_fen),
        now=money(now.total_fen),
        change=_signed(now.total_fen - record.total_fen),
    )
    console.print(total, highlight=False)
    if record.approved:
        console.print(_w("cli.payroll.diff_approved", lang), highlight=False)


@payroll_app.command("list", help=h("cli.payroll.list_help"))
def payroll_list(shop: ShopOption = None, lang: LangOption = None, db: DbOption = None) -> None:
    lang = check_lang(lang)
    with open_db(db, must_exist=True) as store:
        runs = PayrollRuns(store).all(shop)
    if not runs:
        console.print(t("payroll.none", lang), highlight=False)
        return
    keys = ("run", "shop", "month", "plan", "total", "created", "approved")
    grid = Grid(
        columns=[
            Col(k, _w(f"cli.col.{k}", lang), numeric=k in ("run", "total"), identity=k == "run")
            for k in keys
        ],
        priority=["month", "total", "approved", "plan", "shop", "created"],
    )
    for r in runs:
        grid.add_row(
            [
                str(r.run_id),
                r.shop_id,
                r.month,
                f"{r.plan_name} {r.plan_version}".strip(),
                money(r.total_fen),
                f"{r.created_at:%Y-%m-%d %H:%M}",
                f"{r.approved_at:%Y-%m-%d %H:%M}" if r.approved_at else "—",
            ]
        )
    print_grid(console, grid, lang, wide=piped(console))


# -- kefu plan ------------------------------------------------------------------------------------
plan_app = typer.Typer(help=h("cli.plan.help"), no_args_is_help=True)


@plan_app.command("test", help=h("cli.plan.test_help"))
def plan_test(
    files: Annotated[list[Path], typer.Argument(help=h("cli.arg.case_files"))],
) -> None:
    from kefu.pay.cases import run_file
    from kefu.report.payslip import explain_both

    lang = check_lang(None)
    failed = total = 0
    for f in files:
        for r in run_file(f, explain_both):
            total += 1
            name = escape(visible(f"{f}: {r.case.name}"))
            if r.ok:
                console.print(f"[green]✓[/] {name}", highlight=False)
            else:
                failed += 1
                console.print(f"[red]✗[/] {name}", highlight=False)
                for p in r.problems:
                    console.print(f"    {escape(visible(p))}", highlight=False)
    summary = _w("cli.plan.summary", lang, passed=total - failed, failed=failed)
    console.print(summary, highlight=False)
    if failed:
        raise typer.Exit(1)


@plan_app.command("check", help=h("cli.plan.check_help"))
def plan_check(
    plans: Annotated[list[str], typer.Argument(help=h("cli.arg.plans"))],
) -> None:
    lang = check_lang(None)
    bad = 0
    for ref in plans:
        try:
            p = load_plan(ref)
        except PlanError as e:
            bad += 1
            err_console.print(f"[red]✗[/] {escape(visible(e.text(lang)))}", highlight=False)
            continue
        since = ", ".join(v.since.isoformat() for v in p.versions)
        ok = _w("cli.plan.ok", lang, ref=ref, name=p.name, version=p.version, since=since)
        console.print(f"[green]✓[/] {escape(visible(ok))}", highlight=False)
    if bad:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the kefu app."""
    app.add_typer(pay_app, name="pay")
    app.command("payslip", help=h("cli.payslip.help"))(payslip)
    app.add_typer(payroll_app, name="payroll")
    app.add_typer(plan_app, name="plan")
