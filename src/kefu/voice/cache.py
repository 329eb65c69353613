"""The classification cache: labels of buyer texts kept in the store per shop and classifier version.

Segmenting a text with jieba is the slow part of the voice of the buyer (about a millisecond
a text). Texts repeat from month to month and a month is read again and again, so the
labels of each distinct text are kept in the store's `voice_labels` table under the
classifier's version (kefu.voice.topics.Classifier.version: a hash of the lexicon's texts —
kefu's and the shop's own — of the labelling code and of jieba). A run looks up the texts it
needs there, classifies only the missing ones and writes them back in one transaction. A
changed lexicon gives another version, so nothing labelled under the old one is read again.
A shop keeps the labels of its two most recently used versions (so switching between the
shop's lexicon and `--lexicon FILE` does not start from nothing each time); older ones are
deleted. A store that cannot be written (opened read-only) is read but not written.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from kefu.store import Store
from kefu.voice.topics import Classifier, Labels

KEEP_VERSIONS = 2  # the versions of labels a shop keeps (the current one included)


def prime(
    store: Store,
    shop: str,
    classifier: Classifier,
    where: str,
    args: list[Any],
    lock: AbstractContextManager[Any] | None = None,
) -> int:
    """Put the labels of every distinct text of `messages m WHERE <where>` in `classifier`.

    Texts it knows already are skipped; the rest come from the store's cache, or are
    classified and written back. Returns how many texts were classified anew.
    """
    con = store.con
    version = classifier.version
    before = classifier.analysed
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _voice_texts AS "
        f"SELECT DISTINCT m.text FROM messages m WHERE {where} AND m.text IS NOT NULL",
        args,
    )
    try:
        texts = [r[0] for r in con.execute("SELECT text FROM _voice_texts").fetchall()]
        wanted = [t for t in texts if not classifier.knows(t)]
        if not wanted:
            return 0
        con.register("_voice_wanted", pa.table({"text": pa.array(wanted, type=pa.string())}))
        try:
            found = con.execute(
                """SELECT w.text, l.topics, l.subtopics, l.terms
                   FROM _voice_wanted w
                   JOIN voice_labels l ON l.shop_id = ? AND l.classifier = ?
                    AND l.text_md5 = md5_number(w.text)""",
                [shop, version],
            ).fetchall()
        finally:
            con.unregister("_voice_wanted")
        for text, topics, subtopics, terms in found:
            classifier.remember(text, Labels(tuple(topics), tuple(subtopics), tuple(terms)))
        missing = [t for t in wanted if not classifier.knows(t)]
        labels = [classifier.labels(t) for t in missing]
        with lock or nullcontext():
            _write(store, shop, version, missing, labels)
    finally:
        con.execute("DROP TABLE IF EXISTS _voice_texts")
    return classifier.analysed - before


def _write(store: Store, shop: str, version: str, texts: list[str], labels: list[Labels]) -> None:
    """Add the new labels, mark the version used, drop the shop's older versions; or nothing."""
    con = store.con
    table = pa.table(
        {
            "text": pa.array(texts, type=pa.string()),
            "topics": pa.array([list(x.topics) for x in labels], type=pa.list_(pa.string())),
            "subtopics": pa.array([list(x.subtopics) for x in labels], type=pa.list_(pa.string())),
            "terms": pa.array([list(x.terms) for x in labels], type=pa.list_(pa.string())),
        }
    )
    con.register("_voice_new", table)
    try:
        with store.transaction():
            con.execute(
                "INSERT INTO voice_labels SELECT ?, ?, md5_number(text), topics, subtopics, terms"
                " FROM _voice_new",
                [shop, version],
            )
            con.execute(
                "INSERT OR REPLACE INTO voice_label_sets VALUES (?, ?, ?)",
                [shop, version, datetime.now()],
            )
            old = [
                r[0]
                for r in con.execute(
                    "SELECT classifier FROM voice_label_sets WHERE shop_id = ?"
                    " ORDER BY used_at DESC, classifier OFFSET ?",
                    [shop, KEEP_VERSIONS],
                ).fetchall()
            ]
            for v in old:
                con.execute(
                    "DELETE FROM voice_labels WHERE shop_id = ? AND classifier = ?", [shop, v]
                )
                con.execute(
                    "DELETE FROM voice_label_sets WHERE shop_id = ? AND classifier = ?", [shop, v]
                )
    except duckdb.Error:
        # a store opened read-only (or busy): the labels stay in memory for this run only
        pass
    finally:
        con.unregister("_voice_new")


def cached(store: Store, shop: str) -> dict[str, int]:
    """How many texts the shop has labels for, per classifier version (for tests and docs)."""
    return dict(
        store.con.execute(
            "SELECT classifier, count(*) FROM voice_labels WHERE shop_id = ? GROUP BY 1", [shop]
        ).fetchall()
    )
