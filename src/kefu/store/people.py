"""People who use kefu (owner, manager, agent), their sessions and API tokens.

Passwords are kept only as Argon2id hashes; session and API tokens only as SHA-256 hashes of
random tokens (a stolen copy of the store holds no usable credential). What each role may see
is decided in `kefu.web.access`; this module only records who is who.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from kefu.i18n import Refusal
from kefu.month import Month
from kefu.store.database import Store
from kefu.store.seats import Holding, holdings

ROLES = ("owner", "manager", "agent")


class PeopleError(Refusal, ValueError):
    """A user operation that cannot be done (unknown user, bad role, name taken …).

    Its key is `user.…`; the sentence is `web.user.…` in web.po.
    """

    area = "web."


@dataclass(frozen=True)
class User:
    user_id: int
    name: str
    role: str
    disabled: bool
    lang: str
    shops: frozenset[str] = field(default_factory=frozenset)
    seats: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (shop_id, agent_id)
    linked: frozenset[str] = field(default_factory=frozenset)  # persons linked directly
    # who an agent's account is: its linked persons and the persons its seat links resolve to
    # (`resolve_seat`), with every holding of theirs; figures are theirs on those days only
    persons: frozenset[str] = field(default_factory=frozenset)
    held: tuple[Holding, ...] = ()

    def holders_in(self, shop_id: str, month: str | None = None) -> set[str]:
        """The account's persons who held a seat of the shop (on a day of `month`, if given)."""
        if month is None:
            return {h.person_id for h in self.held if h.shop_id == shop_id}
        m = Month.parse(month)
        first, last = m.first_day, m.last_day
        return {h.person_id for h in self.held if h.shop_id == shop_id and h.within(first, last)}

    def shops_held(self) -> set[str]:
        return {h.shop_id for h in self.held}


def resolve_seat(held: Sequence[Holding], day: date) -> str | None:
    """The person an account linked to a seat is: who held the seat on `day` (the day the
    account was made), else the first to hold it after that day; None when that is nobody or
    ambiguous (two holders that day), so that the account sees nothing rather than another's.
    """
    on = {h.person_id for h in held if h.holds(day)}
    if on:
        return on.pop() if len(on) == 1 else None
    later = sorted((h.start, h.person_id) for h in held if h.start is not None and h.start > day)
    if not later or (len(later) > 1 and later[0][0] == later[1][0]):
        return None
    return later[0][1]


def _person_ids(persons: Sequence[str]) -> list[str]:
    found = sorted({p.strip() for p in persons if p.strip()})
    if any(any(ord(c) < 32 for c in p) or len(p) > 200 for p in found):
        raise PeopleError("user.person_invalid")
    return found


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()  # Argon2id with the library's current parameters


def hash_password(password: str) -> str:
    return str(_hasher().hash(password))


def verify_password(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the name is unknown, so that a wrong name costs as long as a
# wrong password (no user enumeration by timing).
_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_hex(16)))
    return _DUMMY[0]


