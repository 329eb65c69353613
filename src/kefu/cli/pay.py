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
    check_lang,
    check_month,
    console,
    data_months,
    err_console,
    fail,
    no_data,
    open_db,
    piped,
    resolve_agent,
    resolve_shop,
)
from kefu.i18n import t
from kefu.inert import shown, visible
from kefu.metrics.table import KpiSource
from kefu.output import OutputError, check_target, write_text
from kefu.pay.compute import ORDER, MonthPay
from kefu.pay.plan import Plan, PlanError, load_plan
from kefu.pay.text import Text, component_label, money, percent
from kefu.report.fit import Col, Grid, UnknownColumns, check_columns, parse_columns, print_grid
from kefu.store import Store
from kefu.store.database import StoreError
from kefu.store.payroll import PayrollRuns

PlanOption = Annotated[str, typer.Option("--plan", help="seed, growth, midyear, or a plan file")]


def kpi_source(store: Store) -> KpiSource:
    """The KPI months of the store (the metrics engine), imported only when needed."""
    try:
        from kefu.metrics.engine import StoreKpis
    except ImportError:
        fail("the metrics engine (kefu.metrics.engine) is not available in this build")
    source: KpiSource = StoreKpis(store)
    return source


def today() -> date:
    return date.today()


def _plan(ref: str) -> Plan:
    try:
        return load_plan(ref)
    except PlanError as e:
        fail(str(e))


def _warn(warnings: tuple[Text, ...] | list[Text], lang: str) -> None:
    for w in warnings:
        err_console.print(
            f"[yellow]{'注意' if lang == 'zh' else 'warning'}:[/] {escape(visible(w[lang]))}",
            highlight=False,
        )


def _check_output(path: Path, lang: str) -> None:
    """Refuse a bad output file (the store, a folder, a missing folder) before any work."""
    try:
        check_target(path)
    except OutputError as e:
        fail(e.message(lang))


def _wrote(path: Path, lang: str) -> None:
    console.print(shown(i18n.t("output.wrote", lang, path=str(path))), highlight=False)


def _share(pay: MonthPay) -> str:
    s = pay.share
    return "—" if s is None else percent(s)


def _pay_grid(pay: MonthPay, lang: str, title: str) -> Grid:
    """The pay table: one row per agent, one column per component, totals in the footer."""
    zh = lang == "zh"
    comps = [c for c in ORDER if any(x.component == c for a in pay.agents for x in a.lines)]
    cols = [
        Col("agent", "客服" if zh else "agent", identity=True, footer="合计" if zh else "total"),
        Col("name", "姓名" if zh else "name"),
    ]
    for c in comps:
        total = sum(x.amount_fen for a in pay.agents for x in a.lines if x.component == c)
        cols.append(Col(c, component_label(c, lang), numeric=True, footer=money(total)))
    cols.append(Col("total", "合计" if zh else "total", numeric=True, footer=money(pay.total_fen)))
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
    pay: MonthPay, plan: Plan, lang: str, columns: list[str] | None = None, wide: bool = False
) -> None:
    zh = lang == "zh"
    grid = _pay_grid(pay, lang, f"{pay.shop_id} {pay.month} — {plan.label(lang)}")
    print_grid(console, grid, lang, wanted=columns, wide=wide or piped(console))
    if any(x.status == "withheld" for a in pay.agents for x in a.lines):
        console.print(
            "* 数据不足, 暂不发放 (见 kefu payslip)" if zh else "* withheld (see kefu payslip)"
        )
    console.print(
        f"{'工资占本月净销售额' if zh else 'payroll share of net sales'}: {_share(pay)}"
        f" ({money(pay.total_fen)} / {money(pay.paid_net_sales_fen)})",
        highlight=False,
    )


def _compute(store: Store, plan: Plan, shop: str, month: str) -> tuple[MonthPay, list[Text]]:
    from kefu.pay.runs import prepare

    try:
        runs = PayrollRuns(store).all(shop)
        prepared = prepare(plan, shop, month, kpi_source(store), runs, today())
    except PlanError as e:
        fail(str(e))
    return prepared.pay, list(prepared.warnings)


