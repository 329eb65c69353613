"""CLI commands: serve (the web workplace) and users (who may use it)."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated

import typer

from kefu.cli.common import DbOption, console, current_lang, fail, h, open_db
from kefu.i18n import t
from kefu.store import Store
from kefu.store.database import os_user

users_app = typer.Typer(help=h("cli.users.help"), no_args_is_help=True)

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(
    host: Annotated[str, typer.Option("--host", help=h("cli.opt.serve_host"))] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help=h("cli.opt.serve_port"))] = 8000,
    https: Annotated[bool, typer.Option("--https", help=h("cli.opt.serve_https"))] = False,
    db: DbOption = None,
) -> None:
    """Serve kefu in a browser: managers and agents each see only what is theirs."""
    import uvicorn

    from kefu.store.people import People
    from kefu.web.app import create_app

    store = open_db(db, must_exist=True)
    path = store.path
    has_owner = People(store).has_owner()
    store.close()
    if not has_owner:
        fail(t("cli.serve.no_owner", None, db=path))
    if host not in LOOPBACK:
        console.print(t("cli.serve.not_loopback", None, host=host), highlight=False)
    app = create_app(path, secure_cookies=https)
    console.print(t("cli.serve.listening", None, host=host, port=port), highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def _password(from_stdin: bool) -> str:
    if not from_stdin:
        fail(t("cli.users.password_needed"))
    return sys.stdin.readline().rstrip("\r\n")


@users_app.command("add", help=h("cli.users.add_help"))
def users_add(
    name: Annotated[str, typer.Argument(help=h("cli.arg.user_name"))],
    role: Annotated[str, typer.Option("--role", help=h("cli.opt.user_role"))],
    shop: Annotated[list[str] | None, typer.Option("--shop", help=h("cli.opt.user_shop"))] = None,
    agent: Annotated[
        list[str] | None,
        typer.Option("--agent", help=h("cli.opt.user_agent")),
    ] = None,
    person: Annotated[
        list[str] | None,
        typer.Option("--person", help=h("cli.opt.user_person")),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help=h("cli.opt.password_stdin"))
    ] = False,
    db: DbOption = None,
) -> None:
    """Add a user (owner, manager, or agent linked to a person or sub-accounts)."""
    from kefu.store.people import People, PeopleError

    shops = list(shop or [])
    seats: list[tuple[str, str]] = []
    password = _password(password_stdin)
    with open_db(db) as store:
        for item in agent or []:
            seats.append(_seat(store, item, shops))
        people = People(store)
        try:
            user = people.add(
                name, role, password, shops=shops, seats=seats, persons=list(person or [])
            )
        except PeopleError as e:
            fail(e.text(current_lang()))
        details = {"role": role, "via": "cli", "persons": sorted(user.linked)}
        people.audit(os_user(), "users.add", user.name, "ok", details)
    console.print(t("cli.users.added", None, name=user.name, role=user.role), highlight=False)


@users_app.command("list", help=h("cli.users.list_help"))
def users_list(db: DbOption = None) -> None:
    """List the users: name, role, shops, sub-accounts."""
    from rich.table import Table

    from kefu.store.people import People

    with open_db(db, must_exist=True) as store:
        users = People(store).all()
    table = Table()
    for head in ("web.name", "web.role", "web.shops", "web.my_seats", "web.person.persons"):
        table.add_column(t(head))
    for u in users:
        status = f" ({t('web.disabled')})" if u.disabled else ""
        table.add_row(
            u.name + status,
            t(f"web.role.{u.role}"),
            ", ".join(sorted(u.shops)),
            ", ".join(f"{s}:{a}" for s, a in sorted(u.seats)),
            ", ".join(sorted(u.persons)),
        )
    console.print(table)


@users_app.command("set-password", help=h("cli.users.set_password_help"))
def users_set_password(
    name: Annotated[str, typer.Argument(help=h("cli.arg.user"))],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help=h("cli.opt.password_stdin"))
    ] = False,
    db: DbOption = None,
) -> None:
    """Change a user's password; their sessions and API tokens are revoked."""
    from kefu.store.people import People, PeopleError

    password = _password(password_stdin)
    with open_db(db, must_exist=True) as store:
        people = People(store)
        try:
            people.set_password(name, password)
        except PeopleError as e:
            fail(e.text(current_lang()))
        people.audit(os_user(), "users.set_password", name, "ok", {"via": "cli"})
    console.print(t("cli.users.password_set", None, name=name), highlight=False)


@users_app.command("disable", help=h("cli.users.disable_help"))
def users_disable(
    name: Annotated[str, typer.Argument(help=h("cli.arg.user"))],
    db: DbOption = None,
) -> None:
    """Disable a user; their sessions and API tokens are revoked."""
    from kefu.store.people import People, PeopleError

    with open_db(db, must_exist=True) as store:
        people = People(store)
        try:
            people.set_disabled(name)
        except PeopleError as e:
            fail(e.text(current_lang()))
        people.audit(os_user(), "users.disable", name, "ok", {"via": "cli"})
    console.print(t("cli.users.disabled", None, name=name), highlight=False)


@users_app.command("token", help=h("cli.users.token_help"))
def users_token(
    name: Annotated[str, typer.Argument(help=h("cli.arg.token_user"))],
    label: Annotated[str, typer.Option("--label", help=h("cli.opt.token_label"))] = "api",
    db: DbOption = None,
) -> None:
    """Make an API token for scripts (/api/v1/…, header `Authorization: Bearer TOKEN`)."""
    from kefu.store.people import People, PeopleError

    with open_db(db, must_exist=True) as store:
        people = People(store)
        try:
            token = people.new_api_token(name, label, datetime.now())
        except PeopleError as e:
            fail(e.text(current_lang()))
        people.audit(os_user(), "users.token", name, "ok", {"label": label, "via": "cli"})
    console.print(t("cli.users.token", None, name=name, token=token), highlight=False)


def _seat(store: Store, item: str, shops: list[str]) -> tuple[str, str]:
    """A sub-account given as ID (with one --shop, or known in one shop only) or SHOP:ID."""
    if len(shops) == 1:
        return shops[0], item
    rows = store.con.execute(
        "SELECT DISTINCT shop_id FROM agents WHERE agent_id = ?", [item]
    ).fetchall()
    if len(rows) == 1:
        return rows[0][0], item
    if ":" in item:
        s, a = item.split(":", 1)
        if s and a:
            return s, a
    fail(t("cli.users.seat_invalid", None, value=item))


def register(app: typer.Typer) -> None:
    """Add serve and users to the kefu app."""
    app.command("serve", help=h("cli.serve.help"))(serve)
    app.add_typer(users_app, name="users")
