"""Judgements as sentences: each verdict, cause, flag, team finding, pair and class, with its figures."""

from __future__ import annotations

from kefu import i18n
from kefu.diagnosis.cause import Cause, Indicator
from kefu.diagnosis.figures import money, num, pct
from kefu.diagnosis.pairs import Pair
from kefu.diagnosis.quadrant import Verdict
from kefu.diagnosis.stability import Stability
from kefu.diagnosis.streak import Flag
from kefu.diagnosis.team import TeamDiagnosis

REMEDY_CODE: dict[str, str] = {
    "both_high": "keep_and_share",
    "high_conv_low_spend": "product_training",
    "low_conv_high_spend": "find_cause",
    "both_low": "monitor",
    "borderline": "wait",
    "insufficient_data": "withhold",
}


def verdict_label(v: Verdict, lang: str) -> str:
    """The verdict's words; thin data shows only its figures: "insufficient data (n = 10 < 30)"."""
    if v.verdict == "insufficient_data":
        return insufficient_label(v.inquiring_buyers, v.min_inquiries, lang)
    return i18n.t(f"verdict.{v.verdict}", lang)


def insufficient_label(n: int, minimum: int, lang: str) -> str:
    return i18n.t("fair.insufficient", lang, n=n, min=minimum)


def load_detail(c: Cause, lang: str) -> str:
    """The load indicator as the cause analysis words it (sessions per active hour)."""
    return indicator_text(c.indicator("sessions_per_active_hour"), lang)


def remedy(
    v: Verdict, lang: str, cause: Cause | None, streak: int, screen_months: int
) -> tuple[str, str]:
    """The remedy's code and sentence for one verdict."""
    code = REMEDY_CODE[v.verdict]
    if code == "monitor" and streak >= screen_months:
        code = "screen"
        if cause is not None and cause.main == "load":
            detail = load_detail(cause, lang)
            return "workload_review", i18n.t("fair.remedy.workload_review", lang, streak=streak,
                                        detail=detail)  # fmt: skip
    values: dict[str, object] = {}
    if code == "product_training":
        values = {"ipb": num(v.items_per_buyer), "ref_ipb": num(v.reference.items_per_buyer)}
    elif code == "find_cause":
        values = {"cause": cause_text(cause, lang) if cause else i18n.t("cause.no_peers", lang)}
    elif code in ("monitor", "screen"):
        values = {"streak": streak, "screen": screen_months}
    elif code == "wait":
        axes = [
            i18n.t(f"axis.{a}", lang)
            for a, side in (("conversion", v.conversion_side), ("avg_spend", v.spend_side))
            if side == "borderline"
        ]
        values = {"axes": i18n.t("diagnosis.and", lang).join(axes)}
    elif code == "withhold":
        values = {"n": v.inquiring_buyers, "min": v.min_inquiries}
    return code, i18n.t(f"remedy.{code}", lang, **values)


def indicator_text(i: Indicator, lang: str, extra_hours: tuple[int, ...] = ()) -> str:
    if i.name in ("slow_share", "unanswered_share"):
        a, p = pct(i.agent), pct(i.peers)
    elif i.name in ("first_response_s", "avg_response_s", "typing_cpm"):
        a, p = num(i.agent, 0), num(i.peers, 0)
    elif i.name == "sessions_per_active_hour":
        a, p = num(i.agent, 1), num(i.peers, 1)
    else:
        a, p = num(i.agent), num(i.peers)
    hours = ", ".join(str(h) for h in extra_hours) or i18n.t("diagnosis.none", lang)
    return i18n.t(f"ind.{i.name}", lang, a=a, p=p, hours=hours)


def cause_text(c: Cause, lang: str) -> str:
    if c.peers == 0:
        return i18n.t("cause.no_peers", lang)
    sep = i18n.t("diagnosis.sep", lang)

    def detail(factor: str) -> str:
        return sep.join(
            indicator_text(i, lang, c.extra_hours)
            for i in c.indicators
            if i.factor == factor and i.worse
        )

    if c.main is None:
        shown = [
            c.indicator(n) for n in ("first_response_s", "typing_cpm", "sessions_per_active_hour")
        ]
        return i18n.t("cause.none", lang, detail=sep.join(indicator_text(i, lang) for i in shown))
    text = i18n.t(f"cause.main.{c.main}", lang, detail=detail(c.main))
    others = [detail(f) for f in c.factors[1:]]
    if others:
        text += i18n.t("cause.also", lang, detail=sep.join(others))
    return text