# -- kefu pay -------------------------------------------------------------------------------------
pay_app = typer.Typer(
    help="Pay per agent for a month under a plan (computed, not stored). Subcommand: compare.",
    invoke_without_command=True,
    no_args_is_help=False,
)


@pay_app.callback()
def pay(
    ctx: typer.Context,
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM")] = None,
    plan: Annotated[
        str, typer.Option("--plan", help="seed, growth, midyear, or a plan file")
    ] = "seed",
    shop: ShopOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or xlsx")] = "table",
    output: Annotated[
        Path | None,
        typer.Option("--output", "--out", help="the .xlsx file to write (--out: the old name)"),
    ] = None,
    columns: ColumnsOption = None,
    wide: WideOption = False,
    lang: LangOption = "zh",
    db: DbOption = None,
) -> None:
    """Compute each agent's pay for a month (not stored: see kefu payroll run)."""
    if ctx.invoked_subcommand is not None:
        return
    if month is None:
        fail("--month is required (kefu pay --month 2024-09 --plan seed)")
    check_month(month)
    check_lang(lang)
    if fmt not in ("table", "json", "xlsx"):
        fail(f"--format must be table, json or xlsx, not '{fmt}'")
    if output is not None:
        _check_output(output, lang)
    the_plan = _plan(plan)
    with open_db(db, must_exist=True) as store:
        shop_id = resolve_shop(store, shop)
        result, warnings = _compute(store, the_plan, shop_id, month)
        if not result.agents and month not in data_months(store, shop_id):
            fail(no_data(store, shop_id, month, lang))
    _warn(warnings, lang)
    if fmt == "json":
        typer.echo(json.dumps(result.to_json(lang), ensure_ascii=False, indent=2))
    elif fmt == "xlsx":
        from kefu.report.pay_xlsx import write_xlsx

        path = output or Path(f"pay-{shop_id}-{month}.xlsx".replace(":", "_").replace("/", "_"))
        try:
            write_xlsx(result, path, lang)
        except OutputError as e:
            fail(e.message(lang))
        _wrote(path, lang)
    else:
        _print_pay(result, the_plan, lang, _columns(result, lang, columns), wide)


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


@pay_app.command("compare")
def pay_compare(
    plans: Annotated[list[str], typer.Option("--plan", help="a plan (give two or more)")],
    start: Annotated[str, typer.Option("--from", help="first month, YYYY-MM")],
    end: Annotated[str, typer.Option("--to", help="last month, YYYY-MM")],
    shop: ShopOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    wide: WideOption = False,
    lang: LangOption = "zh",
    db: DbOption = None,
) -> None:
    """What each plan would have paid per agent and in total, the difference, and the cost."""
    from kefu.pay.compare import compare

    check_month(start)
    check_month(end)
    check_lang(lang)
    if start > end:
        fail(f"--from {start} is after --to {end}")
    if len(plans) < 2:
        fail("give at least two plans: --plan seed --plan my-plan.yaml")
    if fmt not in ("table", "json"):
        fail(f"--format must be table or json, not '{fmt}'")
    loaded = [_plan(p) for p in plans]
    with open_db(db, must_exist=True) as store:
        shop_id = resolve_shop(store, shop)
        try:
            result = compare(loaded, shop_id, start, end, kpi_source(store))
        except PlanError as e:
            fail(str(e))
    if fmt == "json":
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    zh = lang == "zh"
    cols = [
        Col("agent", "客服" if zh else "agent", identity=True, footer="合计" if zh else "total"),
        Col("name", "姓名" if zh else "name"),
    ]
    for i, name in enumerate(result.plans):
        cols.append(Col(f"plan{i}", name, numeric=True, footer=money(result.totals[i])))
    for i, name in enumerate(result.plans[1:], start=1):
        delta = result.totals[i] - result.totals[0]
        cols.append(
            Col(f"delta{i}", f"{name} − {result.plans[0]}", numeric=True, footer=_signed(delta))
        )
    grid = Grid(columns=cols, title=f"{shop_id} {start}–{end}", show_footer=True)
    # narrow terminals keep each plan's pay, then the differences, then the names
    grid.priority = [c.key for c in cols if c.key.startswith("plan")]
    grid.priority += [c.key for c in cols if c.key.startswith("delta")] + ["name"]
    for a in result.agents:
        grid.add_row(
            [a.agent_id, a.name, *[money(x) for x in a.totals], *[_signed(d) for d in a.deltas[1:]]]
        )
    print_grid(console, grid, lang, wide=wide or piped(console), can_choose=False)
    for name, share in zip(result.plans, result.shares(), strict=True):
        console.print(
            f"{name}: {'工资占净销售额' if zh else 'payroll share of net sales'}"
            f" {'—' if share is None else percent(share)}",
            highlight=False,
        )


