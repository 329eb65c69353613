"""`kefu users` and `kefu serve` from the installed command: people, refusals, the served store."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import duckdb

import webshop
from webshop import Served

kefu = partial(webshop.kefu, lang="en")


def test_users_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "kefu.duckdb")
    assert (
        kefu(
            "users",
            "add",
            "boss",
            "--role",
            "owner",
            "--password-stdin",
            "--db",
            db,
            stdin="long-password\n",
        ).returncode
        == 0
    )
    r = kefu(
        "users",
        "add",
        "mei",
        "--role",
        "agent",
        "--agent",
        "店:店:小美",
        "--password-stdin",
        "--db",
        db,
        stdin="mei-password\n",
    )
    assert r.returncode == 0, r.stderr
    listed = kefu("users", "list", "--db", db)
    assert "boss" in listed.stdout and "店:店:小美" in listed.stdout
    short = kefu(
        "users", "add", "x", "--role", "manager", "--password-stdin", "--db", db, stdin="short\n"
    )
    assert short.returncode == 1 and "8 characters" in short.stderr
    assert "Traceback" not in short.stderr and len(short.stderr.strip().splitlines()) == 1
    taken = kefu(
        "users",
        "add",
        "boss",
        "--role",
        "manager",
        "--password-stdin",
        "--db",
        db,
        stdin="another-password\n",
    )
    assert taken.returncode == 1 and "taken" in taken.stderr
    no_seat = kefu(
        "users",
        "add",
        "lin",
        "--role",
        "agent",
        "--password-stdin",
        "--db",
        db,
        stdin="lin-password\n",
    )
    assert no_seat.returncode == 1 and "sub-account" in no_seat.stderr
    token = kefu("users", "token", "boss", "--label", "nightly", "--db", db)
    assert token.returncode == 0 and "kefu_" in token.stdout
    assert (
        kefu(
            "users", "set-password", "mei", "--password-stdin", "--db", db, stdin="new-password\n"
        ).returncode
        == 0
    )
    assert kefu("users", "disable", "mei", "--db", db).returncode == 0
    con = duckdb.connect(db, read_only=True)
    stored = con.execute("SELECT password_hash FROM users").fetchall()
    tokens = con.execute("SELECT token_sha256 FROM api_tokens").fetchall()
    audit = con.execute(
        "SELECT action FROM audit_log WHERE action LIKE 'users.%' ORDER BY entry_id"
    ).fetchall()
    con.close()
    assert all(h.startswith("$argon2id$") for (h,) in stored)
    assert all(len(t) == 64 for (t,) in tokens)  # only the hash of the token is kept
    assert [a for (a,) in audit] == [
        "users.add",
        "users.add",
        "users.token",
        "users.set_password",
        "users.disable",
    ]
    raw = Path(db).read_bytes()
    secret = token.stdout.split("kefu_", 1)[1].split()[0]
    assert b"long-password" not in raw and secret.encode() not in raw


def test_serve_needs_an_owner(tmp_path: Path) -> None:
    db = str(tmp_path / "kefu.duckdb")
    kefu(
        "users",
        "add",
        "lead",
        "--role",
        "manager",
        "--password-stdin",
        "--db",
        db,
        stdin="lead-password\n",
    )
    r = kefu("serve", "--db", db)
    assert r.returncode == 1 and "no owner" in r.stderr


def test_a_served_store_refuses_other_commands_in_one_sentence(tmp_path: Path) -> None:
    db = str(tmp_path / "kefu.duckdb")
    kefu(
        "users",
        "add",
        "boss",
        "--role",
        "owner",
        "--password-stdin",
        "--db",
        db,
        stdin="boss-password\n",
    )
    with Served(Path(db)):
        r = kefu("users", "list", "--db", db)
        assert r.returncode == 1
        assert "in use by another process" in r.stderr
        assert "Traceback" not in r.stderr
