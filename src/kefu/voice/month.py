"""One shop-month's voice of the buyer: topics, lost-sale reasons and rising words, from the store.

Each distinct buyer text is classified once per shop and lexicon version, ever: the store's
classification cache (kefu.voice.cache) keeps the labels; counting messages and buyers per
topic is done by DuckDB on a text → topic table. Every conversation (agent, buyer, month) gets
one product — the one it names, else the order it led to, else the buyer's order before it,
else UNKNOWN (docs/voice.md, "Products") — so topics, lost sales and rising words are also
given per product. Lost sales reuse the metrics engine's own inquiries (`sess.is_inquiry`) and
credited orders (`credited`), so an inquiry "converted" exactly when the KPI counts its buyer
as a paying buyer of that agent-month.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from kefu.i18n import Refusal
from kefu.io.masking import mask
from kefu.metrics.engine import StoreKpis
from kefu.metrics.settings import from_mapping
from kefu.metrics.table import month_bounds
from kefu.store import Store
from kefu.voice.cache import labels_sql, prime
from kefu.voice.lexicon import TOPICS
from kefu.voice.stats import PRIOR_WEIGHT, lift, log_odds_z
from kefu.voice.topics import Classifier

LAST_MESSAGES = 3  # the buyer messages of an inquiry whose topics explain its outcome
MIN_LOST = 5  # lost inquiries a topic needs before it is ranked
PREVIOUS_MONTHS = 3  # what "new" is measured against
MIN_RISING_MESSAGES = 10
MIN_RISING_BUYERS = 5
MIN_RISING_Z = 3.0
TOP_RISING = 10
EXAMPLES = 3


@dataclass(frozen=True)
class TopicCount:
    topic: str
    messages: int
    buyers: int
    topical: int  # buyer messages with any topic (`other` included): the share's denominator

    @property
    def share(self) -> float:
        return self.messages / self.topical if self.topical else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "messages": self.messages,
            "buyers": self.buyers,
            "share": round(self.share, 4),
        }


@dataclass(frozen=True)
class LostTopic:
    topic: str
    lost: int
    converted: int
    lost_total: int
    converted_total: int
    examples: tuple[str, ...] = ()

    @property
    def lift(self) -> float:
        return lift(self.lost, self.lost_total, self.converted, self.converted_total)

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "lost": self.lost,
            "converted": self.converted,
            "lift": round(self.lift, 3),
        }


@dataclass(frozen=True)
class RisingTerm:
    term: str
    topic: str | None
    messages: int
    buyers: int
    total: int
    previous_messages: int
    previous_total: int
    z: float
    examples: tuple[str, ...] = ()

    @property
    def share(self) -> float:
        return self.messages / self.total if self.total else 0.0

    @property
    def previous_share(self) -> float:
        return self.previous_messages / self.previous_total if self.previous_total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "topic": self.topic,
            "messages": self.messages,
            "buyers": self.buyers,
            "share": round(self.share, 4),
            "previous_messages": self.previous_messages,
            "previous_share": round(self.previous_share, 4),
            "z": round(self.z, 2),
            "examples": list(self.examples),
        }


UNKNOWN = ""  # the product of a conversation that names none and led to no order
BASES = ("asked", "led", "before", "unknown")  # how a conversation got its product


@dataclass
class ProductVoice:
    """One product's part of the month: its conversations' topics, lost sales, rising words."""

    product: str  # UNKNOWN ('') for the conversations with no product
    title: str | None
    conversations: int  # (agent, buyer) conversations of the month with the product
    buyer_messages: int
    topics: list[TopicCount]
    lost_sales: list[LostTopic]
    lost_inquiries: int
    converted_inquiries: int
    rising: list[RisingTerm]

    def to_json(self) -> dict[str, Any]:
        return {
            "product": self.product or None,
            "title": self.title,
            "conversations": self.conversations,
            "buyer_messages": self.buyer_messages,
            "topics": [t.to_json() for t in self.topics],
            "lost_inquiries": self.lost_inquiries,
            "converted_inquiries": self.converted_inquiries,
            "lost_sales": [t.to_json() for t in self.lost_sales],
            "rising": [r.to_json() for r in self.rising],
        }


@dataclass
class VoiceMonth:
    """What buyers of one shop (or one agent, or one product) said in one month, and what it cost."""

    shop_id: str
    month: str
    agent: str | None
    product: str | None  # the product selected (UNKNOWN = the conversations with none)
    buyer_messages: int
    topics: list[TopicCount]
    topics_by_agent: dict[str, list[TopicCount]]
    lost_sales: list[LostTopic]
    lost_by_agent: dict[str, list[LostTopic]]
    lost_inquiries: int
    converted_inquiries: int
    rising: list[RisingTerm]
    products_known: bool
    provisional: bool
    previous_months: list[str] = field(default_factory=list)
    topic_examples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    products: list[ProductVoice] = field(default_factory=list)  # by messages; unknown last
    product_basis: dict[str, int] = field(default_factory=dict)  # conversations per BASES
    classified: int = 0  # texts classified anew in this run (not from the store's cache)
    product_title: str | None = None  # the selected product's title

    def to_json(self) -> dict[str, Any]:
        """The JSON contract of `kefu voice --format json` (docs/voice.md), then the extra keys."""
        return {
            "shop_id": self.shop_id,
            "month": self.month,
            "topics": [t.to_json() for t in self.topics],
            "lost_sales": [t.to_json() for t in self.lost_sales],
            "rising": [r.to_json() for r in self.rising],
            "agent": self.agent,
            "product": None if self.product is None else (self.product or "-"),
            "product_basis": {b: self.product_basis.get(b, 0) for b in BASES},
            "products": [p.to_json() for p in self.products],
            "agents": [
                {
                    "agent": a,
                    "topics": [t.to_json() for t in items],
                    "lost_sales": [t.to_json() for t in self.lost_by_agent.get(a, [])],
                }
                for a, items in self.topics_by_agent.items()
            ],
        }


class VoiceError(Refusal, ValueError):
    """A voice question that cannot be answered; the message says what to do."""


def products_known(store: Store, shop: str) -> bool:
    """True once the shop has products: order lines, or its product file."""
    row = store.con.execute(
        "SELECT (SELECT count(*) FROM order_items WHERE shop_id = ?)"
        " + (SELECT count(*) FROM products WHERE shop_id = ?)",
        [shop, shop],
    ).fetchone()
    return bool(row and row[0])


def _ts(month: str) -> tuple[datetime, datetime]:
    first, last = month_bounds(month)
    start = datetime(first.year, first.month, 1)
    end_month = last.month % 12 + 1
    end = datetime(last.year + (last.month == 12), end_month, 1)
    return start, end


def _shift(month: str, n: int) -> str:
    y, m = (int(x) for x in month.split("-"))
    i = y * 12 + m - 1 + n
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def _examples(texts: Counter[str], n: int = EXAMPLES) -> tuple[str, ...]:
    """The most frequent texts, masked again for display (never trust what is stored)."""
    ranked = sorted(texts.items(), key=lambda kv: (-kv[1], kv[0]))
    out: list[str] = []
    for text, _ in ranked:
        shown = mask(text)
        if shown not in out:
            out.append(shown)
        if len(out) == n:
            break
    return tuple(out)


# The conversations of a span, each (agent, buyer, calendar month) with its product: the
# product it names (a product id or merchant code of 4+ letters, digits, '-' or '_' that is a
# whole word of the buyer's messages, as the metric step buyer_mix reads it; the smallest id
# when several are named), else the product of the order it led to (the buyer's first order
# created from its first message to attribution_days after its last), else the product of
# the buyer's latest order before it (an after-sale question is about what was bought), else
# UNKNOWN. An order's product is its largest line's (line_fen, then product id).
_CONVERSATIONS = """
CREATE OR REPLACE TEMP TABLE _voice_conv AS
WITH conv AS (
    SELECT m.agent_id, m.buyer_id, date_trunc('month', m.sent_at) AS month,
           min(m.sent_at) AS first_at, max(m.sent_at) AS last_at
    FROM messages m WHERE {where} AND m.sent_at >= ? AND m.sent_at < ?
    GROUP BY ALL
),
keys AS (
    SELECT DISTINCT product_id, product_id AS k FROM order_items
    WHERE shop_id = ? AND length(product_id) >= 4
    UNION
    SELECT DISTINCT product_id, sku AS k FROM order_items
    WHERE shop_id = ? AND sku IS NOT NULL AND length(sku) >= 4
    UNION
    SELECT product_id, product_id AS k FROM products WHERE shop_id = ? AND length(product_id) >= 4
),
asked AS (
    SELECT t.agent_id, t.buyer_id, t.month, min(k.product_id) AS product_id
    FROM (
        SELECT m.agent_id, m.buyer_id, date_trunc('month', m.sent_at) AS month,
               unnest(regexp_extract_all(m.text, '[A-Za-z0-9_-]{{4,}}')) AS token
        FROM messages m WHERE {where} AND m.sent_at >= ? AND m.sent_at < ?
    ) t
    JOIN keys k ON k.k = t.token
    GROUP BY ALL
),
lines AS (
    SELECT order_id, product_id FROM order_items WHERE shop_id = ?
    QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY line_fen DESC, product_id) = 1
),
ords AS (
    SELECT o.buyer_id, o.created_at, l.product_id,
           strftime(o.created_at, '%Y-%m-%d %H:%M:%S') || o.order_id AS rank_key
    FROM orders o JOIN lines l ON l.order_id = o.order_id
    WHERE o.shop_id = ? AND o.created_at IS NOT NULL
),
near AS (
    SELECT c.agent_id, c.buyer_id, c.month,
           arg_min(o.product_id, o.rank_key) FILTER (
               WHERE o.created_at >= c.first_at AND o.created_at <= c.last_at + to_days(?)
           ) AS led,
           arg_max(o.product_id, o.rank_key) FILTER (WHERE o.created_at < c.first_at) AS before
    FROM conv c JOIN ords o ON o.buyer_id = c.buyer_id
    GROUP BY ALL
)
SELECT c.agent_id, c.buyer_id, c.month,
       coalesce(a.product_id, n.led, n.before, '') AS product,
       CASE WHEN a.product_id IS NOT NULL THEN 'asked' WHEN n.led IS NOT NULL THEN 'led'
            WHEN n.before IS NOT NULL THEN 'before' ELSE 'unknown' END AS basis