def _signed(fen: int) -> str:
    return ("+" if fen > 0 else "") + money(fen)


# -- kefu payslip ---------------------------------------------------------------------------------
def payslip(
    month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
    agent: Annotated[str, typer.Option("--agent", help="the agent: sub-account or name")],
    plan: Annotated[
        str | None,
        typer.Option(
            "--plan", help="compute with this plan (default: the approved run, else seed)"
        ),
    ] = None,
    run: Annotated[
        int | None, typer.Option("--run", help="the payslip of this payroll run")
    ] = None,
    shop: ShopOption = None,
    fmt: Annotated[str, typer.Option("--format", help="text or html")] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", help="write the payslip to this file")
    ] = None,
    lang: LangOption = "zh",
    db: DbOption = None,
) -> None:
    """One agent's payslip: every line, every gate with both numbers, the tier breakdown."""
    from kefu.pay.payslip import payslip_html, payslip_text
    from kefu.pay.plan import parse_plan

    check_month(month)
    check_lang(lang)
    if fmt not in ("text", "html"):
        fail(f"--format must be text or html, not '{fmt}'")
    if output is not None:
        _check_output(output, lang)
    zh = lang == "zh"
    with open_db(db, must_exist=True) as store:
        shop_id = resolve_shop(store, shop)
        runs = PayrollRuns(store)
        record = runs.get(run) if run is not None else None
        if run is not None and record is None:
            fail(f"no payroll run {run} (kefu payroll list)")
        if record is None and plan is None:
            record = runs.approved_for(shop_id, month)
        if record is not None:
            if record.month != month or record.shop_id != shop_id:
                fail(
                    f"run {record.run_id} is for {record.shop_id} {record.month}, not {shop_id} {month}"
                )
            result = MonthPay.from_record(record.results)
            the_plan = parse_plan(record.plan_text, record.plan_source)
            state = (
                ("已审批" if zh else "approved")
                if record.approved
                else ("未审批" if zh else "not approved")
            )
            source = (
                f"第 {record.run_id} 次核算({state}), {record.created_at:%Y-%m-%d %H:%M}"
                if zh
                else f"payroll run {record.run_id} ({state}), {record.created_at:%Y-%m-%d %H:%M}"
            )
        else:
            the_plan = _plan(plan or "seed")
            result, warnings = _compute(store, the_plan, shop_id, month)
            if not result.agents and month not in data_months(store, shop_id):
                fail(no_data(store, shop_id, month, lang))
            _warn(warnings, lang)
            source = (
                "按现有数据试算, 尚未核算入账"
                if zh
                else "computed from the data now; not a payroll run"
            )
    known = [(a.agent_id, a.name) for a in result.agents]
    if agent not in dict(known) and any(agent in (n, a.split(":", 1)[-1]) for a, n in known):
        agent = resolve_agent(known, agent, lang)
    who = result.agent(agent)
    if who is None:
        paid = ", ".join(a.agent_id for a in result.agents) or ("无" if zh else "none")
        fail(f"{agent} is not paid for {month} ({'本月计薪' if zh else 'paid'}: {paid})")
    render = payslip_html if fmt == "html" else payslip_text
    slip = render(result, who, lang, the_plan.label(lang), source)
    if output is not None:
        try:
            write_text(output, slip)
        except OutputError as e:
            fail(e.message(lang))
        _wrote(output, lang)
    else:  # html is escaped by payslip_html; text shows control characters, never obeys them
        typer.echo(slip if fmt == "html" else visible(slip, tabs=True), nl=False)


