"""CLI command: voice — what buyers asked about, what lost sales, what is new (and the digest)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kefu.cli.common import (
    DbOption,
    LangOption,
    MonthOption,
    ShopOption,
    check_lang,
    check_month,
    console,
    fail,
    h,
    open_db,
    resolve_shop,
    say,
)

if TYPE_CHECKING:
    from kefu.voice.month import VoiceMonth

FORMATS = ("table", "json")


def voice_cmd(
    month: MonthOption,
    shop: ShopOption = None,
    agent: Annotated[str | None, typer.Option("--agent", help=h("voice.opt.agent"))] = None,
    product: Annotated[str | None, typer.Option("--product", help=h("voice.opt.product"))] = None,
    fmt: Annotated[str, typer.Option("--format", help=h("voice.opt.format"))] = "table",
    digest: Annotated[bool, typer.Option("--digest", help=h("voice.opt.digest"))] = False,
    lexicon: Annotated[
        Path | None,
        typer.Option("--lexicon", help=h("voice.opt.lexicon")),
    ] = None,
    lang: LangOption = "zh",
    db: DbOption = None,
) -> None:
    """Topics of buyer messages, lost-sale reasons and newly rising words of one month."""
    from kefu.voice.lexicon import LexiconError, load_lexicon
    from kefu.voice.month import VoiceError, VoiceOfBuyer
    from kefu.voice.topics import Classifier

    lang = check_lang(lang)
    check_month(month)
    if fmt not in FORMATS:
        say("voice.err.format", formats=", ".join(FORMATS), value=fmt)
    from kefu.store.lexicons import shop_lexicon

    store = open_db(db, must_exist=True)
    shop_id = resolve_shop(store, shop)
    kept = None if lexicon is not None else shop_lexicon(store, shop_id)
    try:
        if kept is not None:  # the shop's own, uploaded on the voice page
            lex = load_lexicon(text=kept.text, name=f"{shop_id} lexicon")
        else:
            lex = load_lexicon(lexicon)
    except LexiconError as e:
        say("voice.err.lexicon", error=e)
    try:
        v = VoiceOfBuyer(store, Classifier(lex)).month(shop_id, month, agent=agent, product=product)
    except VoiceError as e:
        fail(e.text(lang))
    if digest:
        from kefu.voice.digest import digest as make_digest

        typer.echo(make_digest(v, lang), nl=False)
        return
    if fmt == "json":
        typer.echo(json.dumps(v.to_json(), ensure_ascii=False, indent=2))
        return
    print_voice(v, lang)


def print_voice(v: VoiceMonth, lang: str) -> None:
    """The three tables of a month's voice, for the terminal."""
    from rich.table import Table

    from kefu.i18n import t
    from kefu.inert import shown
    from kefu.voice.digest import product_name, topic_name
    from kefu.voice.month import LAST_MESSAGES, MIN_LOST, PREVIOUS_MONTHS

    title = (
        t("voice.title_agent", lang, shop=v.shop_id, agent=v.agent, month=v.month)
        if v.agent
        else t("voice.title", lang, shop=v.shop_id, month=v.month)
    )
    if v.product is not None:
        name = product_name(v.product, v.product_title, lang)
        title = t("voice.title_product", lang, shop=v.shop_id, product=name, month=v.month)
        if v.agent:
            title += f" · {v.agent}"
    console.print(shown(title, "bold"), highlight=False)
    if not v.products_known:
        console.print(t("voice.no_products", lang), highlight=False)
    tab = Table(title=t("voice.topics", lang), title_justify="left")
    for key in ("topic", "messages", "buyers", "share", "example"):
        tab.add_column(
            t(f"voice.col.{key}", lang),
            justify="right" if key in ("messages", "buyers", "share") else "left",
        )
    for row in v.topics:
        ex = v.topic_examples.get(row.topic, ())
        tab.add_row(
            topic_name(row.topic, lang),
            f"{row.messages:,}",
            f"{row.buyers:,}",
            f"{row.share * 100:.1f}%",
            shown(ex[0]) if ex else "",
        )
    if not v.topics:
        console.print(t("voice.none_topics", lang))
    else:
        console.print(tab)
    console.print(
        t(
            "voice.inquiries",
            lang,
            total=v.lost_inquiries + v.converted_inquiries,
            converted=v.converted_inquiries,
            lost=v.lost_inquiries,
            last=LAST_MESSAGES,
        ),
        highlight=False,
    )
    if v.lost_sales:
        tab = Table(title=t("voice.lost", lang), title_justify="left")
        for key in ("topic", "lost", "converted", "lift", "example"):
            tab.add_column(t(f"voice.col.{key}", lang))
        for lost in v.lost_sales:
            tab.add_row(
                topic_name(lost.topic, lang),
                str(lost.lost),
                str(lost.converted),
                f"{lost.lift:.2f}",
                shown(lost.examples[0]) if lost.examples else "",
            )
        console.print(tab)
        console.print(t("voice.lift_note", lang, min=MIN_LOST), highlight=False)
    else:
        console.print(t("voice.none_lost", lang))
    if v.provisional:
        console.print(t("voice.provisional", lang), highlight=False)
    if v.rising:
        tab = Table(title=t("voice.rising", lang, n=PREVIOUS_MONTHS), title_justify="left")
        for key in ("term", "topic", "messages", "previous", "z", "example"):
            tab.add_column(t(f"voice.col.{key}", lang))
        for r in v.rising:
            tab.add_row(
                shown(r.term),
                topic_name(r.topic, lang) if r.topic else "",
                str(r.messages),
                str(r.previous_messages),
                f"{r.z:.1f}",
                shown(r.examples[0]) if r.examples else "",
            )
        console.print(tab)
    else:
        console.print(t("voice.none_rising", lang))
    if v.products and v.product is None:
        print_products(v, lang)


def print_products(v: VoiceMonth, lang: str) -> None:
    """One row per product (unknown product last): top topics, top lost reason, rising words."""
    from rich.table import Table

    from kefu.i18n import t
    from kefu.inert import shown
    from kefu.voice.digest import basis_line, product_name, shown_products, topic_name

    tab = Table(title=t("voice.products", lang), title_justify="left")
    for key in ("product", "conversations", "messages", "top_topics", "top_lost", "rising_terms"):
        tab.add_column(
            t(f"voice.col.{key}", lang),
            justify="right" if key in ("conversations", "messages") else "left",
        )
    sep = t("voice.digest.sep", lang)
    products, more = shown_products(v)
    for p in products:
        tab.add_row(
            shown(product_name(p.product, p.title, lang)),
            f"{p.conversations:,}",
            f"{p.buyer_messages:,}",
            sep.join(
                [
                    f"{topic_name(x.topic, lang)} {x.share * 100:.0f}%"
                    for x in p.topics
                    if x.topic != "other" and "." not in x.topic
                ][:3]
            ),
            sep.join(f"{topic_name(x.topic, lang)} ×{x.lift:.1f}" for x in p.lost_sales[:2]),
            shown(sep.join(r.term for r in p.rising[:3])),
        )
    console.print(tab)
    console.print(basis_line(v, lang), highlight=False)
    if more:
        console.print(t("voice.digest.more_products", lang, n=more), highlight=False)


def register(app: typer.Typer) -> None:
    """Add voice to the kefu app."""
    app.command("voice")(voice_cmd)
