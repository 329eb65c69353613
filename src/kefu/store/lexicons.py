"""A shop's own lexicon for the voice of the buyer: the YAML text as uploaded, one per shop."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from kefu.store.database import Store


@dataclass(frozen=True)
class ShopLexicon:
    shop_id: str
    text: str
    sha256: str
    set_by: str
    set_at: datetime


def shop_lexicon(store: Store, shop_id: str) -> ShopLexicon | None:
    """The shop's lexicon, or None when it uses kefu's alone."""
    row = store.con.execute(
        "SELECT shop_id, lexicon_text, sha256, set_by, set_at FROM shop_lexicons WHERE shop_id = ?",
        [shop_id],
    ).fetchone()
    return None if row is None else ShopLexicon(*row)


def set_shop_lexicon(store: Store, shop_id: str, text: str | None, by: str) -> None:
    """Keep `text` as the shop's lexicon (None removes it), with an audit entry of the change.

    The caller checks the text first (kefu.voice.lexicon.load_lexicon): the store keeps what
    it is given.
    """
    before = shop_lexicon(store, shop_id)
    with store.transaction():
        store.con.execute("DELETE FROM shop_lexicons WHERE shop_id = ?", [shop_id])
        sha = None
        if text is not None:
            sha = hashlib.sha256(text.encode()).hexdigest()
            store.con.execute(
                "INSERT INTO shop_lexicons VALUES (?, ?, ?, ?, ?)",
                [shop_id, text, sha, by, datetime.now()],
            )
        store.audit(
            "voice.lexicon",
            shop_id,
            {"shop_id": shop_id, "old": before.sha256 if before else None, "new": sha},
            actor=by,
        )
