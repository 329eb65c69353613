"""The workplace's pages and API routes, each declared with the action it performs.

Figures come from the same objects the CLI prints (`ShopMonth.to_json`, `ShopDiagnosis.
to_json`, `MonthPay.to_json`), read through the KPI cache; nothing is computed a second way.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from kefu.diagnosis.settings import known_settings, setting_areas
from kefu.i18n import t
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

LOGIN_CSRF_COOKIE = "kefu_login_csrf"
PLANS = ("seed", "growth", "midyear")  # the plans shipped with kefu, offered on the pay page
Route = Callable[..., Callable[[Callable[..., Response]], Callable[..., Response]]]


def _shop(ctx: Ctx, p: dict[str, Any]) -> Resource:
    shop = p["shop"]
    if shop not in ctx.store.shops():
        raise Denied(404)
    if "month" in p and not MONTH.fullmatch(p["month"]):
        raise Denied(404)
    return Resource(shop_id=shop)


def _shop_to_fill(ctx: Ctx, p: dict[str, Any]) -> Resource:
    """A shop that may have no data yet: one the user is assigned to (or any, for an owner)."""
    shop = p["shop"]
    user = ctx.user
    if shop in ctx.store.shops() or (
        user is not None and (user.role == "owner" or shop in user.shops)
    ):
        return Resource(shop_id=shop)
    raise Denied(404)


def _seat(ctx: Ctx, p: dict[str, Any]) -> Resource:
    r = _shop(ctx, p)
    return Resource(shop_id=r.shop_id, agent_id=p["agent"])


def register(wp: Workplace, route: Route) -> None:
    def json_response(value: Any, status: int = 200) -> Response:
        return Response(dumps(value), status_code=status, media_type="application/json")

    def month_of(ctx: Ctx, shop: str, month: str) -> ShopMonth:
        return ctx.kpis.shop_months(shop, [month])[month]

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
        known = set(ctx.store.shops()) | set(user.shops) | {s for s, _ in user.seats}
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
            seats=sorted(user.seats),
            manages={s: allowed(user, "shop.agents", Resource(shop_id=s)) for s in shops},
            questions=_visible_questions(ctx.questions, user),
        )

    # -- a shop's month ---------------------------------------------------------------------
    @route("GET", "/shops/{shop}/months/{month}", "shop.team", _shop)
    def shop_month(ctx: Ctx, shop: str, month: str) -> Response:
        assert ctx.user is not None
        body = kpi_json_for(ctx.user, month_of(ctx, shop, month))
        manages = allowed(ctx.user, "shop.agents", Resource(shop_id=shop))
        return wp.page(
            ctx,
            "shop_month.html",
            shop=shop,
            month=month,
            kpi=body,
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
        end = ctx.store.data_end(shop)
        last = f"{end:%Y-%m}" if end else None
        rows = []
        if last:
            months = [shift_month(last, -k) for k in range(11, -1, -1)]
            for m, sm in ctx.kpis.shop_months(shop, months).items():
                a = sm.agent(agent)
                if a is not None:
                    rows.append((m, a.to_json()))
        if not rows:
            raise Denied(404)
        runs = [r for r in PayrollRuns(ctx.store).approved(shop)]
        paid = sorted({r.month for r in runs if _has_agent(r, agent)}, reverse=True)
        judged = _judgement(ctx, shop, agent, shift_month(last, -1)) if last else None
        return wp.page(
            ctx,
            "agent.html",
            shop=shop,
            agent=agent,
            name=rows[-1][1]["name"],
            rows=rows,
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
        quarantine = [q for q in ctx.store.quarantined() if q["import_id"] in ids][:200]
        return wp.page(
            ctx,
            "import.html",
            status,
            shop=shop,
            reports=reports,
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
        if ctx.user.role != "owner":
            foreign = _foreign_shops(files, shop, ctx.user.shops)
            if foreign:
                ctx.people.audit(ctx.user.name, "import", shop, "refused", {"shops": foreign})
                msg = t("web.import_other_shop", ctx.lang, shops=", ".join(foreign))
                return wp.page(ctx, "message.html", 403, message=msg)
        reports = import_files(ctx.store, files, shop=shop)
        ctx.people.audit(
            ctx.user.name,
            "import",
            shop,
            "ok",
            {"files": [r.file for r in reports], "errors": [r.error for r in reports if r.error]},
        )
        return import_page(ctx, shop, reports)

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
        for q in ctx.store.quarantined():
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
                return settings_page(ctx, shop, f"{name}: {e}", 400)
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
        from kefu.pay.compare import compare
        from kefu.pay.plan import PlanError, load_plan
        from kefu.pay.runs import diff

        runs = runs_of(ctx, shop, month)
        signoff = {r.run_id: ctx.people.signoff(r.run_id) for r in runs}
        approved = next((r for r in runs if r.approved), None)
        changes = None
        if approved is not None:
            _, changes = diff(approved, pay_kpis(ctx), PayrollRuns(ctx.store).all(shop))
        try:
            whatif = compare([load_plan(p) for p in PLANS], shop, month, month, pay_kpis(ctx))
        except PlanError:
            whatif = None
        return wp.page(
            ctx,
            "pay.html",
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

    @route("POST", "/shops/{shop}/pay/{month}/draft", "pay.draft", _shop)
    def pay_draft(ctx: Ctx, form: dict[str, Any], shop: str, month: str) -> Response:
        from kefu.pay.plan import PlanError, load_plan
        from kefu.pay.runs import prepare, store_run
        from kefu.report.payslip import explain_both

        assert ctx.user is not None
        runs = PayrollRuns(ctx.store)
        if runs.approved_for(shop, month) is not None:
            return wp.page(ctx, "message.html", 409, message=t("web.run_exists", ctx.lang))
        plan_name = form.get("plan") or "seed"
        if plan_name not in PLANS:
            return wp.page(ctx, "message.html", 400, message=t("web.plan_unknown", ctx.lang))
        try:
            plan = load_plan(plan_name)
            prepared = prepare(
                plan, shop, month, pay_kpis(ctx), runs.all(shop), datetime.now().date()
            )
        except PlanError as e:
            return wp.page(ctx, "message.html", 400, message=str(e))
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

    @route("POST", "/users", "users.manage")
    def users_add(ctx: Ctx, form: dict[str, Any]) -> Response:
        assert ctx.user is not None
        seats = []
        for item in (form.get("seats") or "").split(","):
            if ":" in item.strip():
                shop, agent = item.strip().split(":", 1)
                seats.append((shop, agent))
        shops = [s.strip() for s in (form.get("shops") or "").split(",") if s.strip()]
        try:
            user = ctx.people.add(
                form.get("name", ""),
                form.get("role", ""),
                form.get("password", ""),
                shops=shops,
                seats=seats,
            )
        except PeopleError as e:
            return wp.page(
                ctx,
                "users.html",
                400,
                users=ctx.people.all(),
                error=t(f"web.{e}", ctx.lang),
                audit=ctx.people.audit_entries(50),
            )
        ctx.people.audit(
            ctx.user.name,
            "users.add",
            user.name,
            "ok",
            {"role": user.role, "shops": sorted(user.shops)},
        )
        return RedirectResponse("/users", 303)

    # -- order credit -----------------------------------------------------------------------
    def _order(ctx: Ctx, p: dict[str, Any]) -> Resource:
        from kefu.metrics.explain import OrderNotFound, explain_order

        r = _shop(ctx, p)
        try:
            ex = explain_order(ctx.store, p["shop"], p["order"])
        except OrderNotFound:
            raise Denied(404) from None
        agent = ex.facts.get("agent_id") if isinstance(ex.facts, dict) else None
        if agent is None and ctx.user is not None and ctx.user.role == "agent":
            raise Denied(404)  # a silent order is nobody's to read but the managers'
        return Resource(shop_id=r.shop_id, agent_id=agent)

    @route("GET", "/shops/{shop}/orders/{order}", "order.explain", _order)
    def order_page(ctx: Ctx, shop: str, order: str) -> Response:
        from kefu.metrics.explain import explain_order

        ex = explain_order(ctx.store, shop, order)
        return wp.page(ctx, "order.html", shop=shop, order=order, text=ex.text(ctx.lang))

    # -- the JSON API: the CLI's objects, the pages' permissions -----------------------------
    @route("GET", "/api/v1/shops/{shop}/kpi/{month}", "shop.team", _shop, api=True)
    def api_kpi(ctx: Ctx, shop: str, month: str) -> Response:
        assert ctx.user is not None
        return json_response(kpi_json_for(ctx.user, month_of(ctx, shop, month)))

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


def pay_kpis(ctx: Ctx) -> KpiSource:
    """What pay reads: the KPI months per person, as `kefu pay` (docs/pay.md, people behind
    seats); for a store whose every seat is its own person, the seats' months as they are."""
    from kefu.metrics.people import PersonKpis

    return PersonKpis(ctx.store, ctx.kpis)