def flag_text(f: Flag, lang: str) -> str:
    months = ", ".join(f.streak.months)
    if f.kind == "workload_review" and f.cause is not None:
        return i18n.t("fair.flag.workload_review", lang, n=f.streak.length, months=months,
                 detail=load_detail(f.cause, lang))  # fmt: skip
    text = i18n.t("flag.screening_review", lang, n=f.streak.length, months=months)
    if f.cause is not None:  # the cause analysis beside the flag, so both are read together
        text += " " + cause_text(f.cause, lang)
    return text


def team_text(t: TeamDiagnosis, lang: str) -> str:
    if t.status == "no_reference" or t.reference is None:
        return i18n.t("team.no_reference", lang)
    ref = t.reference
    source = i18n.t(f"source.{ref.conversion_source}", lang, n=len(ref.months))
    if t.status == "operations":
        shares = [m.share for m in t.window if m.share is not None]
        return i18n.t(
            "team.operations",
            lang,
            n=len(t.window),
            share=pct(min(shares)) if shares else "—",
            ref=pct(ref.conversion),
            ref_source=source,
        )
    months = [
        i18n.t("team.month", lang, month=m.month, low=len(m.low), n=len(m.with_verdict))
        if m.with_verdict
        else i18n.t("team.month_empty", lang, month=m.month)
        for m in t.window
    ]
    return i18n.t("team.agents", lang, detail=i18n.t("diagnosis.sep", lang).join(months))


def pair_text(p: Pair, lang: str) -> str:
    s, w = p.strong, p.weak
    names = {"strong": s.name, "weak": w.name}
    ratio = p.conversion_ratio
    text = i18n.t(
        "pair.summary",
        lang,
        **names,
        ns=money(s.net_sales_fen),
        nw=money(w.net_sales_fen),
        cs=pct(s.conversion),
        cw=pct(w.conversion),
        ratio=num(ratio, 1),
        is_=s.inquiring_buyers,
        iw=w.inquiring_buyers,
        as_=money(s.avg_spend),
        aw=money(w.avg_spend),
        ps=s.paying_buyers,
        pw=w.paying_buyers,
        ss=money(s.sales_fen),
        sw=money(w.sales_fen),
    )
    text += i18n.t(
        "pair.more" if p.weak_handles_more else "pair.not_more",
        lang,
        weak=w.name,
        iw=w.inquiring_buyers,
        is_=s.inquiring_buyers,
    )
    r = p.rerouting
    if r is None:
        text += i18n.t("pair.no_activity", lang, **names)
    else:
        text += rerouting_text(p, lang)
    if not p.clear:
        text += i18n.t("pair.unclear", lang, z=num(p.z))
    return text


def rerouting_text(p: Pair, lang: str) -> str:
    """The sentence of the pair's one re-routing decision (the tables read the same object)."""
    s, w, r = p.strong, p.weak, p.rerouting
    assert r is not None
    names = {"strong": s.name, "weak": w.name}
    if r.decision == "no_gain":
        return i18n.t("pair.no_gain", lang, **names, gs=money(s.sales_per_inquiry),
                   gw=money(w.sales_per_inquiry))  # fmt: skip
    if r.decision == "gain_unclear":
        lo, hi = r.gain_interval_fen
        return i18n.t("fair.pair.gain_unclear", lang, **names, gs=money(s.sales_per_inquiry),
                 gw=money(w.sales_per_inquiry), gain=money(r.gain_per_inquiry_fen),
                 lo=money(lo), hi=money(hi))  # fmt: skip
    if r.decision == "no_headroom":
        return i18n.t("fair.pair.no_headroom", lang, **names, daily=num(s.daily_inquiries, 1),
                 peak="—" if s.peak_day_inquiries is None else s.peak_day_inquiries)  # fmt: skip
    lo, hi = r.added_sales_interval_fen
    return i18n.t(
        "fair.pair.reroute",
        lang,
        **names,
        k=r.k_per_day,
        ws=r.weights_after[0],
        ww=r.weights_after[1],
        ws0=r.weights_now[0],
        ww0=r.weights_now[1],
        days=r.days,
        added=money(r.added_sales_fen),
        lo=money(lo),
        hi=money(hi),
        refund=pct(r.refund_share),
        added_net=money(r.added_net_sales_fen),
        months=", ".join(r.held_months),
        held=num(r.held_load_per_day, 1),
        daily=num(s.daily_inquiries, 1),
    )


def stability_text(s: Stability, lang: str, min_months: int) -> str:
    if s.cls == "insufficient_data":
        return i18n.t("stability.insufficient_data", lang, n=len(s.months), min=min_months)
    breaking = ", ".join(m.month for m in s.months if m.breaks) or i18n.t("diagnosis.none", lang)
    return i18n.t(
        f"stability.{s.reason}",
        lang,
        r=num(s.correlation),
        beta=num(s.beta),
        u=pct(s.unexplained_cv),
        months=breaking,
    )
