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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from kefu.store import Store
from kefu.voice.topics import Classifier, Labels

KEEP_VERSIONS = 2  # the versions of labels a shop keeps (the current one included)


@dataclass(frozen=True)
class Primed:
    """What priming did: texts classified anew, and whether the store now holds every label."""

    classified: int
    in_store: bool


def prime(
    store: Store,
    shop: str,
    classifier: Classifier,
    where: str,
    args: list[Any],
    lock: AbstractContextManager[Any] | None = None,
    load: bool = True,
) -> Primed:
    """Make sure every distinct text of `messages m WHERE <where>` has labels of this version.

    Texts missing from the store's cache are classified and written back. With `load`, the
    labels are also put in `classifier` (for the parts of the month computed in Python);
    without, they stay in the store, where `labels_sql` reads them.
    """
    con = store.con
    version = classifier.version
    before = classifier.analysed
    key = [shop, version]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _voice_texts AS "
        f"SELECT DISTINCT m.text FROM messages m WHERE {where} AND m.text IS NOT NULL",
        args,
    )
    try:
        if load:
            got = con.sql(
                """SELECT t.text, l.topics, l.subtopics, l.terms FROM _voice_texts t
                   LEFT JOIN voice_labels l ON l.shop_id = ? AND l.classifier = ?
                    AND l.text_md5 = md5_number(t.text)""",
                params=key,
            ).to_arrow_table()
            assert got is not None
            texts = got.column("text").to_pylist()
            topics = got.column("topics").to_pylist()
            subtopics = got.column("subtopics").to_pylist()
            terms = got.column("terms").to_pylist()
            missing = []
            for text, top, sub, ter in zip(texts, topics, subtopics, terms, strict=True):
                if top is None:
                    missing.append(text)
                elif not classifier.knows(text):
                    classifier.remember(text, Labels(tuple(top), tuple(sub), tuple(ter)))
            missing = list(dict.fromkeys(missing))
        else:
            missing = [
                r[0]
                for r in con.execute(
                    """SELECT t.text FROM _voice_texts t
                       ANTI JOIN voice_labels l ON l.shop_id = ? AND l.classifier = ?
                        AND l.text_md5 = md5_number(t.text)""",
                    key,
                ).fetchall()
            ]
        labels = [classifier.labels(t) for t in missing]
        with lock or nullcontext():
            written = _write(store, shop, version, missing, labels)
    finally:
        con.execute("DROP TABLE IF EXISTS _voice_texts")
    return Primed(classifier.analysed - before, written)


def labels_sql(texts: str) -> str:
    """SQL of (text, topic) — sub-topics too — for the texts of the query `texts` (a column
    `text`), read from the store's cache; parameters: shop, classifier version."""
    return f"""SELECT DISTINCT t.text, unnest(l.topics || l.subtopics) AS topic
               FROM (SELECT DISTINCT text FROM ({texts})) t
               JOIN voice_labels l ON l.shop_id = ? AND l.classifier = ?
                AND l.text_md5 = md5_number(t.text)"""


def _write(store: Store, shop: str, version: str, texts: list[str], labels: list[Labels]) -> bool:
    """Add the new labels, mark the version used, drop the shop's older versions; or nothing.

    True when written (so the store holds every label of the texts asked for)."""
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
            con.execute(  # a text another thread wrote meanwhile is not written twice
                "INSERT INTO voice_labels SELECT ?, ?, md5_number(n.text), n.topics, n.subtopics,"
                " n.terms FROM _voice_new n ANTI JOIN voice_labels l ON l.shop_id = ?"
                " AND l.classifier = ? AND l.text_md5 = md5_number(n.text)",
                [shop, version, shop, version],
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
        return False
    finally:
        con.unregister("_voice_new")
    return True


def cached(store: Store, shop: str) -> dict[str, int]:
    """How many texts the shop has labels for, per classifier version (for tests and docs)."""
    return dict(
        store.con.execute(
            "SELECT classifier, count(*) FROM voice_labels WHERE shop_id = ? GROUP BY 1", [shop]
        ).fetchall()
    )
