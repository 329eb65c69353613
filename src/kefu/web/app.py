"""The web workplace: `kefu serve` — pages and the JSON API over one store, one engine.

Every route is declared with `route(...)`, naming the action it performs and how to find
the resource it touches; the wrapper asks `kefu.web.access.allowed` before the handler runs
and writes refusals and every write to the audit log. Pages are server-rendered Jinja2
(autoescaped), styles and scripts ship in the package and are served from /static, and every
response carries a Content-Security-Policy without 'unsafe-inline'.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import tempfile
import threading
from base64 import b64encode
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles

from kefu import __version__
from kefu.i18n import LANGS, t
from kefu.metrics.cache import CachedKpis, MonthMemo
from kefu.metrics.table import ShopMonth
from kefu.month import PATTERN
from kefu.store.database import Store, open_store
from kefu.store.people import People, User
from kefu.store.questions import Questions
from kefu.web.access import Resource, allowed
from kefu.web.imports import ImportJobs

SESSION_COOKIE = "kefu_session"
SESSION_LIFETIME = timedelta(hours=12)
THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_ACCOUNT = 5  # failed logins per account in the window before it is refused
THROTTLE_ADDRESS = 20  # failed logins per address in the window
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
MONTH = PATTERN  # a YYYY-MM month in a URL (kefu.month)
MAX_UPLOAD = 200 * 2**20  # bytes in one upload request (several files)
MAX_FILES = 20


class Denied(Exception):
    """Refused: 403 for a resource one may know exists, 404 where even that is private."""

    def __init__(self, status: int = 403) -> None:
        self.status = status


@dataclass
class Ctx:
    """One request: who asks, in which language, and its own connection to the store.

    Reads go through a cursor of their own and never wait for a write; writes (POST) run one
    at a time under the workplace's lock.
    """

    request: Request
    user: User | None
    lang: str
    csrf: str | None
    store: Store
    people: People
    questions: Questions
    kpis: CachedKpis
    shops: Callable[[], list[str]]  # the store's shops (kept by the workplace until an import)


@dataclass(frozen=True)
class Rule:
    method: str
    path: str
    action: str
    api: bool


class Workplace:
    """The app's state: the store it serves, its lock, and the rule of every route."""

    def __init__(
        self, db: str | Path, *, secure_cookies: bool = False, max_upload: int = MAX_UPLOAD
    ) -> None:
        self.max_upload = max_upload
        self.store = open_store(db)
        self.lock = threading.RLock()
        self.secure_cookies = secure_cookies
        self.rules: list[Rule] = []
        self.env = Environment(
            loader=PackageLoader("kefu.web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )
        self.months = MonthMemo()
        self.imports = ImportJobs()  # the progress of imports running, for their pages to poll
        self._rendered: OrderedDict[Hashable, Any] = OrderedDict()
        self._rendered_lock = threading.Lock()

    def rendered(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """`make()`, kept for the next request with the same key (which names every input).

        The KPI table of a month is the same text for every request that sees the same agents
        under the same inputs key and language; rendering it again for each of twenty clients
        was most of a page's time (docs/performance.md).
        """
        with self._rendered_lock:
            if key in self._rendered:
                self._rendered.move_to_end(key)
                return self._rendered[key]
        value = make()
        with self._rendered_lock:
            self._rendered[key] = value
            while len(self._rendered) > 128:
                self._rendered.popitem(last=False)
        return value

    def shops(self, store: Store) -> list[str]:
        """The store's shops; they change only with an import, so they are kept until one."""
        row = store.con.execute("SELECT count(*), coalesce(max(import_id), 0) FROM import_log")
        state = tuple(row.fetchone() or ())
        return list(self.rendered(("shops", state), store.shops))

    def close(self) -> None:
        self.store.close()

    # -- identity ---------------------------------------------------------------------------
    def context(self, request: Request, store: Store) -> Ctx:
        from kefu.metrics.reported import ChosenKpis

        now = datetime.now()
        people = People(store, lock=self.lock)
        user: User | None = None
        csrf: str | None = None
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            user = people.api_user(auth[7:].strip())
        else:
            token = request.cookies.get(SESSION_COOKIE)
            if token:
                found = people.session(token, now)
                if found is not None:
                    user, csrf = found
        lang = request.query_params.get("lang") or (user.lang if user else None) or "zh"
        if lang not in LANGS:
            lang = "zh"
        kpis = CachedKpis(store, ChosenKpis(store), self.lock, self.months)
        return Ctx(
            request,
            user,
            lang,
            csrf,
            store,
            people,
            Questions(store),
            kpis,
            lambda: self.shops(store),
        )

    def page(self, ctx: Ctx, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = self.render(ctx, template, **values)
        return HTMLResponse(html, status_code=status)

    def render(self, ctx: Ctx, template: str, **values: Any) -> str:
        lang = ctx.lang

        def tr(key: str, **kw: Any) -> str:
            return t(key, lang, **kw)

        from kefu.metrics.fields import JSON_ORDER
        from kefu.metrics.labels import label, yuan
        from kefu.report.kpi_table import show

        return self.env.get_template(template).render(
            t=tr,
            user=ctx.user,
            lang=lang,
            csrf=ctx.csrf,
            version=__version__,
            fields=[f for f in JSON_ORDER if f not in ("agent_id", "name", "role")],
            label=lambda f: label(f, lang),
            show=show,
            yuan=yuan,
            **values,
        )


def create_app(
    db: str | Path, *, secure_cookies: bool = False, max_upload: int = MAX_UPLOAD
) -> FastAPI:
    wp = Workplace(db, secure_cookies=secure_cookies, max_upload=max_upload)
    app = FastAPI(title="kefu", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workplace = wp
    static = resources.files("kefu.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Any]) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    def route(
        method: str,
        path: str,
        action: str,
        resource: Callable[[Ctx, dict[str, Any]], Resource] | None = None,
        *,
        api: bool = False,
        public: bool = False,
        upload: bool = False,
    ) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
        """Declare a route: the action it performs and the resource it touches."""

        def wrap(handler: Callable[..., Response]) -> Callable[..., Response]:
            wp.rules.append(Rule(method, path, action, api))

            def guarded(request: Request, form: dict[str, Any], params: dict[str, Any]) -> Response:
                if method == "POST":
                    with wp.lock:
                        return checked(request, form, params, wp.store)
                store = wp.store.cursor()
                try:
                    return checked(request, form, params, store)
                finally:
                    store.close()

            def checked(
                request: Request, form: dict[str, Any], params: dict[str, Any], store: Store
            ) -> Response:
                ctx = wp.context(request, store)
                if not public:
                    if ctx.user is None:
                        if api:
                            return JSONResponse({"error": t("web.login_needed", ctx.lang)}, 401)
                        return RedirectResponse("/login", 303)
                    if method == "POST" and not api and not _csrf_ok(ctx, form):
                        ctx.people.audit(ctx.user.name, action, request.url.path, "csrf_refused")
                        return _refuse(wp, ctx, 403, api)
                    try:
                        res = resource(ctx, params) if resource else Resource()
                    except Denied as d:
                        ctx.people.audit(ctx.user.name, action, request.url.path, "refused")
                        return _refuse(wp, ctx, d.status, api)
                    if not allowed(ctx.user, action, res):
                        ctx.people.audit(ctx.user.name, action, request.url.path, "refused")
                        return _refuse(wp, ctx, 403, api)
                try:
                    if method == "POST":
                        return handler(ctx, form, **params)
                    return handler(ctx, **params)
                except Denied as d:
                    name = ctx.user.name if ctx.user else "-"
                    ctx.people.audit(name, action, request.url.path, "refused")
                    return _refuse(wp, ctx, d.status, api)

            async def endpoint(request: Request, **params: Any) -> Response:
                form: dict[str, Any] = {}
                if method != "POST":
                    return await run_in_threadpool(guarded, request, form, params)
                if not upload:
                    data = await request.form(max_files=0, max_fields=100)
                    form = {k: v for k, v in data.items() if isinstance(v, str)}
                    return await run_in_threadpool(guarded, request, form, params)
                length = request.headers.get("content-length")
                if length is None or not length.isdigit() or int(length) > wp.max_upload:
                    mb = wp.max_upload // 2**20
                    return JSONResponse({"error": t("web.upload_too_large", "zh", mb=mb)}, 413)
                with tempfile.TemporaryDirectory(prefix="kefu-upload-") as folder:
                    async with request.form(max_files=MAX_FILES, max_fields=10) as data:
                        form = {k: v for k, v in data.items() if isinstance(v, str)}
                        form["_files"] = [
                            await _save_upload(v, Path(folder))
                            for _, v in data.multi_items()
                            if not isinstance(v, str)
                        ]
                    return await run_in_threadpool(guarded, request, form, params)

            endpoint.__signature__ = _signature(path, method)  # type: ignore[attr-defined]
            app.add_api_route(path, endpoint, methods=[method])
            return handler

        return wrap

    from kefu.web import pages

    pages.register(wp, route)
    return app


async def _save_upload(upload: Any, folder: Path) -> Path:
    """An uploaded file streamed to disk under a safe name (its own base name, no path)."""
    raw = Path(str(upload.filename or "upload").replace("\\", "/")).name
    name = "".join(c for c in raw if c.isprintable() and c not in '<>:"|?*') or "upload"
    if name in (".", ".."):
        name = "upload"
    target = folder / name
    n = 1
    while target.exists():
        target = folder / f"{n}-{name}"
        n += 1
    with target.open("wb") as out:
        while chunk := await upload.read(1 << 20):
            out.write(chunk)
    return target


def _csrf_ok(ctx: Ctx, form: dict[str, Any]) -> bool:
    sent = form.get("csrf") or ctx.request.headers.get("x-csrf-token")
    return bool(ctx.csrf and sent and secrets.compare_digest(str(sent), ctx.csrf))


def _refuse(wp: Workplace, ctx: Ctx, status: int, api: bool) -> Response:
    key = "web.not_found" if status == 404 else "web.forbidden"
    if api:
        return JSONResponse({"error": t(key, ctx.lang)}, status)
    return wp.page(ctx, "message.html", status=status, message=t(key, ctx.lang))


def _signature(path: str, method: str) -> Any:
    """The endpoint's signature for FastAPI: the request, the path's parameters, a form body."""
    import inspect

    params = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
    ]
    for name in re.findall(r"{(\w+)}", path):
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=str))
    return inspect.Signature(params)


def script_hashes(html: str) -> str:
    """CSP sources for the inline scripts of a self-contained report (by hash, never inline)."""
    found = re.findall(r"<script(?:\s[^>]*)?>(.*?)</script>", html, flags=re.S)
    return " ".join(
        f"'sha256-{b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in found
    )


def kpi_json_for(user: User, sm: ShopMonth, persons: ShopMonth | None = None) -> dict[str, Any]:
    """The `kefu kpi --format json` object as `user` may see it.

    The same object the CLI prints. For an agent, the `agents` list keeps only the rows of the
    persons the account is, from `persons` (the month per person, kefu.metrics.people: a seat
    that changed hands counts for each holder only the days they held it); the team row,
    computed from the seats before filtering, stays the whole team's pooled figures. Without
    `persons`, an agent sees no rows (never a seat's, which may hold another person's days).
    """
    body = sm.to_json()
    if user.role == "agent":
        mine = user.holders_in(sm.shop_id, sm.month)
        rows = persons.to_json()["agents"] if persons is not None else []
        body["agents"] = [a for a in rows if a["agent_id"] in mine]
    return body


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=_default)


def _default(o: Any) -> Any:
    if isinstance(o, datetime):
        return o.isoformat(sep=" ")
    if hasattr(o, "isoformat"):
        return o.isoformat()
    raise TypeError(type(o).__name__)