FROM conv c
LEFT JOIN asked a ON a.agent_id = c.agent_id AND a.buyer_id = c.buyer_id AND a.month = c.month
LEFT JOIN near n ON n.agent_id = c.agent_id AND n.buyer_id = c.buyer_id AND n.month = c.month
"""

# joins a buyer message `m` to its conversation `c`
_JOIN_CONV = (
    "JOIN _voice_conv c ON c.agent_id = m.agent_id AND c.buyer_id = m.buyer_id"
    " AND c.month = date_trunc('month', m.sent_at)"
)


def _counter_dict() -> defaultdict[str, Counter[str]]:
    return defaultdict(Counter)


def shop_classifier(store: Store, shop: str) -> Classifier:
    """A classifier with the shop's own lexicon when one is kept in the store, else kefu's."""
    from kefu.store.lexicons import shop_lexicon
    from kefu.voice.lexicon import load_lexicon

    kept = shop_lexicon(store, shop)
    return Classifier(load_lexicon(text=kept.text, name=f"{shop} lexicon") if kept else None)


class VoiceOfBuyer:
    """Reads a store and answers the voice questions for a shop and month."""

    def __init__(
        self,
        store: Store,
        classifier: Classifier | None = None,
        write_lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.store = store
        self.classifier = classifier or Classifier()
        self.write_lock = write_lock  # held while the classification cache is written (web)
        self._product_messages: dict[str, int] = {}  # buyer messages per product, last month read
        self._in_store = False  # whether the store's cache holds every label of the month read

    # -- helpers -----------------------------------------------------------------------------
    def _filter(self, shop: str, agent: str | None) -> tuple[str, list[Any]]:
        s = from_mapping(self.store.settings(shop))
        where = "m.shop_id = ? AND m.sender = 'buyer'"
        args: list[Any] = [shop]
        ignored = list(s.ignored_accounts)
        if ignored:
            marks = ", ".join("?" for _ in ignored)
            where += f" AND m.agent_id NOT IN ({marks}) AND m.buyer_id NOT IN ({marks})"
            args += ignored + ignored
        if agent:
            where += " AND m.agent_id = ?"
            args.append(agent)
        return where, args

    def _label(self, texts: list[str], name: str) -> None:
        """Register `name` (text, topic) for `texts` that carry a topic (sub-topics too)."""
        rows_text: list[str] = []
        rows_topic: list[str] = []
        for text in texts:
            lab = self.classifier.labels(text)
            for code in lab.topics + lab.subtopics:
                rows_text.append(text)
                rows_topic.append(code)
        table = pa.table(
            {
                "text": pa.array(rows_text, type=pa.string()),
                "topic": pa.array(rows_topic, type=pa.string()),
            }
        )
        self.store.con.register(name, table)

    def resolve_agent(self, shop: str, agent: str | None) -> str | None:
        """An agent given as 店铺:子账号 or as the sub-account alone; None when not given."""
        if not agent:
            return None
        rows = [
            r[0]
            for r in self.store.con.execute(
                "SELECT DISTINCT agent_id FROM messages WHERE shop_id = ? "
                "UNION SELECT agent_id FROM agents WHERE shop_id = ?",
                [shop, shop],
            ).fetchall()
        ]
        if agent in rows:
            return agent
        named = [a for a in rows if a.partition(":")[2] == agent]
        if len(named) == 1:
            return named[0]
        raise VoiceError("voice.err.agent_unknown", agent=agent, shop=shop)

    def titles(self, shop: str) -> dict[str, str]:
        """Each product's title: the shop's product file, else the latest of its order lines."""
        out: dict[str, str] = {}
        for pid, title in self.store.con.execute(
            "SELECT i.product_id, arg_max(i.title, o.created_at) FROM order_items i"
            " JOIN orders o ON o.shop_id = i.shop_id AND o.order_id = i.order_id"
            " WHERE i.shop_id = ? AND i.title IS NOT NULL GROUP BY 1",
            [shop],
        ).fetchall():
            out[pid] = title
        for pid, title in self.store.con.execute(
            "SELECT product_id, title FROM products WHERE shop_id = ? AND title IS NOT NULL",
            [shop],
        ).fetchall():
            out[pid] = title
        return out

    def resolve_product(self, shop: str, product: str | None) -> str | None:
        """A product given as its id, merchant code (SKU) or exact title; '-' = no product."""
        if product is None:
            return None
        if product == "-":
            return UNKNOWN
        con = self.store.con
        ids = {
            r[0]
            for r in con.execute(
                "SELECT product_id FROM order_items WHERE shop_id = ?"
                " UNION SELECT product_id FROM products WHERE shop_id = ?",
                [shop, shop],
            ).fetchall()
        }
        if not ids:
            raise VoiceError("voice.err.no_products", shop=shop)
        if product in ids:
            return product
        by_sku = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT product_id FROM order_items WHERE shop_id = ? AND sku = ?",
                [shop, product],
            ).fetchall()
        }
        by_title = {p for p, t in self.titles(shop).items() if t == product}
        for found in (by_sku, by_title):
            if len(found) == 1:
                return found.pop()
        raise VoiceError("voice.err.product_unknown", product=product, shop=shop)

    def _conversations(self, shop: str, start: datetime, end: datetime) -> None:
        """The temp table `_voice_conv`: every conversation of [start, end) with its product."""
        s = from_mapping(self.store.settings(shop))
        where, args = self._filter(shop, None)
        span = [*args, start, end]
        self.store.con.execute(
            _CONVERSATIONS.format(where=where),
            [*span, shop, shop, shop, *span, shop, shop, s.attribution_days],
        )

    # -- the month ---------------------------------------------------------------------------
    def month(
        self,
        shop: str,
        month: str,
        *,
        agent: str | None = None,
        product: str | None = None,
        lost_sales: bool = True,
        rising: bool = True,
    ) -> VoiceMonth:

        known = products_known(self.store, shop)
        agent = self.resolve_agent(shop, agent)
        product = self.resolve_product(shop, product)
        previous = [_shift(month, -k) for k in range(PREVIOUS_MONTHS, 0, -1)]
        start, end = _ts(month)
        first = _ts(previous[0])[0] if rising else start
        where, args = self._filter(shop, agent)
        primed = prime(
            self.store,
            shop,
            self.classifier,
            f"{where} AND m.sent_at >= ? AND m.sent_at < ?",
            [*args, first, end],
            self.write_lock,
            load=lost_sales or rising,  # those parts label texts in Python
        )
        self._in_store = primed.in_store
        classified = primed.classified
        self._conversations(shop, first, end)
        try:
            topics, by_agent, by_product, buyer_messages, examples = self._topics(
                shop, month, agent, product
            )
            lost: list[LostTopic] = []
            lost_by_agent: dict[str, list[LostTopic]] = {}
            lost_by_product: dict[str, tuple[list[LostTopic], int, int]] = {}
            n_lost = n_conv = 0
            provisional = False
            if lost_sales:
                lost, lost_by_agent, lost_by_product, n_lost, n_conv, provisional = self._lost(
                    shop, month, agent, product
                )
            rise: list[RisingTerm] = []
            rise_by_product: dict[str, list[RisingTerm]] = {}
            if rising:
                rise, rise_by_product = self._rising(shop, month, previous, agent, product)
            conv, basis = self._conversation_counts(month, agent, product)
        finally:
            self.store.con.execute("DROP TABLE IF EXISTS _voice_conv")
        titles = self.titles(shop)
        products = []
        for pid, n_conv_p in conv.items():
            lp, lo, co = lost_by_product.get(pid, ([], 0, 0))
            products.append(
                ProductVoice(
                    product=pid,
                    title=titles.get(pid),
                    conversations=n_conv_p,
                    buyer_messages=self._product_messages.get(pid, 0),
                    topics=by_product.get(pid, []),
                    lost_sales=lp,
                    lost_inquiries=lo,
                    converted_inquiries=co,
                    rising=rise_by_product.get(pid, []),
                )
            )
        products.sort(key=lambda p: (p.product == UNKNOWN, -p.buyer_messages, p.product))
        return VoiceMonth(
            shop_id=shop,
            month=month,
            agent=agent,
            product=product,
            buyer_messages=buyer_messages,
            topics=topics,
            topics_by_agent=by_agent,
            lost_sales=lost,
            lost_by_agent=lost_by_agent,
            lost_inquiries=n_lost,
            converted_inquiries=n_conv,
            rising=rise,
            products_known=known,
            provisional=provisional,
            previous_months=previous,
            topic_examples=examples,
            products=products,
            product_basis=basis,
            classified=classified,
            product_title=titles.get(product) if product else None,
        )

    def _conversation_counts(
        self, month: str, agent: str | None, product: str | None
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Conversations of the month (of the selection) per product, and per basis."""
        start, _ = _ts(month)
        cond = "c.month = ?"
        args: list[Any] = [start]
        if agent:
            cond += " AND c.agent_id = ?"
            args.append(agent)
        if product is not None:
            cond += " AND c.product = ?"
            args.append(product)
        con = self.store.con
        rows = con.execute(
            f"SELECT c.product, c.basis, count(*) FROM _voice_conv c WHERE {cond} GROUP BY 1, 2",
            args,
        ).fetchall()
        per_product: Counter[str] = Counter()
        per_basis: Counter[str] = Counter()
        for p, b, n in rows:
            per_product[p] += int(n)
            per_basis[b] += int(n)
        return dict(per_product), dict(per_basis)

    def topics(self, shop: str, month: str, agent: str | None = None) -> list[TopicCount]:
        """Only the topics of the month (no engine run, no lost sales, no rising words)."""
        return self.month(shop, month, agent=agent, lost_sales=False, rising=False).topics

    def _topics(
        self, shop: str, month: str, agent: str | None, product: str | None
    ) -> tuple[
        list[TopicCount],
        dict[str, list[TopicCount]],
        dict[str, list[TopicCount]],
        int,
        dict[str, tuple[str, ...]],
    ]:
        con = self.store.con
        start, end = _ts(month)
        where, args = self._filter(shop, agent)
        where += " AND m.sent_at >= ? AND m.sent_at < ?"
        args += [start, end]
        if product is not None:
            where += " AND c.product = ?"
            args.append(product)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _voice_counts AS SELECT m.text, count(*) AS n"
            f" FROM messages m {_JOIN_CONV} WHERE {where} GROUP BY m.text",
            args,
        )
        if self._in_store:  # the labels stay in DuckDB: no text comes to Python
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _voice_labels AS "
                + labels_sql("SELECT text FROM _voice_counts"),
                [shop, self.classifier.version],
            )
        else:
            texts = [r[0] for r in con.execute("SELECT text FROM _voice_counts").fetchall()]
            self._label(texts, "_voice_labels")
        try:
            rows = con.execute(
                f"""SELECT grouping(m.agent_id), grouping(c.product), m.agent_id, c.product,
                           l.topic, count(*) AS messages, count(DISTINCT m.buyer_id) AS buyers
                    FROM messages m {_JOIN_CONV} JOIN _voice_labels l ON l.text = m.text
                    WHERE {where}
                    GROUP BY GROUPING SETS ((l.topic), (m.agent_id, l.topic), (c.product, l.topic))""",
                args,
            ).fetchall()
            topical_rows = con.execute(
                f"""SELECT grouping(m.agent_id), grouping(c.product), m.agent_id, c.product,
                           count(*)
                    FROM messages m {_JOIN_CONV}
                    SEMI JOIN (SELECT DISTINCT text FROM _voice_labels) l ON l.text = m.text
                    WHERE {where} GROUP BY GROUPING SETS ((), (m.agent_id), (c.product))""",
                args,
            ).fetchall()
            per_product_messages = dict(
                con.execute(
                    f"SELECT c.product, count(*) FROM messages m {_JOIN_CONV} WHERE {where}"
                    " GROUP BY 1",
                    args,
                ).fetchall()
            )
            row = con.execute("SELECT coalesce(sum(n), 0) FROM _voice_counts").fetchone()
            buyer_messages = int(row[0]) if row else 0
            # examples: the most frequent texts of each top-level topic (masked below)
            example_rows = con.execute(
                """SELECT l.topic, c.text, c.n FROM _voice_counts c
                   JOIN _voice_labels l ON l.text = c.text
                   WHERE l.topic NOT LIKE '%.%'
                   QUALIFY row_number() OVER (PARTITION BY l.topic ORDER BY c.n DESC, c.text)
                           <= ?""",
                [EXAMPLES * 4],
            ).fetchall()
        finally:
            if self._in_store:
                con.execute("DROP TABLE IF EXISTS _voice_labels")
            else:
                con.unregister("_voice_labels")
            con.execute("DROP TABLE IF EXISTS _voice_counts")
        self._product_messages = {p: int(n) for p, n in per_product_messages.items()}
        topical: dict[tuple[str, str | None], int] = {}
        for ga, gp, agent_id, prod, n in topical_rows:
            key = ("agent", agent_id) if not ga else ("product", prod) if not gp else ("shop", None)
            topical[key] = int(n)
        order = {c: i for i, c in enumerate(TOPICS)}

        def ranked(items: list[TopicCount]) -> list[TopicCount]:
            return sorted(items, key=lambda t: (-t.messages, order.get(t.topic, 99), t.topic))

        shop_rows: list[TopicCount] = []
        per_agent: dict[str, list[TopicCount]] = defaultdict(list)
        per_product: dict[str, list[TopicCount]] = defaultdict(list)
        for ga, gp, agent_id, prod, topic, messages, buyers in rows:
            if not ga:
                per_agent[agent_id].append(
                    TopicCount(
                        topic, int(messages), int(buyers), topical.get(("agent", agent_id), 0)
                    )
                )
            elif not gp:
                per_product[prod].append(
                    TopicCount(topic, int(messages), int(buyers), topical.get(("product", prod), 0))
                )
            else:
                shop_rows.append(
                    TopicCount(topic, int(messages), int(buyers), topical.get(("shop", None), 0))
                )
        by_text: dict[str, Counter[str]] = defaultdict(Counter)
        for code, text, n in example_rows:
            by_text[code][text] += int(n)
        examples = {code: _examples(c) for code, c in by_text.items()}
        return (
            ranked(shop_rows),
            {a: ranked(v) for a, v in sorted(per_agent.items())},
            {p: ranked(v) for p, v in per_product.items()},
            buyer_messages,
            examples,
        )

    def _lost(
        self, shop: str, month: str, agent: str | None, product: str | None
    ) -> tuple[
        list[LostTopic],
        dict[str, list[LostTopic]],
        dict[str, tuple[list[LostTopic], int, int]],
        int,
        int,
        bool,
    ]:
        con = self.store.con
        start, _ = _ts(month)
        product_of = {
            (a, b): p
            for a, b, p in con.execute(
                "SELECT agent_id, buyer_id, product FROM _voice_conv WHERE month = ?", [start]
            ).fetchall()
        }
        kpis = StoreKpis(self.store)
        sm = kpis.compute([shop], [month])[shop][month]  # leaves sess, credited, in_messages
        texts = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT text FROM in_messages WHERE sender = 'buyer' AND shop_id = ?",
                [shop],
            ).fetchall()
        ]
        topical = [t for t in texts if self.classifier.labels(t).topics]
        con.register("_voice_topical", pa.table({"text": pa.array(topical, type=pa.string())}))
        agent_sql = "AND agent_id = ?" if agent else ""
        args: list[Any] = [shop, month, *([agent] if agent else []), month, LAST_MESSAGES]
        try:
            rows = con.execute(
                f"""
                WITH inq AS (
                    SELECT shop_id, buyer_id, agent_id, start_s, end_s FROM sess
                    WHERE is_inquiry AND shop_id = ? AND strftime(start_at, '%Y-%m') = ? {agent_sql}
                ),
                units AS (
                    SELECT i.shop_id, i.agent_id, i.buyer_id, c.buyer_id IS NOT NULL AS converted
                    FROM (SELECT DISTINCT shop_id, agent_id, buyer_id FROM inq) i
                    LEFT JOIN (SELECT DISTINCT shop_id, agent_id, buyer_id FROM credited
                               WHERE month = ?) c
                      ON c.shop_id = i.shop_id AND c.agent_id = i.agent_id AND c.buyer_id = i.buyer_id
                ),
                said AS (
                    SELECT DISTINCT m.shop_id, m.agent_id, m.buyer_id, m.sent_s, m.text
                    FROM in_messages m
                    JOIN inq i ON i.shop_id = m.shop_id AND i.buyer_id = m.buyer_id
                     AND i.agent_id = m.agent_id AND m.sent_s BETWEEN i.start_s AND i.end_s
                    SEMI JOIN _voice_topical t ON t.text = m.text
                    WHERE m.sender = 'buyer'
                ),
                last AS (
                    SELECT *, row_number() OVER (PARTITION BY shop_id, agent_id, buyer_id
                                                 ORDER BY sent_s DESC, text DESC) AS k
                    FROM said
                )
                SELECT u.agent_id, u.buyer_id, u.converted, l.text
                FROM units u
                LEFT JOIN last l ON l.shop_id = u.shop_id AND l.agent_id = u.agent_id
                 AND l.buyer_id = u.buyer_id AND l.k <= ?
                ORDER BY 1, 2
                """,
                args,
            ).fetchall()
        finally:
            con.unregister("_voice_topical")
        units: dict[tuple[str, str], tuple[bool, set[str], list[str]]] = {}
        for agent_id, buyer, converted, text in rows:
            key = (agent_id, buyer)
            if product is not None and product_of.get(key, UNKNOWN) != product:
                continue
            if key not in units:
                units[key] = (bool(converted), set(), [])
            if text is not None:
                units[key][1].update(self.classifier.labels(text).topics)
                units[key][2].append(text)
        shop_rank = _rank(units.values(), self.classifier.topics)
        per_agent: dict[str, list[tuple[bool, set[str], list[str]]]] = defaultdict(list)
        per_product: dict[str, list[tuple[bool, set[str], list[str]]]] = defaultdict(list)
        for (agent_id, buyer), u in units.items():
            per_agent[agent_id].append(u)
            per_product[product_of.get((agent_id, buyer), UNKNOWN)].append(u)
        n_lost = sum(1 for c, _, _ in units.values() if not c)
        n_conv = len(units) - n_lost
        by_product = {}
        for p, us in per_product.items():
            lo = sum(1 for c, _, _ in us if not c)
            by_product[p] = (_rank(us, self.classifier.topics), lo, len(us) - lo)
        return (
            shop_rank,
            {a: _rank(v, self.classifier.topics) for a, v in sorted(per_agent.items())},
            by_product,
            n_lost,
            n_conv,
            sm.provisional,
        )

    def _rising(
        self, shop: str, month: str, previous: list[str], agent: str | None, product: str | None
    ) -> tuple[list[RisingTerm], dict[str, list[RisingTerm]]]:
        """Rising words of the selection, and of each product against its own earlier months."""
        con = self.store.con
        start, end = _ts(month)
        before, _ = _ts(previous[0])
        where, args = self._filter(shop, agent)
        where += " AND m.sent_at >= ? AND m.sent_at < ?"
        args += [before, end]
        if product is not None:
            where += " AND c.product = ?"
            args.append(product)
        counts = con.execute(
            f"SELECT m.text, m.sent_at >= ? AS now, c.product, count(*) FROM messages m "
            f"{_JOIN_CONV} WHERE {where} GROUP BY ALL",
            [start, *args],
        ).fetchall()
        # per key (None = the selection, else a product): texts per term now, counts per term
        now: dict[str | None, defaultdict[str, Counter[str]]] = defaultdict(_counter_dict)
        term_now: dict[str | None, Counter[str]] = defaultdict(Counter)
        term_then: dict[str | None, Counter[str]] = defaultdict(Counter)
        total_now: Counter[str | None] = Counter()
        total_then: Counter[str | None] = Counter()
        rows_text: list[str] = []
        rows_term: list[str] = []
        seen: set[str] = set()
        for text, is_now, prod, n in counts:
            lab = self.classifier.labels(text)
            if not lab.topics:
                continue
            n = int(n)
            for key in (None, prod):
                if is_now:
                    total_now[key] += n
                else:
                    total_then[key] += n
                for term in lab.terms:
                    (term_now if is_now else term_then)[key][term] += n
                    if is_now:
                        now[key][term][text] += n
            if text not in seen and lab.terms:
                seen.add(text)
                rows_text += [text] * len(lab.terms)
                rows_term += list(lab.terms)
        candidates: dict[str | None, list[tuple[str, float]]] = {}
        for key in term_now:
            tn, tt = total_now[key], total_then[key]
            if not tn or not tt:
                continue
            found = []
            for term, n in term_now[key].items():
                if n < MIN_RISING_MESSAGES:
                    continue
                # the prior never outweighs the data: a product's few messages would drown
                z = log_odds_z(
                    n, tn, term_then[key].get(term, 0), tt, min(PRIOR_WEIGHT, float(tn + tt))
                )
                if z >= MIN_RISING_Z and n / tn > term_then[key].get(term, 0) / tt:
                    found.append((term, z))
            if found:
                candidates[key] = found
        if not candidates:
            return [], {}
        wanted = {t for found in candidates.values() for t, _ in found}
        keep = [i for i, t in enumerate(rows_term) if t in wanted]
        con.register(
            "_voice_terms",
            pa.table(
                {
                    "text": pa.array([rows_text[i] for i in keep], type=pa.string()),
                    "term": pa.array([rows_term[i] for i in keep], type=pa.string()),
                }
            ),
        )
        try:
            buyers: dict[tuple[str | None, str], int] = {}
            for gp, prod, term, b in con.execute(
                f"""SELECT grouping(c.product), c.product, t.term, count(DISTINCT m.buyer_id)
                    FROM messages m {_JOIN_CONV} JOIN _voice_terms t ON t.text = m.text
                    WHERE {where} AND m.sent_at >= ?
                    GROUP BY GROUPING SETS ((t.term), (c.product, t.term))""",
                [*args, start],
            ).fetchall():
                buyers[(None if gp else prod, term)] = int(b)
        finally:
            con.unregister("_voice_terms")
        out: dict[str | None, list[RisingTerm]] = {}
        for key, found in candidates.items():
            terms = []
            for term, z in found:
                b = buyers.get((key, term), 0)
                if b < MIN_RISING_BUYERS:
                    continue
                topic_votes: Counter[str] = Counter()
                for text, n in now[key][term].items():
                    for code in self.classifier.labels(text).topics:
                        topic_votes[code] += n
                topic = (
                    min(topic_votes.items(), key=lambda kv: (-kv[1], kv[0]))[0]
                    if topic_votes
                    else None
                )
                terms.append(
                    RisingTerm(
                        term=term,
                        topic=topic,
                        messages=term_now[key][term],
                        buyers=b,
                        total=total_now[key],
                        previous_messages=term_then[key].get(term, 0),
                        previous_total=total_then[key],
                        z=z,
                        examples=_examples(now[key][term]),
                    )
                )
            terms.sort(key=lambda r: (-r.z, r.term))
            out[key] = terms[:TOP_RISING]
        shop_terms = out.pop(None, [])
        return shop_terms, {k: v for k, v in out.items() if k is not None and v}


def _rank(units: Any, topics_of: Callable[[str], tuple[str, ...]]) -> list[LostTopic]:
    """Topics of lost against converted inquiries; those with MIN_LOST lost ones, by lift."""
    units = list(units)
    n_lost = sum(1 for c, _, _ in units if not c)
    n_conv = len(units) - n_lost
    lost: Counter[str] = Counter()
    conv: Counter[str] = Counter()
    examples: dict[str, Counter[str]] = defaultdict(Counter)
    for converted, topics, texts in units:
        for t in topics:
            (conv if converted else lost)[t] += 1
        if not converted:
            for text in texts:  # an example of a topic: a lost buyer's message that carries it
                for t in topics_of(text):
                    examples[t][text] += 1
    out = [
        LostTopic(t, lost[t], conv[t], n_lost, n_conv, _examples(examples[t]))
        for t in TOPICS
        if lost[t] >= MIN_LOST
    ]
    out.sort(key=lambda x: (-x.lift, -x.lost, x.topic))
    return out