class People:
    """The users of one store."""

    def __init__(
        self,
        store: Store,
        *,
        lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.store = store
        self.con = store.con
        self.lock = lock or nullcontext()

    # -- users ------------------------------------------------------------------------------
    def add(
        self,
        name: str,
        role: str,
        password: str,
        *,
        shops: Sequence[str] = (),
        seats: Sequence[tuple[str, str]] = (),
        persons: Sequence[str] = (),
        lang: str = "zh",
        now: datetime | None = None,
    ) -> User:
        name = name.strip()
        if not name or any(ord(c) < 32 for c in name):
            raise PeopleError("user.name_invalid")
        if role not in ROLES:
            raise PeopleError("user.role_invalid")
        if len(password) < 8:
            raise PeopleError("user.password_short")
        persons = _person_ids(persons)
        if role == "agent" and not seats and not persons:
            raise PeopleError("user.agent_needs_seat")
        if self.find(name) is not None:
            raise PeopleError("user.name_taken")
        with self.store.transaction():
            row = self.con.execute("SELECT coalesce(max(user_id), 0) + 1 FROM users").fetchone()
            user_id = int(row[0]) if row else 1
            self.con.execute(
                "INSERT INTO users VALUES (?, ?, ?, ?, false, ?, ?)",
                [user_id, name, role, hash_password(password), lang, now or datetime.now()],
            )
            for shop in sorted({*shops, *(s for s, _ in seats)}):
                self.con.execute("INSERT INTO user_shops VALUES (?, ?)", [user_id, shop])
            for shop, agent in sorted(set(seats)):
                self.con.execute("INSERT INTO user_agents VALUES (?, ?, ?)", [user_id, shop, agent])
            for person in persons:
                self.con.execute("INSERT INTO user_persons VALUES (?, ?)", [user_id, person])
        user = self.get(user_id)
        assert user is not None
        return user

    def set_links(
        self, name: str, persons: Sequence[str], seats: Sequence[tuple[str, str]]
    ) -> User:
        """Replace an agent account's links: the persons it is, and the seats it names."""
        user = self._existing(name)
        persons = _person_ids(persons)
        if user.role != "agent":
            raise PeopleError("user.links_agents_only")
        if not persons and not seats:
            raise PeopleError("user.agent_needs_seat")
        with self.store.transaction():
            self.con.execute("DELETE FROM user_persons WHERE user_id = ?", [user.user_id])
            self.con.execute("DELETE FROM user_agents WHERE user_id = ?", [user.user_id])
            for person in persons:
                self.con.execute("INSERT INTO user_persons VALUES (?, ?)", [user.user_id, person])
            for shop, agent in sorted(set(seats)):
                self.con.execute(
                    "INSERT INTO user_agents VALUES (?, ?, ?)", [user.user_id, shop, agent]
                )
            known = {
                r[0]
                for r in self.con.execute(
                    "SELECT shop_id FROM user_shops WHERE user_id = ?", [user.user_id]
                ).fetchall()
            }
            for shop in sorted({s for s, _ in seats} - known):
                self.con.execute("INSERT INTO user_shops VALUES (?, ?)", [user.user_id, shop])
        found = self.get(user.user_id)
        assert found is not None
        return found

    def get(self, user_id: int) -> User | None:
        row = self.con.execute(
            "SELECT user_id, name, role, disabled, lang, created_at FROM users WHERE user_id = ?",
            [user_id],
        ).fetchone()
        if row is None:
            return None
        shops = {
            r[0]
            for r in self.con.execute(
                "SELECT shop_id FROM user_shops WHERE user_id = ?", [user_id]
            ).fetchall()
        }
        seats = {
            (r[0], r[1])
            for r in self.con.execute(
                "SELECT shop_id, agent_id FROM user_agents WHERE user_id = ?", [user_id]
            ).fetchall()
        }
        linked = {
            r[0]
            for r in self.con.execute(
                "SELECT person_id FROM user_persons WHERE user_id = ?", [user_id]
            ).fetchall()
        }
        persons = set(linked)
        held: tuple[Holding, ...] = ()
        if row[2] == "agent":
            every = holdings(self.store)
            made = row[5].date() if isinstance(row[5], datetime) else date.today()
            unheld: list[Holding] = []
            for shop, agent in sorted(seats):
                of_seat = [h for h in every if h.shop_id == shop and h.agent_id == agent]
                if not of_seat:  # no agents file names the seat: nobody else is known to hold
                    unheld.append(Holding(shop, agent, agent, None, None))  # it is its own
                    continue
                found = resolve_seat(of_seat, made)
                if found is not None:
                    persons.add(found)
            held = tuple(h for h in every if h.person_id in persons) + tuple(unheld)
            persons |= {h.person_id for h in unheld}
        return User(
            int(row[0]),
            row[1],
            row[2],
            bool(row[3]),
            row[4],
            frozenset(shops),
            frozenset(seats),
            frozenset(linked),
            frozenset(persons),
            held,
        )

    def find(self, name: str) -> User | None:
        row = self.con.execute(
            "SELECT user_id FROM users WHERE name = ?", [name.strip()]
        ).fetchone()
        return None if row is None else self.get(int(row[0]))

    def all(self) -> list[User]:
        ids = [
            int(r[0])
            for r in self.con.execute("SELECT user_id FROM users ORDER BY user_id").fetchall()
        ]
        return [u for i in ids if (u := self.get(i)) is not None]

    def has_owner(self) -> bool:
        row = self.con.execute(
            "SELECT count(*) FROM users WHERE role = 'owner' AND NOT disabled"
        ).fetchone()
        return bool(row and row[0])

    def set_password(self, name: str, password: str) -> None:
        user = self._existing(name)
        if len(password) < 8:
            raise PeopleError("user.password_short")
        with self.store.transaction():
            self.con.execute(
                "UPDATE users SET password_hash = ? WHERE user_id = ?",
                [hash_password(password), user.user_id],
            )
            self._revoke_all(user.user_id)

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        user = self._existing(name)
        if disabled and user.role == "owner" and not user.disabled:
            row = self.con.execute(
                "SELECT count(*) FROM users WHERE role = 'owner' AND NOT disabled"
            ).fetchone()
            if row is not None and row[0] <= 1:
                raise PeopleError("user.last_owner")  # nobody could manage the store any more
        with self.store.transaction():
            self.con.execute(
                "UPDATE users SET disabled = ? WHERE user_id = ?", [disabled, user.user_id]
            )
            if disabled:
                self._revoke_all(user.user_id)

    def set_lang(self, user_id: int, lang: str) -> None:
        self.con.execute("UPDATE users SET lang = ? WHERE user_id = ?", [lang, user_id])

    def _existing(self, name: str) -> User:
        user = self.find(name)
        if user is None:
            raise PeopleError("user.unknown")
        return user

    def _revoke_all(self, user_id: int) -> None:
        now = datetime.now()
        self.con.execute(
            "UPDATE web_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            [now, user_id],
        )
        self.con.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            [now, user_id],
        )

    # -- logging in -------------------------------------------------------------------------
    def check_password(self, name: str, password: str) -> User | None:
        row = self.con.execute(
            "SELECT user_id, password_hash, disabled FROM users WHERE name = ?", [name.strip()]
        ).fetchone()
        if row is None:
            verify_password(_dummy_hash(), password)
            return None
        if not verify_password(row[1], password) or row[2]:
            return None
        return self.get(int(row[0]))

    def record_attempt(self, name: str, address: str, ok: bool, now: datetime) -> None:
        self.con.execute(
            "INSERT INTO login_attempts VALUES (?, ?, ?, ?)", [name.strip(), address, now, ok]
        )

    def recent_failures(self, name: str, address: str, since: datetime) -> tuple[int, int]:
        """Failed logins since `since`: (for this account, from this address)."""
        row = self.con.execute(
            "SELECT count(*) FILTER (WHERE name = ?), count(*) FILTER (WHERE address = ?) "
            "FROM login_attempts WHERE NOT ok AND attempted_at >= ?",
            [name.strip(), address, since],
        ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    # -- sessions and tokens ----------------------------------------------------------------
    def open_session(self, user: User, now: datetime, lifetime: timedelta) -> tuple[str, str]:
        """A new session: (token for the cookie, CSRF token). Only the token's hash is kept."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.con.execute(
            "INSERT INTO web_sessions VALUES (?, ?, ?, ?, ?, NULL)",
            [sha256(token), user.user_id, csrf, now, now + lifetime],
        )
        return token, csrf

    def session(self, token: str, now: datetime) -> tuple[User, str] | None:
        row = self.con.execute(
            "SELECT user_id, csrf FROM web_sessions WHERE token_sha256 = ? "
            "AND revoked_at IS NULL AND expires_at > ?",
            [sha256(token), now],
        ).fetchone()
        if row is None:
            return None
        user = self.get(int(row[0]))
        if user is None or user.disabled:
            return None
        return user, row[1]

    def close_session(self, token: str, now: datetime) -> None:
        self.con.execute(
            "UPDATE web_sessions SET revoked_at = ? WHERE token_sha256 = ?", [now, sha256(token)]
        )

    def new_api_token(self, name: str, label: str, now: datetime) -> str:
        user = self._existing(name)
        token = "kefu_" + secrets.token_urlsafe(32)
        self.con.execute(
            "INSERT INTO api_tokens VALUES (?, ?, ?, ?, NULL)",
            [sha256(token), user.user_id, label, now],
        )
        return token

    def api_user(self, token: str) -> User | None:
        row = self.con.execute(
            "SELECT user_id FROM api_tokens WHERE token_sha256 = ? AND revoked_at IS NULL",
            [sha256(token)],
        ).fetchone()
        if row is None:
            return None
        user = self.get(int(row[0]))
        return None if user is None or user.disabled else user

    # -- payroll sign-off -------------------------------------------------------------------
    def record_draft(self, run_id: int, by: str) -> None:
        self.con.execute("INSERT OR REPLACE INTO payroll_signoff VALUES (?, ?, NULL)", [run_id, by])

    def record_approval(self, run_id: int, by: str) -> None:
        self.con.execute(
            "INSERT INTO payroll_signoff VALUES (?, NULL, ?) "
            "ON CONFLICT (run_id) DO UPDATE SET approved_by = EXCLUDED.approved_by",
            [run_id, by],
        )

    def signoff(self, run_id: int) -> dict[str, str | None]:
        row = self.con.execute(
            "SELECT drafted_by, approved_by FROM payroll_signoff WHERE run_id = ?", [run_id]
        ).fetchone()
        return {"drafted_by": row[0] if row else None, "approved_by": row[1] if row else None}

    # -- audit ------------------------------------------------------------------------------
    def audit(
        self,
        actor: str,
        action: str,
        obj: str | None,
        outcome: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """An entry in the store's one audit log (kefu.store.database.Store.audit), with the
        outcome (ok, refused, csrf_refused, failed, throttled) among its details."""
        with self.lock:  # entries are numbered: one writer at a time
            self.store.audit(action, obj, {**(details or {}), "outcome": outcome}, actor=actor)

    def audit_entries(self, limit: int = 200) -> list[dict[str, Any]]:
        cur = self.con.execute(
            "SELECT at_utc, actor, action, object, json_extract_string(details, '$.outcome') "
            "AS outcome, details FROM audit_log ORDER BY entry_id DESC LIMIT ?",
            [limit],
        )
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