# -- kefu payroll ---------------------------------------------------------------------------------
payroll_app = typer.Typer(
    help="Payroll runs: stored, approved (locked), diffed, listed.", no_args_is_help=True
)


@payroll_app.command("run")
def payroll_run(
    month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
    plan: PlanOption = "seed",
    shop: ShopOption = None,
    wide: WideOption = False,
    lang: LangOption = "zh",
    db: DbOption = None,
) -> None:
    """Compute and store a payroll run (approve it with kefu payroll approve RUN)."""
    from kefu.pay.runs import prepare, store_run

    check_month(month)
    check_lang(lang)
    the_plan = _plan(plan)
    with open_db(db, must_exist=True) as store:
        shop_id = resolve_shop(store, shop)
        runs = PayrollRuns(store)
        done = runs.approved_for(shop_id, month)
        if done is not None:
            fail(
                f"{shop_id} {month} has approved run {done.run_id}, which never changes;"
                f" later differences go into the next month's run as clawback lines"
                f" (kefu payroll diff {done.run_id} shows them)"
            )
        try:
            prepared = prepare(
                the_plan, shop_id, month, kpi_source(store), runs.all(shop_id), today()
            )
        except PlanError as e:
            fail(str(e))
        record = store_run(runs, prepared, datetime.now())
    _warn(prepared.warnings, lang)
    _print_pay(prepared.pay, the_plan, lang, wide=wide)
    zh = lang == "zh"
    console.print(
        f"{'已保存核算' if zh else 'stored payroll run'} {record.run_id}"
        f" ({'方案' if zh else 'plan'} {the_plan.name} {the_plan.version}, sha256 {record.plan_sha256[:12]};"
        f" {'输入' if zh else 'inputs'} {record.inputs_sha256[:12]}). "
        + (
            f"审批: kefu payroll approve {record.run_id}"
            if zh
            else f"approve: kefu payroll approve {record.run_id}"
        ),
        highlight=False,
    )


@payroll_app.command("approve")
def payroll_approve(
    run: Annotated[int, typer.Argument(help="the run's number (kefu payroll list)")],
    lang: LangOption = "zh",
    db: DbOption = None,
) -> None:
    """Approve a run: it is locked and never changes again."""
    check_lang(lang)
    with open_db(db, must_exist=True) as store:
        try:
            record = PayrollRuns(store).approve(run, datetime.now())
        except StoreError as e:
            fail(str(e))
    console.print(
        f"{'已审批核算' if lang == 'zh' else 'approved run'} {record.run_id}: {record.shop_id}"
        f" {record.month} {money(record.total_fen)}",
        highlight=False,
    )


