"""The workplace's pages and API routes, each declared with the action it performs.

Figures come from the same objects the CLI prints (`ShopMonth.to_json`, `ShopDiagnosis.
to_json`, `MonthPay.to_json`), read through the KPI cache; nothing is computed a second way.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import Markup

from kefu.diagnosis.settings import known_settings, setting_areas
from kefu.i18n import Refusal, t
from kefu.metrics.explain import credited_orders
from kefu.metrics.table import KpiSource, ShopMonth, shift_month
from kefu.store.payroll import PayrollRuns, RunRecord
from kefu.store.people import PeopleError
from kefu.store.questions import Questions
from kefu.web.access import Resource, allowed
from kefu.web.app import (
    MONTH,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    THROTTLE_ACCOUNT,
    THROTTLE_ADDRESS,
    THROTTLE_WINDOW,
    Ctx,
    Denied,
    Workplace,
    dumps,
    kpi_json_for,
    script_hashes,
)
from kefu.web.imports import JOB, ImportProgress, waiting

LOGIN_CSRF_COOKIE = "kefu_login_csrf"
PLANS = ("seed", "growth", "midyear")  # the plans shipped with kefu, offered on the pay page
PLAN_MAX = 256 * 1024  # bytes: a plan file is a few kilobytes of YAML
LEXICON_MAX = 256 * 1024  # bytes: a shop's lexicon is a few kilobytes of YAML
ORDERS_SHOWN = 500  # an agent page lists at most this many of a month's credited orders
Route = Callable[..., Callable[[Callable[..., Response]], Callable[..., Response]]]


def _shop(ctx: Ctx, p: dict[str, Any]) -> Resource:
    shop = p["shop"]
    if shop not in ctx.shops():
        raise Denied(404)
    if "month" in p and not MONTH.fullmatch(p["month"]):
        raise Denied(404)
    return Resource(shop_id=shop)


def _shop_to_fill(ctx: Ctx, p: dict[str, Any]) -> Resource:
    """A shop that may have no data yet: one the user is assigned to (or any, for an owner)."""
    shop = p["shop"]
    user = ctx.user
    if shop in ctx.shops() or (user is not None and (user.role == "owner" or shop in user.shops)):
        return Resource(shop_id=shop)
    raise Denied(404)


def _seat(ctx: Ctx, p: dict[str, Any]) -> Resource:
    """Whose figures: the seat or person named (an agent's account: one of its persons)."""
    r = _shop(ctx, p)
    return Resource(shop_id=r.shop_id, agent_id=p["agent"], month=p.get("month"))


def register(wp: Workplace, route: Route) -> None:
    def json_response(value: Any, status: int = 200) -> Response:
        return Response(dumps(value), status_code=status, media_type="application/json")

    def month_of(ctx: Ctx, shop: str, month: str) -> ShopMonth:
        return ctx.kpis.shop_months(shop, [month])[month]

    def person_months(ctx: Ctx, shop: str, months: list[str]) -> dict[str, ShopMonth]:
        """The shop's months per person (kefu.metrics.people), made once per inputs and kept."""
        from kefu.metrics.cache import inputs_key
        from kefu.metrics.people import PersonKpis

        key = ("persons", shop, tuple(months), inputs_key(ctx.store, shop))
        found: dict[str, ShopMonth] = wp.rendered(
            key, lambda: PersonKpis(ctx.store, ctx.kpis).shop_months(shop, months)
        )
        return found

    class PersonSource:
        """A KpiSource of one request's person months (for the diagnosis an agent reads)."""

        def __init__(self, ctx: Ctx) -> None:
            self.ctx = ctx

        def shop_months(self, shop_id: str, months: list[str]) -> dict[str, ShopMonth]:
            return person_months(self.ctx, shop_id, months)

    def person_orders(ctx: Ctx, shop: str, person: str, month: str) -> list[Any]:
        """The orders credited to a person for a month's inquiries: of each seat they held in
        it, all of the seat's when theirs was its only holding that month, else the days
        they held it (the seat split by day, as kefu.metrics.people splits it)."""
        from kefu.metrics.engine import SPLIT_MARK
        from kefu.metrics.people import held_days
        from kefu.store.seats import holdings

        every = holdings(ctx.store, [shop])
        seats = sorted({h.agent_id for h in every if h.person_id == person and held_days(h, month)})
        found: list[Any] = []
        for seat in seats:
            of_seat = [h for h in every if h.agent_id == seat]
            if sum(held_days(h, month) is not None for h in of_seat) == 1:
                found += credited_orders(ctx.store, shop, seat, month)
            else:
                found += credited_orders(
                    ctx.store, shop, f"{seat}{SPLIT_MARK}{person}", month, split=of_seat
                )
        return sorted(found, key=lambda o: (o.created_at, o.order_id))

    def runs_of(ctx: Ctx, shop: str, month: str) -> list[RunRecord]:
        return [r for r in PayrollRuns(ctx.store).all(shop) if r.month == month]

    # -- signing in and out -----------------------------------------------------------------
    @route("GET", "/login", "home", public=True)
    def login_form(ctx: Ctx) -> Response:
        token = secrets.token_urlsafe(24)
        resp = wp.page(ctx, "login.html", login_csrf=token, error=None)
        resp.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=wp.secure_cookies
        )
        return resp

    @route("POST", "/login", "home", public=True)
    def login(ctx: Ctx, form: dict[str, Any]) -> Response:
        now = datetime.now()
        name, password = form.get("name", ""), form.get("password", "")
        sent, kept = form.get("csrf", ""), ctx.request.cookies.get(LOGIN_CSRF_COOKIE, "")
        address = ctx.request.client.host if ctx.request.client else "-"
        if not sent or not kept or not secrets.compare_digest(sent, kept):
            ctx.people.audit(name or "-", "login", None, "csrf_refused")
            return wp.page(ctx, "message.html", 403, message=t("web.forbidden", ctx.lang))
        by_account, by_address = ctx.people.recent_failures(name, address, now - THROTTLE_WINDOW)
        if by_account >= THROTTLE_ACCOUNT or by_address >= THROTTLE_ADDRESS:
            ctx.people.audit(name, "login", None, "throttled", {"address": address})
            msg = t("web.throttled", ctx.lang, minutes=int(THROTTLE_WINDOW.total_seconds() // 60))
            return wp.page(ctx, "login.html", 429, login_csrf=kept, error=msg)
        user = ctx.people.check_password(name, password)
        ctx.people.record_attempt(name, address, user is not None, now)
        if user is None:
            ctx.people.audit(name, "login", None, "failed", {"address": address})
            return wp.page(
                ctx, "login.html", 401, login_csrf=kept, error=t("web.login_failed", ctx.lang)
            )
        token, _ = ctx.people.open_session(user, now, SESSION_LIFETIME)
        ctx.people.audit(user.name, "login", None, "ok", {"address": address})
        resp = RedirectResponse("/", 303)
        resp.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=wp.secure_cookies,
        )
        resp.delete_cookie(LOGIN_CSRF_COOKIE)
        return resp

    @route("POST", "/logout", "home")
    def logout(ctx: Ctx, form: dict[str, Any]) -> Response:
        token = ctx.request.cookies.get(SESSION_COOKIE)
        if token:
            ctx.people.close_session(token, datetime.now())
        assert ctx.user is not None
        ctx.people.audit(ctx.user.name, "logout", None, "ok")
        resp = RedirectResponse("/login", 303)
        resp.delete_cookie(SESSION_COOKIE)
        return resp

    # -- start page -------------------------------------------------------------------------
    @route("GET", "/", "home")
    def home(ctx: Ctx) -> Response:
        user = ctx.user
        assert user is not None
        known = set(ctx.shops()) | set(user.shops) | user.shops_held()
        shops = sorted(s for s in known if allowed(user, "shop.team", Resource(shop_id=s)))
        latest = {}
        for s in shops:
            end = ctx.store.data_end(s)
            latest[s] = f"{end:%Y-%m}" if end else None
        return wp.page(
            ctx,
            "home.html",
            shops=shops,
            latest=latest,
            mine=_my_persons(user),
            manages={s: allowed(user, "shop.agents", Resource(shop_id=s)) for s in shops},
            questions=_visible_questions(ctx.questions, user),
        )

    # -- a shop's month ---------------------------------------------------------------------
    def seen_by(ctx: Ctx, shop: str, month: str) -> tuple[str, ...] | None:
        """The persons whose rows an agent sees in a shop's month (None: every row, a manager)."""
        assert ctx.user is not None
        user = ctx.user
        return None if user.role != "agent" else tuple(sorted(user.holders_in(shop, month)))

    def kpi_body(ctx: Ctx, shop: str, month: str) -> dict[str, Any]:
        """`kefu kpi --format json`'s object as the user may see it, made once per inputs."""
        assert ctx.user is not None
        user = ctx.user
        sm = month_of(ctx, shop, month)
        mine = seen_by(ctx, shop, month)

        def make() -> dict[str, Any]:
            if mine is None:
                return kpi_json_for(user, sm)
            return kpi_json_for(user, sm, person_months(ctx, shop, [month])[month])

        key = ("kpi", shop, month, ctx.kpis.keys[shop], mine)
        body: dict[str, Any] = wp.rendered(key, make)
        return body

    @route("GET", "/shops/{shop}/months/{month}", "shop.team", _shop)
    def shop_month(ctx: Ctx, shop: str, month: str) -> Response:
        assert ctx.user is not None
        body = kpi_body(ctx, shop, month)
        key = ("kpi.html", shop, month, ctx.kpis.keys[shop], seen_by(ctx, shop, month), ctx.lang)
        table = wp.rendered(
            key, lambda: Markup(wp.render(ctx, "kpi_table.html", shop=shop, kpi=body))
        )
        manages = allowed(ctx.user, "shop.agents", Resource(shop_id=shop))
        return wp.page(
            ctx,
            "shop_month.html",
            shop=shop,
            month=month,
            kpi=body,
            table=table,
            manages=manages,
            prev=shift_month(month, -1),
            next=shift_month(month, 1),
        )

    @route("GET", "/shops/{shop}/months/{month}/report", "shop.agents", _shop)
    def shop_report(ctx: Ctx, shop: str, month: str) -> Response:
        from kefu.diagnosis import diagnose, from_shop_settings
        from kefu.report.html import render_html

        d = diagnose(ctx.kpis, shop, month, from_shop_settings(ctx.store.settings(shop)))
        html = render_html(d, ctx.lang)
        csp = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            f"script-src {script_hashes(html)}; frame-ancestors 'none'; base-uri 'none'"
        )
        return HTMLResponse(html, headers={"Content-Security-Policy": csp})

    @route("GET", "/shops/{shop}/agents/{agent}", "agent.view", _seat)
    def agent_page(ctx: Ctx, shop: str, agent: str) -> Response:
        """A seat's months (owners, managers), or a person's (an agent's own account always;
        a manager for an id that is a person, not a seat): a person's months count each seat
        only on the days they held it."""
        from kefu.metrics.cache import inputs_key

        assert ctx.user is not None
        user = ctx.user
        end = ctx.store.data_end(shop)
        last = f"{end:%Y-%m}" if end else None
        rows = []
        by_person = user.role == "agent"
        months = [shift_month(last, -k) for k in range(11, -1, -1)] if last else []
        if not by_person:
            for m, sm in ctx.kpis.shop_months(shop, months).items():
                a = sm.agent(agent)
                if a is not None:
                    rows.append((m, a.to_json()))
            by_person = not rows
        if by_person and months:
            for m, sm in person_months(ctx, shop, months).items():
                a = sm.agent(agent)
                if a is not None and (user.role != "agent" or agent in user.holders_in(shop, m)):
                    rows.append((m, a.to_json()))
        if not rows:
            raise Denied(404)
        runs = [r for r in PayrollRuns(ctx.store).approved(shop)]
        paid = sorted(
            {
                r.month
                for r in runs
                if _has_agent(r, agent)
                and (user.role != "agent" or agent in user.holders_in(shop, r.month))
            },
            reverse=True,
        )
        judged = None
        if last:
            source = PersonSource(ctx) if by_person else ctx.kpis
            judged = _judgement(ctx, source, shop, agent, shift_month(last, -1))
        months = [m for m, _ in rows]
        month = ctx.request.query_params.get("month") or months[-1]
        if month not in months:
            raise Denied(404)
        orders = wp.rendered(
            ("orders", shop, agent, month, by_person, inputs_key(ctx.store, shop)),
            lambda: (
                person_orders(ctx, shop, agent, month)
                if by_person
                else credited_orders(ctx.store, shop, agent, month)
            ),
        )
        return wp.page(
            ctx,
            "agent.html",
            shop=shop,
            agent=agent,
            name=rows[-1][1]["name"],
            rows=rows,
            orders_month=month,
            orders=orders[:ORDERS_SHOWN],
            orders_total=len(orders),
            payslips=paid,
            questions=ctx.questions.for_seat(shop, agent),
            judged=judged,
        )

    @route("GET", "/shops/{shop}/agents/{agent}/payslips/{month}", "payslip.view", _seat)
    def payslip_page(ctx: Ctx, shop: str, agent: str, month: str) -> Response:
        record = PayrollRuns(ctx.store).approved_for(shop, month)
        if record is None or not _has_agent(record, agent):
            raise Denied(404)
        from kefu.report.payslip import from_run, payslip_text

        runs = PayrollRuns(ctx.store)
        pay, plan_label, state, source, stored = from_run(
            record, runs.lines(record.run_id), agent, ctx.lang
        )
        who = pay.agent(agent)
        if who is None:
            raise Denied(404)
        text = payslip_text(pay, who, ctx.lang, plan_label, state, source, stored)
        return wp.page(
            ctx,
            "payslip.html",
            shop=shop,
            agent=agent,
            month=month,
            text=text,
            total=who.total_fen,
            questions=ctx.questions.for_seat(shop, agent, month)
            + ctx.questions.for_seat(shop, agent, shift_month(month, -1)),
        )

    # -- importing --------------------------------------------------------------------------
    def import_page(ctx: Ctx, shop: str, reports: list[Any] | None, status: int = 200) -> Response:
        history = [e for e in ctx.store.imports() if e.get("shop_id") in (shop, None)][-50:][::-1]
        ids = {e["import_id"] for e in history}
        quarantine = [q for q in ctx.store.quarantined(lang=ctx.lang) if q["import_id"] in ids]
        quarantine = quarantine[:200]
        return wp.page(
            ctx,
            "import.html",
            status,
            shop=shop,
            reports=reports,
            errors=[r.error_text(ctx.lang) for r in reports or []],
            history=history,
            quarantine=quarantine,
        )

    @route("GET", "/shops/{shop}/import", "import", _shop_to_fill)
    def import_form(ctx: Ctx, shop: str) -> Response:
        return import_page(ctx, shop, None)

    @route("POST", "/shops/{shop}/import", "import", _shop_to_fill, upload=True)
    def import_upload(ctx: Ctx, form: dict[str, Any], shop: str) -> Response:
        from kefu.store.ingest import import_files

        assert ctx.user is not None
        files: list[Path] = form.get("_files", [])
        if not files:
            return wp.page(ctx, "message.html", 400, message=t("web.no_files", ctx.lang))
        job = form.get("job") or ""
        progress = (
            wp.imports.start((ctx.user.user_id, shop, job), files)
            if JOB.fullmatch(job)
            else ImportProgress.of(files)  # a plain form post: nobody polls it
        )
        if ctx.user.role != "owner":
            foreign = _foreign_shops(files, shop, ctx.user.shops)
            if foreign:
                ctx.people.audit(ctx.user.name, "import", shop, "refused", {"shops": foreign})
                msg = t("web.import_other_shop", ctx.lang, shops=", ".join(foreign))
                progress.finish(msg)
                return wp.page(ctx, "message.html", 403, message=msg)
        try:
            reports = import_files(
                ctx.store, files, shop=shop, progress=progress.advance, rows=progress.read
            )
        except BaseException as e:
            progress.finish(type(e).__name__)
            raise
        progress.finish()
        ctx.people.audit(
            ctx.user.name,
            "import",
            shop,
            "ok",
            {"files": [r.file for r in reports], "errors": [r.error for r in reports if r.error]},
        )
        return import_page(ctx, shop, reports)

    @route("GET", "/shops/{shop}/import/progress/{job}", "import", _shop_to_fill)
    def import_progress(ctx: Ctx, shop: str, job: str) -> Response:
        """The progress of the user's own import `job` into the shop (polled by its page)."""
        assert ctx.user is not None
        if not JOB.fullmatch(job):
            raise Denied(404)
        found = wp.imports.get((ctx.user.user_id, shop, job))
        body = found.to_json(ctx.lang) if found is not None else waiting(ctx.lang)
        return JSONResponse(body)

    @route("GET", "/shops/{shop}/import/quarantine.csv", "import", _shop)
    def quarantine_csv(ctx: Ctx, shop: str) -> Response:
        import csv
        import io

        from kefu.inert import csv_cell

        ids = {e["import_id"] for e in ctx.store.imports() if e.get("shop_id") in (shop, None)}
        out = io.StringIO()
        writer = csv.writer(out)
        heads = ("web.file", "web.row", "web.column", "web.value", "web.reason")
        writer.writerow([t(h, ctx.lang) for h in heads])
        for q in ctx.store.quarantined(lang=ctx.lang):
            if q["import_id"] in ids:
                cells = (q["file"], q["row_no"], q["column_name"], q["value"], q["reason"])
                writer.writerow([csv_cell(c) for c in cells])
        return Response(
            "\ufeff" + out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="quarantine.csv"'},
        )

    # -- settings ---------------------------------------------------------------------------
    def settings_page(ctx: Ctx, shop: str, error: str | None, status: int = 200) -> Response:
        current = ctx.store.settings(shop)
        rows = []
        for prefix, module in setting_areas():
            for st in module.REGISTRY:
                key = prefix + st.name
                default = ",".join(st.default) if isinstance(st.default, tuple) else st.default
                rows.append(
                    {
                        "key": key,
                        "value": current.get(key),
                        "default": str(default),
                        "help": st.help(ctx.lang),
                    }
                )
        return wp.page(ctx, "settings.html", status, shop=shop, rows=rows, error=error)

    @route("GET", "/shops/{shop}/settings", "settings.edit", _shop)
    def settings_form(ctx: Ctx, shop: str) -> Response:
        return settings_page(ctx, shop, None)

    @route("POST", "/shops/{shop}/settings", "settings.edit", _shop)
    def settings_change(ctx: Ctx, form: dict[str, Any], shop: str) -> Response:
        assert ctx.user is not None
        name = form.get("name", "")
        value = (form.get("value") or "").strip()
        known = known_settings()
        if name not in known:
            return settings_page(ctx, shop, t("web.setting_unknown", ctx.lang), 400)
        before = ctx.store.settings(shop).get(name)
        if form.get("unset") or value == "":
            ctx.store.set_setting(shop, name, None)
            after = None
        else:
            prefix, module = known[name]
            try:
                module.parse_value(name.removeprefix(prefix), value)
            except ValueError as e:
                said = e.text(ctx.lang) if isinstance(e, Refusal) else str(e)
                return settings_page(ctx, shop, f"{name}: {said}", 400)
            ctx.store.set_setting(shop, name, value)
            after = value
        ctx.people.audit(
            ctx.user.name,
            "settings.edit",
            f"{shop} {name}",
            "ok",
            {"before": before, "after": after},
        )
        return RedirectResponse(f"/shops/{shop}/settings", 303)

    # -- pay --------------------------------------------------------------------------------
    @route("GET", "/shops/{shop}/pay/{month}", "pay.view", _shop)
    def pay_page(ctx: Ctx, shop: str, month: str) -> Response:
        return pay_view(ctx, shop, month)

    @route("POST", "/shops/{shop}/pay/{month}/whatif", "pay.view", _shop, upload=True)
    def pay_whatif(ctx: Ctx, form: dict[str, Any], shop: str, month: str) -> Response:
        """The what-if with a plan file of the user's own beside the shipped plans (a trial)."""
        try:
            plan = _uploaded_plan(form)
        except Refusal as r:
            return pay_view(ctx, shop, month, error=r.text(ctx.lang), status=400)
        if plan is None:
            return pay_view(ctx, shop, month, error=t("web.plan_no_file", ctx.lang), status=400)
        return pay_view(ctx, shop, month, extra=plan)

    def pay_view(
        ctx: Ctx,
        shop: str,
        month: str,
        *,
        extra: Any = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        from kefu.pay.compare import compare
        from kefu.pay.plan import PlanError, load_plan
        from kefu.pay.runs import diff

        runs = runs_of(ctx, shop, month)
        signoff = {r.run_id: ctx.people.signoff(r.run_id) for r in runs}
        approved = next((r for r in runs if r.approved), None)
        changes = None
        if approved is not None:
            _, changes = diff(approved, pay_kpis(ctx), PayrollRuns(ctx.store).all(shop))
        plans = [load_plan(p) for p in PLANS]
        try:
            whatif = compare(([extra] if extra else []) + plans, shop, month, month, pay_kpis(ctx))
        except PlanError as e:
            if extra is None:
                raise
            whatif, error, status = None, t("web.plan_refused", ctx.lang, error=str(e)), 400
        return wp.page(
            ctx,
            "pay.html",
            status,
            error=error,
            uploaded=extra,
            shop=shop,
            month=month,
            runs=runs,
            signoff=signoff,
            approved=approved,
            changes=changes,
            whatif=whatif,
            plans=PLANS,
        )

    @route("GET", "/shops/{shop}/pay/{month}/pay.xlsx", "pay.view", _shop)
    def pay_xlsx(ctx: Ctx, shop: str, month: str) -> Response:
        import io

        from kefu.pay.compute import MonthPay
        from kefu.report.pay_xlsx import workbook

        record = PayrollRuns(ctx.store).approved_for(shop, month)
        if record is None:
            raise Denied(404)
        buffer = io.BytesIO()
        workbook(MonthPay.from_record(record.results), ctx.lang).save(buffer)
        return Response(
            buffer.getvalue(),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="pay-{month}.xlsx"'},
        )

    @route("POST", "/shops/{shop}/pay/{month}/draft", "pay.draft", _shop, upload=True)
    def pay_draft(ctx: Ctx, form: dict[str, Any], shop: str, month: str) -> Response:
        from kefu.pay.plan import PlanError, load_plan
        from kefu.pay.runs import prepare, store_run
        from kefu.report.payslip import explain_both

        assert ctx.user is not None
        runs = PayrollRuns(ctx.store)
        if runs.approved_for(shop, month) is not None:
            return wp.page(ctx, "message.html", 409, message=t("web.run_exists", ctx.lang))
        try:
            uploaded = _uploaded_plan(form)
        except Refusal as r:
            return pay_view(ctx, shop, month, error=r.text(ctx.lang), status=400)
        plan_name = form.get("plan") or "seed"
        if uploaded is None and plan_name not in PLANS:
            return wp.page(ctx, "message.html", 400, message=t("web.plan_unknown", ctx.lang))
        try:
            plan = uploaded or load_plan(plan_name)
            prepared = prepare(
                plan, shop, month, pay_kpis(ctx), runs.all(shop), datetime.now().date()
            )
        except PlanError as e:
            error = e.text(ctx.lang)
            return pay_view(ctx, shop, month, error=error, status=400)
        if uploaded is not None:
            plan_name = f"{plan.name} ({plan.source}, sha256 {plan.sha256[:12]})"
        record = store_run(runs, prepared, datetime.now(), explain_both)
        ctx.people.record_draft(record.run_id, ctx.user.name)
        ctx.people.audit(
            ctx.user.name,
            "pay.draft",
            f"run {record.run_id}",
            "ok",
            {"shop": shop, "month": month, "plan": plan_name},
        )
        return RedirectResponse(f"/shops/{shop}/pay/{month}", 303)

    def _run(ctx: Ctx, p: dict[str, Any]) -> Resource:
        r = _shop(ctx, p)
        if not p["run"].isdigit():
            raise Denied(404)
        record = PayrollRuns(ctx.store).get(int(p["run"]))
        if record is None or record.shop_id != r.shop_id:
            raise Denied(404)
        allow_self = ctx.store.settings(r.shop_id).get("pay.self_approval") == "true"
        return Resource(
            shop_id=r.shop_id,
            drafted_by=ctx.people.signoff(record.run_id).get("drafted_by"),
            self_approval=allow_self,
        )

    @route("POST", "/shops/{shop}/runs/{run}/approve", "pay.approve", _run)
    def pay_approve(ctx: Ctx, form: dict[str, Any], shop: str, run: str) -> Response:
        assert ctx.user is not None
        record = PayrollRuns(ctx.store).approve(int(run), datetime.now())
        ctx.people.record_approval(record.run_id, ctx.user.name)
        ctx.people.audit(ctx.user.name, "pay.approve", f"run {run}", "ok", {"shop": shop})
        return RedirectResponse(f"/shops/{shop}/pay/{record.month}", 303)

    # -- questions (申诉) --------------------------------------------------------------------
    @route("POST", "/shops/{shop}/agents/{agent}/questions", "question.raise", _seat)
    def ask(ctx: Ctx, form: dict[str, Any], shop: str, agent: str) -> Response:
        assert ctx.user is not None
        text = (form.get("text") or "").strip()
        about = (form.get("about") or "").strip()[:200]
        month = form.get("month") or None
        if not text or len(text) > 4000 or (month and not MONTH.fullmatch(month)):
            return wp.page(ctx, "message.html", 400, message=t("web.question_invalid", ctx.lang))
        qid = ctx.questions.ask(shop, agent, month, about, ctx.user.name, text)
        ctx.people.audit(ctx.user.name, "question.raise", f"question {qid}", "ok")
        return RedirectResponse(f"/questions/{qid}", 303)

    def _question(ctx: Ctx, p: dict[str, Any]) -> Resource:
        q = ctx.questions.get(p["qid"]) if p["qid"].isdigit() else None
        if q is None:
            raise Denied(404)
        return Resource(shop_id=q["shop_id"], agent_id=q["agent_id"])

    @route("GET", "/questions/{qid}", "question.view", _question)
    def question_page(ctx: Ctx, qid: str) -> Response:
        assert ctx.user is not None
        q = ctx.questions.get(qid)
        assert q is not None
        can_answer = allowed(ctx.user, "question.answer", Resource(shop_id=q["shop_id"]))
        return wp.page(ctx, "question.html", q=q, can_answer=can_answer)

    @route("POST", "/questions/{qid}/answer", "question.answer", _question)
    def answer(ctx: Ctx, form: dict[str, Any], qid: str) -> Response:
        assert ctx.user is not None
        text = (form.get("text") or "").strip()
        outcome = form.get("outcome") or "answered"
        if not text or len(text) > 4000 or outcome not in ("answered", "corrected", "declined"):
            return wp.page(ctx, "message.html", 400, message=t("web.question_invalid", ctx.lang))
        ctx.questions.answer(qid, ctx.user.name, text, outcome)
        ctx.people.audit(ctx.user.name, "question.answer", f"question {qid}", outcome)
        return RedirectResponse(f"/questions/{qid}", 303)

    # -- users ------------------------------------------------------------------------------
    @route("GET", "/users", "users.manage")
    def users_page(ctx: Ctx) -> Response:
        return wp.page(
            ctx,
            "users.html",
            users=ctx.people.all(),
            error=None,
            audit=ctx.people.audit_entries(50),
        )

    def form_seats(form: dict[str, Any]) -> list[tuple[str, str]]:
        seats = []
        for item in (form.get("seats") or "").split(","):
            if ":" in item.strip():
                shop, agent = item.strip().split(":", 1)
                seats.append((shop, agent))
        return seats

    def form_persons(form: dict[str, Any]) -> list[str]:
        return [p.strip() for p in (form.get("persons") or "").split(",") if p.strip()]

    @route("POST", "/users", "users.manage")
    def users_add(ctx: Ctx, form: dict[str, Any]) -> Response:
        assert ctx.user is not None
        seats = form_seats(form)
        shops = [s.strip() for s in (form.get("shops") or "").split(",") if s.strip()]
        try:
            user = ctx.people.add(
                form.get("name", ""),
                form.get("role", ""),
                form.get("password", ""),
                shops=shops,
                seats=seats,
                persons=form_persons(form),
            )
        except PeopleError as e:
            return wp.page(
                ctx,
                "users.html",
                400,
                users=ctx.people.all(),
                error=e.text(ctx.lang),
                audit=ctx.people.audit_entries(50),
            )
        ctx.people.audit(
            ctx.user.name,
            "users.add",
            user.name,
            "ok",
            {"role": user.role, "shops": sorted(user.shops), "persons": sorted(user.linked)},
        )
        return RedirectResponse("/users", 303)

    def users_refusal(ctx: Ctx, key: str, status: int = 400) -> Response:
        return wp.page(
            ctx,
            "users.html",
            status,
            users=ctx.people.all(),
            error=t(key, ctx.lang),
            audit=ctx.people.audit_entries(50),
        )

    def target_user(ctx: Ctx, uid: str) -> Any:
        user = ctx.people.get(int(uid)) if uid.isdigit() and len(uid) < 10 else None
        if user is None:
            raise Denied(404)
        return user

    @route("POST", "/users/{uid}/disable", "users.manage")
    def users_disable(ctx: Ctx, form: dict[str, Any], uid: str) -> Response:
        assert ctx.user is not None
        user = target_user(ctx, uid)
        if user.user_id == ctx.user.user_id:
            return users_refusal(ctx, "web.user.disable_self")
        try:
            ctx.people.set_disabled(user.name)
        except PeopleError as e:
            return users_refusal(ctx, e.area + e.key)
        ctx.people.audit(ctx.user.name, "users.disable", user.name, "ok", {"via": "web"})
        return RedirectResponse("/users", 303)

    @route("POST", "/users/{uid}/link", "users.manage")
    def users_link(ctx: Ctx, form: dict[str, Any], uid: str) -> Response:
        """An agent account's links: the persons (工号) it is, and the seats it names."""
        assert ctx.user is not None
        user = target_user(ctx, uid)
        before = {
            "persons": sorted(user.linked),
            "seats": sorted(f"{s}:{a}" for s, a in user.seats),
        }
        try:
            after = ctx.people.set_links(user.name, form_persons(form), form_seats(form))
        except PeopleError as e:
            return users_refusal(ctx, e.area + e.key)
        ctx.people.audit(
            ctx.user.name,
            "users.link",
            user.name,
            "ok",
            {
                "via": "web",
                "before": before,
                "after": {
                    "persons": sorted(after.linked),
                    "seats": sorted(f"{s}:{a}" for s, a in after.seats),
                },
            },
        )
        return RedirectResponse("/users", 303)

    @route("POST", "/users/{uid}/password", "users.manage")
    def users_password(ctx: Ctx, form: dict[str, Any], uid: str) -> Response:
        assert ctx.user is not None
        user = target_user(ctx, uid)
        try:
            ctx.people.set_password(user.name, form.get("password", ""))
        except PeopleError as e:
            return users_refusal(ctx, e.area + e.key)
        ctx.people.audit(ctx.user.name, "users.set_password", user.name, "ok", {"via": "web"})
        return RedirectResponse("/users", 303)

    # -- the voice of the buyer (issue #12) ------------------------------------------------
    def voice_of(
        ctx: Ctx, shop: str, month: str, agent: str | None = None, product: str | None = None
    ) -> Any:
        """`kefu voice`'s month (with the shop's lexicon), made once per inputs and kept."""
        from kefu.metrics.cache import inputs_key
        from kefu.store.lexicons import shop_lexicon
        from kefu.voice.lexicon import load_lexicon
        from kefu.voice.month import VoiceOfBuyer
        from kefu.voice.topics import Classifier

        kept = shop_lexicon(ctx.store, shop)

        def make() -> Any:
            lex = load_lexicon(text=kept.text, name=f"{shop} lexicon") if kept else None
            voice = VoiceOfBuyer(ctx.store, Classifier(lex), write_lock=wp.lock)
            return voice.month(shop, month, agent=agent, product=product)

        key = (
            "voice",
            shop,
            month,
            agent,
            product,
            inputs_key(ctx.store, shop),
            kept.sha256 if kept else None,
        )
        return wp.rendered(key, make)

    def voice_filters(ctx: Ctx) -> tuple[str | None, str | None]:
        """?agent=…&product=… of the voice page and API; empty means not given."""
        q = ctx.request.query_params
        return (q.get("agent") or None, q.get("product") or None)

    @route("GET", "/shops/{shop}/voice/{month}", "voice.view", _shop)
    def voice_page(ctx: Ctx, shop: str, month: str) -> Response:
        return voice_view(ctx, shop, month)

    def voice_view(
        ctx: Ctx, shop: str, month: str, error: str | None = None, status: int = 200
    ) -> Response:
        from kefu.store.lexicons import shop_lexicon
        from kefu.voice.digest import basis_line, product_name, topic_name
        from kefu.voice.month import LAST_MESSAGES, MIN_LOST, PREVIOUS_MONTHS, VoiceError

        whole = voice_of(ctx, shop, month)
        agent, product = voice_filters(ctx)
        v = whole
        if agent or product:
            try:
                v = voice_of(ctx, shop, month, agent, product)
            except VoiceError as e:
                error, status = e.text(ctx.lang), 400
        assert ctx.user is not None
        return wp.page(
            ctx,
            "voice.html",
            status,
            error=error,
            lexicon=shop_lexicon(ctx.store, shop),
            can_edit=allowed(ctx.user, "settings.edit", Resource(shop_id=shop)),
            shop=shop,
            month=month,
            v=v,
            agents=list(whole.topics_by_agent),
            products=[
                (p.product, product_name(p.product, p.title, ctx.lang)) for p in whole.products
            ],
            chosen_agent=v.agent or "",
            chosen_product=(v.product or "-") if v.product is not None else "",
            topic=lambda code: topic_name(code, ctx.lang),
            product_name=lambda p: product_name(
                p.product, getattr(p, "title", None) or getattr(p, "product_title", None), ctx.lang
            ),
            basis=basis_line(v, ctx.lang),
            last=LAST_MESSAGES,
            min_lost=MIN_LOST,
            previous=PREVIOUS_MONTHS,
            prev=shift_month(month, -1),
            next=shift_month(month, 1),
        )

    @route("POST", "/shops/{shop}/voice/{month}/lexicon", "settings.edit", _shop, upload=True)
    def voice_lexicon(ctx: Ctx, form: dict[str, Any], shop: str, month: str) -> Response:
        """The shop's own lexicon: uploaded (checked by `kefu voice`'s loader) or removed."""
        from kefu.store.lexicons import set_shop_lexicon
        from kefu.voice.lexicon import LexiconError, load_lexicon

        assert ctx.user is not None
        files = [f for f in form.get("_files", []) if f.stat().st_size > 0]
        if form.get("remove"):
            set_shop_lexicon(ctx.store, shop, None, ctx.user.name)
            return RedirectResponse(f"/shops/{shop}/voice/{month}", 303)
        if len(files) != 1 or files[0].stat().st_size > LEXICON_MAX:
            key = "web.lexicon_one_file" if len(files) != 1 else "web.lexicon_too_large"
            error = t(key, ctx.lang, kb=LEXICON_MAX // 1024)
            return voice_view(ctx, shop, month, error, 400)
        try:
            text = files[0].read_bytes().decode("utf-8-sig")
            load_lexicon(text=text, name=files[0].name)
        except UnicodeDecodeError:
            error = t("web.lexicon_refused", ctx.lang, error=f"{files[0].name}: not UTF-8")
            return voice_view(ctx, shop, month, error, 400)
        except LexiconError as e:
            return voice_view(ctx, shop, month, t("web.lexicon_refused", ctx.lang, error=e), 400)
        set_shop_lexicon(ctx.store, shop, text, ctx.user.name)
        return RedirectResponse(f"/shops/{shop}/voice/{month}", 303)

    @route("GET", "/shops/{shop}/voice/{month}/lexicon.yaml", "voice.view", _shop)
    def voice_lexicon_file(ctx: Ctx, shop: str, month: str) -> Response:
        from kefu.store.lexicons import shop_lexicon

        kept = shop_lexicon(ctx.store, shop)
        if kept is None:
            raise Denied(404)
        return Response(
            kept.text,
            media_type="text/plain; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="lexicon.yaml"'},
        )

    @route("GET", "/api/v1/shops/{shop}/voice/{month}", "voice.view", _shop, api=True)
    def api_voice(ctx: Ctx, shop: str, month: str) -> Response:
        from kefu.voice.month import VoiceError

        agent, product = voice_filters(ctx)
        try:
            return json_response(voice_of(ctx, shop, month, agent, product).to_json())
        except VoiceError as e:
            return json_response({"error": e.text(ctx.lang)}, 400)

    # -- order credit -----------------------------------------------------------------------
    def _order(ctx: Ctx, p: dict[str, Any]) -> Resource:
        from kefu.metrics.explain import OrderNotFound, explain_order

        r = _shop(ctx, p)
        shop = p["shop"]
        try:
            ex = explain_order(ctx.store, shop, p["order"])
        except OrderNotFound:
            raise Denied(404) from None
        agent = ex.facts.get("agent_id") if isinstance(ex.facts, dict) else None
        if ctx.user is not None and ctx.user.role == "agent":
            if agent is None:
                raise Denied(404)  # a silent order is nobody's to read but the managers'
            # whose credit it is: the person holding the seat on the day of the contact
            from kefu.metrics.people import credit_owner
            from kefu.store.seats import holdings

            month, contact = ex.facts["inquiry_month"], ex.facts["contact_at"]
            owner = credit_owner(holdings(ctx.store, [shop]), shop, agent, month, contact.date())
            if owner is None:
                raise Denied(404)
            return Resource(shop_id=r.shop_id, agent_id=owner, month=month)
        return Resource(shop_id=r.shop_id, agent_id=agent)

    @route("GET", "/shops/{shop}/orders/{order}", "order.explain", _order)
    def order_page(ctx: Ctx, shop: str, order: str) -> Response:
        from kefu.metrics.explain import explain_order

        ex = explain_order(ctx.store, shop, order)
        return wp.page(ctx, "order.html", shop=shop, order=order, text=ex.text(ctx.lang))

    # -- the JSON API: the CLI's objects, the pages' permissions -----------------------------
    @route("GET", "/api/v1/shops/{shop}/kpi/{month}", "shop.team", _shop, api=True)
    def api_kpi(ctx: Ctx, shop: str, month: str) -> Response:
        body = kpi_body(ctx, shop, month)
        key = ("kpi.json", shop, month, ctx.kpis.keys[shop], seen_by(ctx, shop, month))
        return Response(
            wp.rendered(key, lambda: dumps(body).encode()), media_type="application/json"
        )

    @route("GET", "/api/v1/shops/{shop}/diagnosis/{month}", "shop.agents", _shop, api=True)
    def api_diagnosis(ctx: Ctx, shop: str, month: str) -> Response:
        from kefu.diagnosis import diagnose, from_shop_settings

        d = diagnose(ctx.kpis, shop, month, from_shop_settings(ctx.store.settings(shop)))
        return json_response(d.to_json(ctx.lang))

    @route("GET", "/api/v1/shops/{shop}/pay/{month}", "pay.view", _shop, api=True)
    def api_pay(ctx: Ctx, shop: str, month: str) -> Response:
        record = PayrollRuns(ctx.store).approved_for(shop, month)
        if record is None:
            return JSONResponse({"error": t("web.no_approved_run", ctx.lang)}, 404)
        from kefu.pay.compute import MonthPay
        from kefu.report.payslip import pay_json

        return json_response(pay_json(MonthPay.from_record(record.results), ctx.lang))

    @route(
        "GET",
        "/api/v1/shops/{shop}/agents/{agent}/payslips/{month}",
        "payslip.view",
        _seat,
        api=True,
    )
    def api_payslip(ctx: Ctx, shop: str, agent: str, month: str) -> Response:
        record = PayrollRuns(ctx.store).approved_for(shop, month)
        if record is None or not _has_agent(record, agent):
            raise Denied(404)
        from kefu.pay.compute import MonthPay
        from kefu.report.payslip import pay_json

        body = pay_json(MonthPay.from_record(record.results), ctx.lang)
        who = next((a for a in body["agents"] if a["agent_id"] == agent), None)
        if who is None:
            raise Denied(404)
        return json_response(who)


def _has_agent(record: RunRecord, agent: str) -> bool:
    return any(a.get("agent_id") == agent for a in record.results.get("agents", []))


def _visible_questions(questions: Questions, user: Any) -> list[dict[str, Any]]:
    """The questions a user may read: an agent's own seats', a manager's shops', all for an owner."""
    if user.role == "owner":
        return questions.where("true", [])
    if user.role == "manager":
        return questions.for_shops(sorted(user.shops))
    return [
        q
        for shop in sorted(user.shops_held())
        for person in sorted(user.holders_in(shop))
        for q in questions.for_seat(shop, person)
    ]


def _my_persons(user: Any) -> list[dict[str, Any]]:
    """An agent's account on the start page: each person it is, per shop, with the seats held
    and their days (open ends shown empty)."""
    out: dict[tuple[str, str], list[Any]] = {}
    for h in user.held:
        out.setdefault((h.shop_id, h.person_id), []).append(h)
    return [
        {"shop": shop, "person": person, "seats": sorted(hs, key=lambda h: h.start or date.min)}
        for (shop, person), hs in sorted(out.items())
    ]


def _foreign_shops(files: list[Path], shop: str, mine: frozenset[str]) -> list[str]:
    """Shops other than the user's that the files would write to (read before importing)."""
    from kefu.io.reader import read_file
    from kefu.io.records import ImportFileError

    found: set[str] = set()
    for path in files:
        try:
            pf = read_file(path, shop=shop)
        except ImportFileError:
            continue  # the import itself will report it, and it writes nothing
        if "shop_id" in pf.table.column_names:
            found |= {s for s in pf.table.column("shop_id").to_pylist() if s}
    return sorted(found - set(mine))


def _judgement(
    ctx: Ctx, source: KpiSource, shop: str, agent: str, month: str
) -> dict[str, Any] | None:
    """The diagnosis of one agent's month, as `kefu diagnose --format json` words it."""
    from kefu.diagnosis import diagnose, from_shop_settings

    d = diagnose(source, shop, month, from_shop_settings(ctx.store.settings(shop))).to_json(
        ctx.lang
    )
    verdict = next((v for v in d["verdicts"] if v["agent_id"] == agent), None)
    if verdict is None:
        return None
    mine = [
        x for key in ("causes", "flags", "stability") for x in d[key] if x.get("agent_id") == agent
    ]
    return {"month": month, "verdict": verdict, "texts": [x["text"] for x in mine if x.get("text")]}


def _uploaded_plan(form: dict[str, Any]) -> Any:
    """The plan file uploaded with the form, read and checked by the CLI's plan loader.

    None when no file came (an empty file input sends an empty part). The plan's source is the
    file's own name, as `kefu pay compare --plan FILE` would name it; its text is kept with a
    run drafted from it, as for any plan.
    """
    from kefu.pay.plan import PlanError, parse_plan

    files = [f for f in form.get("_files", []) if f.stat().st_size > 0]
    if not files:
        return None
    if len(files) > 1:
        raise Refusal("web.plan_one_file")
    path: Path = files[0]
    if path.stat().st_size > PLAN_MAX:
        raise Refusal("web.plan_too_large", kb=PLAN_MAX // 1024)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refusal("web.plan_not_utf8", file=path.name) from None
    try:
        return parse_plan(text, path.name)
    except PlanError as e:
        raise Refusal("web.plan_refused", error=e) from None


def pay_kpis(ctx: Ctx) -> KpiSource:
    """What pay reads: the KPI months per person, as `kefu pay` (docs/pay.md, people behind
    seats); for a store whose every seat is its own person, the seats' months as they are."""
    from kefu.metrics.people import PersonKpis

    return PersonKpis(ctx.store, ctx.kpis)
