"""The monthly digest for management: a short Markdown summary of one shop-month's voice of the buyer."""

from __future__ import annotations

from kefu.i18n import t
from kefu.inert import visible
from kefu.voice.month import UNKNOWN, LostTopic, ProductVoice, RisingTerm, TopicCount, VoiceMonth

TOP_TOPICS = 3
TOP_LOST = 3
TOP_RISING = 3
TOP_PRODUCTS = 10  # products in the digest (by buyer messages); unknown product always shown


def topic_name(code: str, lang: str) -> str:
    """A topic's name in `lang`; a shop's sub-topic (quality.pilling) shows its parent's name too."""
    parent, _, sub = code.partition(".")
    name = t(f"voice.topic.{parent}", lang)
    return f"{name} · {sub}" if sub else name


def product_name(product: str, title: str | None, lang: str) -> str:
    """A product as people read it: its id and title; the conversations with none say so."""
    if not product:
        return t("voice.unknown_product", lang)
    return f"{product} {title}" if title and title != product else product


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _topics(items: list[TopicCount], lang: str) -> str:
    shown = [
        t("voice.digest.item_topic", lang, name=topic_name(i.topic, lang), share=_pct(i.share))
        for i in items
        if i.topic != "other" and "." not in i.topic
    ][:TOP_TOPICS]
    return t("voice.digest.sep", lang).join(shown) or t("voice.digest.nothing", lang)


def _lost(items: list[LostTopic], lang: str) -> str:
    shown = [
        t(
            "voice.digest.item_lost",
            lang,
            name=topic_name(i.topic, lang),
            lift=f"{i.lift:.1f}",
            lost=i.lost,
        )
        for i in items
        if i.lift >= 1.1 and i.topic != "other"
    ][:TOP_LOST]
    return t("voice.digest.sep", lang).join(shown) or t("voice.digest.nothing", lang)


def _rising_terms(items: list[RisingTerm], lang: str) -> str:
    shown = [visible(r.term) for r in items[:TOP_RISING]]
    return t("voice.digest.sep", lang).join(shown) or t("voice.digest.nothing", lang)


def basis_line(v: VoiceMonth, lang: str) -> str:
    """How the month's conversations got their product (docs/voice.md, "Products")."""
    b = v.product_basis
    return t(
        "voice.basis",
        lang,
        total=sum(b.values()),
        asked=b.get("asked", 0),
        led=b.get("led", 0),
        before=b.get("before", 0),
        unknown=b.get("unknown", 0),
    )


def shown_products(v: VoiceMonth) -> tuple[list[ProductVoice], int]:
    """The products a summary shows (the first TOP_PRODUCTS, unknown product always) and how
    many it leaves to the full output."""
    known = [p for p in v.products if p.product != UNKNOWN]
    unknown = [p for p in v.products if p.product == UNKNOWN]
    return known[:TOP_PRODUCTS] + unknown, max(0, len(known) - TOP_PRODUCTS)


def digest(v: VoiceMonth, lang: str = "zh") -> str:
    """Top topics, top lost-sale reasons, what is new, and the same per agent (product when known)."""
    title = t("voice.digest.title", lang, shop=visible(v.shop_id), month=v.month)
    lines = [f"# {title}", ""]
    if v.agent or v.product is not None:
        chosen = [visible(v.agent)] if v.agent else []
        if v.product is not None:
            chosen.append(visible(product_name(v.product, v.product_title, lang)))
        lines = [f"# {title} · {' · '.join(chosen)}", ""]
    lines.append("- " + t("voice.digest.top", lang, items=_topics(v.topics, lang)))
    lines.append("- " + t("voice.digest.lost", lang, items=_lost(v.lost_sales, lang)))
    sep = t("voice.digest.sep_items", lang)
    rising = [
        t(
            "voice.digest.item_rising",
            lang,
            term=visible(r.term),
            messages=r.messages,
            previous=r.previous_messages,
            example=visible(r.examples[0]) if r.examples else "",
        )
        for r in v.rising[:TOP_RISING]
    ]
    lines.append(
        "- "
        + t("voice.digest.rising", lang, items=sep.join(rising) or t("voice.digest.nothing", lang))
    )
    if v.provisional:
        lines.append("- " + t("voice.provisional", lang))
    if not v.products_known:
        lines += ["", t("voice.no_products", lang)]
    if v.products and v.product is None:
        lines += ["", f"## {t('voice.digest.by_product', lang)}", "", basis_line(v, lang), ""]
        products, more = shown_products(v)
        for p in products:
            lines.append(
                "- "
                + t(
                    "voice.digest.product",
                    lang,
                    product=visible(product_name(p.product, p.title, lang)),
                    conversations=p.conversations,
                    topics=_topics(p.topics, lang),
                    lost=_lost(p.lost_sales, lang),
                    rising=_rising_terms(p.rising, lang),
                )
            )
        if more:
            lines.append("- " + t("voice.digest.more_products", lang, n=more))
    if v.agent is None and v.topics_by_agent:
        lines += ["", f"## {t('voice.digest.by_agent', lang)}", ""]
        for agent, items in v.topics_by_agent.items():
            lost = v.lost_by_agent.get(agent, [])
            lines.append(
                "- "
                + t(
                    "voice.digest.agent",
                    lang,
                    agent=visible(agent),
                    topics=_topics(items, lang),
                    lost=_lost(lost, lang),
                )
            )
    return "\n".join(lines) + "\n"
