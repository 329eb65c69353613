"""The monthly digest for management: a short Markdown summary of one shop-month's voice of the buyer."""

from __future__ import annotations

from kefu.i18n import t
from kefu.inert import visible
from kefu.voice.month import LostTopic, TopicCount, VoiceMonth

TOP_TOPICS = 3
TOP_LOST = 3
TOP_RISING = 3


def topic_name(code: str, lang: str) -> str:
    """A topic's name in `lang`; a shop's sub-topic (quality.pilling) shows its parent's name too."""
    parent, _, sub = code.partition(".")
    name = t(f"voice.topic.{parent}", lang)
    return f"{name} · {sub}" if sub else name


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


def digest(v: VoiceMonth, lang: str = "zh") -> str:
    """Top topics, top lost-sale reasons, what is new, and the same per agent (product when known)."""
    lines = [f"# {t('voice.digest.title', lang, shop=visible(v.shop_id), month=v.month)}", ""]
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