def _has_agent(record: RunRecord, agent: str) -> bool:
    return any(a.get("agent_id") == agent for a in record.results.get("agents", []))


def _visible_questions(questions: Questions, user: Any) -> list[dict[str, Any]]:
    """The questions a user may read: an agent's own seats', a manager's shops', all for an owner."""
    if user.role == "owner":
        return questions.where("true", [])
    if user.role == "manager":
        return questions.for_shops(sorted(user.shops))
    return [q for shop, agent in sorted(user.seats) for q in questions.for_seat(shop, agent)]


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


def _judgement(ctx: Ctx, shop: str, agent: str, month: str) -> dict[str, Any] | None:
    """The diagnosis of one agent's month, as `kefu diagnose --format json` words it."""
    from kefu.diagnosis import diagnose, from_shop_settings

    d = diagnose(ctx.kpis, shop, month, from_shop_settings(ctx.store.settings(shop))).to_json(
        ctx.lang
    )
    verdict = next((v for v in d["verdicts"] if v["agent_id"] == agent), None)
    if verdict is None:
        return None
    mine = [
        x for key in ("causes", "flags", "stability") for x in d[key] if x.get("agent_id") == agent
    ]
    return {"month": month, "verdict": verdict, "texts": [x["text"] for x in mine if x.get("text")]}