@payroll_app.command("diff")
def payroll_diff(
    run: Annotated[int, typer.Argument(help="the run's number")],
    lang: LangOption = "zh",
    db: DbOption = None,
) -> None:
    """What recomputing a run's month with today's data (same plan) would change."""
    from kefu.pay.runs import diff

    check_lang(lang)
    zh = lang == "zh"
    with open_db(db, must_exist=True) as store:
        runs = PayrollRuns(store)
        record = runs.get(run)
        if record is None:
            fail(f"no payroll run {run} (kefu payroll list)")
        try:
            now, changes = diff(record, kpi_source(store), runs.all(record.shop_id))
        except PlanError as e:
            fail(str(e))
    if not changes:
        console.print(
            f"{'无变化' if zh else 'no change'}: {record.month} {money(record.total_fen)}",
            highlight=False,
        )
        return
    grid = Grid(
        columns=[
            Col("agent", "客服" if zh else "agent", identity=True),
            Col("component", "项目" if zh else "component"),
            Col("stored", "已存" if zh else "stored", numeric=True),
            Col("now", "重算" if zh else "now", numeric=True),
            Col("change", "差额" if zh else "change", numeric=True),
        ],
        title=f"{'核算' if zh else 'run'} {run}: {record.shop_id} {record.month}",
        priority=["change", "component", "now", "stored"],
    )
    for c in changes:
        grid.add_row(
            [
                c.agent_id,
                component_label(c.component, lang),
                money(c.stored_fen),
                money(c.now_fen),
                _signed(c.delta_fen),
            ]
        )
    print_grid(console, grid, lang, wide=piped(console))
    console.print(
        f"{'合计' if zh else 'total'}: {money(record.total_fen)} → {money(now.total_fen)}"
        f" ({_signed(now.total_fen - record.total_fen)})",
        highlight=False,
    )
    if record.approved:
        console.print(
            "该核算已审批, 不会改变; 差额将作为追溯调整计入下一次核算"
            if zh
            else "this run is approved and will not change; the differences go into the next run as clawback lines"
        )


@payroll_app.command("list")
def payroll_list(shop: ShopOption = None, lang: LangOption = "zh", db: DbOption = None) -> None:
    """Every payroll run, with its plan, total and approval."""
    check_lang(lang)
    zh = lang == "zh"
    with open_db(db, must_exist=True) as store:
        runs = PayrollRuns(store).all(shop)
    if not runs:
        console.print(t("payroll.none", lang), highlight=False)
        return
    heads = {
        "run": ("核算", "run"),
        "shop": ("店铺", "shop"),
        "month": ("月份", "month"),
        "plan": ("方案", "plan"),
        "total": ("合计", "total"),
        "created": ("创建", "created"),
        "approved": ("审批", "approved"),
    }
    grid = Grid(
        columns=[
            Col(k, h[0] if zh else h[1], numeric=k in ("run", "total"), identity=k == "run")
            for k, h in heads.items()
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
plan_app = typer.Typer(help="Pay plans: check plan files, run payslip cases.", no_args_is_help=True)


@plan_app.command("test")
def plan_test(
    files: Annotated[list[Path], typer.Argument(help="payslip case files (.yaml)")],
) -> None:
    """Run payslip cases (plan, period, input metrics, expected lines); exit 1 if any fails."""
    from kefu.pay.cases import run_file

    failed = total = 0
    for f in files:
        for r in run_file(f):
            total += 1
            if r.ok:
                console.print(
                    f"[green]✓[/] {escape(visible(f'{f}: {r.case.name}'))}", highlight=False
                )
            else:
                failed += 1
                console.print(
                    f"[red]✗[/] {escape(visible(f'{f}: {r.case.name}'))}", highlight=False
                )
                for p in r.problems:
                    console.print(f"    {escape(visible(p))}", highlight=False)
    console.print(f"{total - failed} passed, {failed} failed", highlight=False)
    if failed:
        raise typer.Exit(1)


@plan_app.command("check")
def plan_check(
    plans: Annotated[list[str], typer.Argument(help="plan files or shipped names")],
) -> None:
    """Load plan files and report the first error of each (file, key, reason)."""
    bad = 0
    for ref in plans:
        try:
            p = load_plan(ref)
        except PlanError as e:
            bad += 1
            err_console.print(f"[red]✗[/] {escape(visible(str(e)))}", highlight=False)
            continue
        since = ", ".join(v.since.isoformat() for v in p.versions)
        console.print(
            f"[green]✓[/] {ref}: {p.name} {p.version} (versions from {since})", highlight=False
        )
    if bad:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the kefu app."""
    app.add_typer(pay_app, name="pay")
    app.command("payslip")(payslip)
    app.add_typer(payroll_app, name="payroll")
    app.add_typer(plan_app, name="plan")
