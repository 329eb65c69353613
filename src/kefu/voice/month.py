"""One shop-month's voice of the buyer: topics, lost-sale reasons and rising words, from the store.

Each distinct buyer text of the months read is classified once (DuckDB gives the distinct
texts and their counts; the classifier caches by text); counting messages and buyers per topic
is done by DuckDB on a small text → topic table. Lost sales reuse the metrics engine's own
inquiries (`sess.is_inquiry`) and credited orders (`credited`), so an inquiry "converted"
exactly when the KPI counts its buyer as a paying buyer of that agent-month.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
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
from kefu.voice.lexicon import TOPICS
from kefu.voice.stats import lift, log_odds_z
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


@dataclass
class VoiceMonth:
    """What buyers of one shop (or one agent) said in one month, and what it cost."""

    shop_id: str
    month: str
    agent: str | None
    product: str | None
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

    def to_json(self) -> dict[str, Any]:
        """The JSON contract of `kefu voice --format json` (docs/voice.md)."""
        return {
            "shop_id": self.shop_id,
            "month": self.month,
            "topics": [t.to_json() for t in self.topics],
            "lost_sales": [t.to_json() for t in self.lost_sales],
            "rising": [r.to_json() for r in self.rising],
        }


class VoiceError(Refusal, ValueError):
    """A voice question that cannot be answered; the message says what to do."""


def products_known(store: Store) -> bool:
    """True once the store keeps the products of orders (an `order_items` table)."""
    row = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'order_items'"
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


class VoiceOfBuyer:
    """Reads a store and answers the voice questions for a shop and month."""

    def __init__(self, store: Store, classifier: Classifier | None = None) -> None:
        self.store = store
        self.classifier = classifier or Classifier()

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
        known = products_known(self.store)
        if product is not None and not known:
            raise VoiceError("voice.err.no_products")
        if product is not None:  # the product key is designed in (docs/voice.md), not read yet
            raise VoiceError("voice.err.product_not_yet")
        agent = self.resolve_agent(shop, agent)
        topics, by_agent, buyer_messages, examples = self._topics(shop, month, agent)
        lost: list[LostTopic] = []
        lost_by_agent: dict[str, list[LostTopic]] = {}
        n_lost = n_conv = 0
        provisional = False
        if lost_sales:
            lost, lost_by_agent, n_lost, n_conv, provisional = self._lost(shop, month, agent)
        rise: list[RisingTerm] = []
        previous = [_shift(month, -k) for k in range(PREVIOUS_MONTHS, 0, -1)]
        if rising:
            rise = self._rising(shop, month, previous, agent)
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
        )

    def topics(self, shop: str, month: str, agent: str | None = None) -> list[TopicCount]:
        """Only the topics of the month (the fast part: no engine run)."""
        return self._topics(shop, month, agent)[0]

    def _topics(
        self, shop: str, month: str, agent: str | None
    ) -> tuple[list[TopicCount], dict[str, list[TopicCount]], int, dict[str, tuple[str, ...]]]:
        con = self.store.con
        start, end = _ts(month)
        where, args = self._filter(shop, agent)
        where += " AND m.sent_at >= ? AND m.sent_at < ?"
        args += [start, end]
        counts = con.execute(
            f"SELECT m.text, count(*) FROM messages m WHERE {where} GROUP BY m.text", args
        ).fetchall()
        texts = [t for t, _ in counts]
        self._label(texts, "_voice_labels")
        try:
            rows = con.execute(
                f"""SELECT m.agent_id, l.topic, count(*) AS messages,
                           count(DISTINCT m.buyer_id) AS buyers
                    FROM messages m JOIN _voice_labels l ON l.text = m.text
                    WHERE {where}
                    GROUP BY GROUPING SETS ((l.topic), (m.agent_id, l.topic))""",
                args,
            ).fetchall()
            topical_rows = con.execute(
                f"""SELECT m.agent_id, count(*) FROM messages m
                    SEMI JOIN (SELECT DISTINCT text FROM _voice_labels) l ON l.text = m.text
                    WHERE {where} GROUP BY GROUPING SETS ((), (m.agent_id))""",
                args,
            ).fetchall()
        finally:
            con.unregister("_voice_labels")
        topical = {a: int(n) for a, n in topical_rows}
        order = {c: i for i, c in enumerate(TOPICS)}

        def ranked(items: list[TopicCount]) -> list[TopicCount]:
            return sorted(items, key=lambda t: (-t.messages, order.get(t.topic, 99), t.topic))

        shop_rows: list[TopicCount] = []
        per_agent: dict[str, list[TopicCount]] = defaultdict(list)
        for agent_id, topic, messages, buyers in rows:
            if agent_id is None:
                shop_rows.append(
                    TopicCount(topic, int(messages), int(buyers), topical.get(None, 0))
                )
            else:
                per_agent[agent_id].append(
                    TopicCount(topic, int(messages), int(buyers), topical.get(agent_id, 0))
                )
        by_text: dict[str, Counter[str]] = defaultdict(Counter)
        for text, n in counts:
            for code in self.classifier.labels(text).topics:
                by_text[code][text] += int(n)
        examples = {code: _examples(c) for code, c in by_text.items()}
        return (
            ranked(shop_rows),
            {a: ranked(v) for a, v in sorted(per_agent.items())},
            sum(int(n) for _, n in counts),
            examples,
        )

    def _lost(
        self, shop: str, month: str, agent: str | None
    ) -> tuple[list[LostTopic], dict[str, list[LostTopic]], int, int, bool]:
        con = self.store.con
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
            if key not in units:
                units[key] = (bool(converted), set(), [])
            if text is not None:
                units[key][1].update(self.classifier.labels(text).topics)
                units[key][2].append(text)
        shop_rank = _rank(units.values(), self.classifier.topics)
        per_agent: dict[str, list[tuple[bool, set[str], list[str]]]] = defaultdict(list)
        for (agent_id, _), u in units.items():
            per_agent[agent_id].append(u)
        n_lost = sum(1 for c, _, _ in units.values() if not c)
        n_conv = len(units) - n_lost
        return (
            shop_rank,
            {a: _rank(v, self.classifier.topics) for a, v in sorted(per_agent.items())},
            n_lost,
            n_conv,
            sm.provisional,
        )

    def _rising(
        self, shop: str, month: str, previous: list[str], agent: str | None
    ) -> list[RisingTerm]:
        con = self.store.con
        start, end = _ts(month)
        before, _ = _ts(previous[0])
        where, args = self._filter(shop, agent)
        where += " AND m.sent_at >= ? AND m.sent_at < ?"
        args += [before, end]
        counts = con.execute(
            f"SELECT m.text, m.sent_at >= ? AS now, count(*) FROM messages m WHERE {where} "
            "GROUP BY ALL",
            [start, *args],
        ).fetchall()
        now: dict[str, Counter[str]] = defaultdict(Counter)
        term_now: Counter[str] = Counter()
        term_then: Counter[str] = Counter()
        total_now = total_then = 0
        rows_text: list[str] = []
        rows_term: list[str] = []
        seen: set[str] = set()
        for text, is_now, n in counts:
            lab = self.classifier.labels(text)
            if not lab.topics:
                continue
            if is_now:
                total_now += int(n)
            else:
                total_then += int(n)
            for term in lab.terms:
                (term_now if is_now else term_then)[term] += int(n)
                if is_now:
                    now[term][text] += int(n)
            if text not in seen and lab.terms:
                seen.add(text)
                rows_text += [text] * len(lab.terms)
                rows_term += list(lab.terms)
        if not total_now or not total_then:
            return []
        candidates = []
        for term, n in term_now.items():
            if n < MIN_RISING_MESSAGES:
                continue
            z = log_odds_z(n, total_now, term_then.get(term, 0), total_then)
            if z >= MIN_RISING_Z and n / total_now > term_then.get(term, 0) / total_then:
                candidates.append((term, z))
        if not candidates:
            return []
        wanted = {t for t, _ in candidates}
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
            buyers = dict(
                con.execute(
                    f"""SELECT t.term, count(DISTINCT m.buyer_id) FROM messages m
                        JOIN _voice_terms t ON t.text = m.text
                        WHERE {where} AND m.sent_at >= ? GROUP BY t.term""",
                    [*args, start],
                ).fetchall()
            )
        finally:
            con.unregister("_voice_terms")
        out = []
        for term, z in candidates:
            b = int(buyers.get(term, 0))
            if b < MIN_RISING_BUYERS:
                continue
            topic_votes: Counter[str] = Counter()
            for text, n in now[term].items():
                for code in self.classifier.labels(text).topics:
                    topic_votes[code] += n
            topic = (
                min(topic_votes.items(), key=lambda kv: (-kv[1], kv[0]))[0] if topic_votes else None
            )
            out.append(
                RisingTerm(
                    term=term,
                    topic=topic,
                    messages=term_now[term],
                    buyers=b,
                    total=total_now,
                    previous_messages=term_then.get(term, 0),
                    previous_total=total_then,
                    z=z,
                    examples=_examples(now[term]),
                )
            )
        out.sort(key=lambda r: (-r.z, r.term))
        return out[:TOP_RISING]


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
