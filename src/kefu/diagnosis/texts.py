"""Every sentence kefu says about an agent or a team, in Chinese (default) and English.

The words are data: one table of (zh, en) templates keyed by code, filled with the figures
each judgement rests on. Modules that judge return codes and numbers; only this module
turns them into sentences, so a wording is changed in one place.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from kefu.metrics.fields import round_half_up
from kefu.metrics.labels import yuan

T: dict[str, tuple[str, str]] = {
    # -- verdicts (the article's four cases, and the two ways of withholding one) ------------
    "verdict.both_high": ("最好：转化率高、客单价高", "best: high conversion, high spend"),
    "verdict.high_conv_low_spend": ("转化率高、客单价低", "high conversion, low spend"),
    "verdict.low_conv_high_spend": ("转化率低、客单价高", "low conversion, high spend"),
    "verdict.both_low": ("转化率低、客单价低", "low conversion, low spend"),
    "verdict.borderline": ("临界：差距在误差范围内", "borderline: within the margin of error"),
    "verdict.insufficient_data": ("数据不足，不作判断", "insufficient data: no verdict"),
    # -- remedies ---------------------------------------------------------------------------
    "remedy.keep_and_share": (
        "保持，并请其分享做法（接待话术、推荐搭配），带一带其他同事。",
        "Keep them, and have them share their practice (scripts, suggested bundles) with the team.",
    ),
    "remedy.product_training": (
        "重点培训与产品相关的常识，增加关联销售：客件数 {ipb}，团队 {ref_ipb}。",
        "Train product knowledge and related selling (关联销售): {ipb} items per buyer, team {ref_ipb}.",
    ),
    "remedy.find_cause": (
        "分析是时间原因还是打字速度慢：{cause}",
        "Find out whether time or typing speed is the cause: {cause}",
    ),
    "remedy.monitor": (
        "持续观察：已连续 {streak} 个月两低，连续 {screen} 个月即进入筛选复核。",
        "Monitor: both low for {streak} month(s) in a row; {screen} in a row raise a screening review.",
    ),
    "remedy.screen": (
        "已连续 {streak} 个月两低：进入筛选复核（见标记）。",
        "Both low for {streak} months in a row: screening review (see flags).",
    ),
    "remedy.wait": (
        "暂不下结论：{axes}的 95% 区间包含参照值，等下个月数据更多再看。",
        "No conclusion yet: the 95 % interval of {axes} contains the reference; look again next month.",
    ),
    "remedy.withhold": (
        "询单人数 {n}，不足 {min}，不作判断。",
        "{n} inquiring buyers, fewer than {min}: no judgement.",
    ),
    "axis.conversion": ("转化率", "conversion"),
    "axis.avg_spend": ("客单价", "spend per buyer"),
    "and": ("和", " and "),
    "side.high": ("高", "high"),
    "side.low": ("低", "low"),
    "side.borderline": ("临界", "borderline"),
    # -- causes of low conversion -------------------------------------------------------------
    "factor.load": ("负荷", "load"),
    "factor.typing": ("打字速度", "typing speed"),
    "factor.time": ("时间", "time"),
    "cause.main.load": (
        "主要是负荷：{detail}。响应慢多半是忙不过来：先分流减负，再看转化。",
        "Mainly load: {detail}. Slow replies follow from the load: re-route some inquiries first.",
    ),
    "cause.main.typing": (
        "主要是打字速度：{detail}。练打字、配快捷短语。",
        "Mainly typing speed: {detail}. Practise typing and set up quick phrases.",
    ),
    "cause.main.time": (
        "主要是时间原因：{detail}。查在线与响应（离开时挂起、设响应提醒），复核排班时段。",
        "Mainly time: {detail}. Check availability and replies (away status, reply alerts) and the shift.",
    ),
    "cause.none": (
        "时间、打字速度和负荷都不比同事差（{detail}）：差距多半在话术和产品知识，抽查聊天记录。",
        "Neither time, typing speed nor load is worse than the peers' ({detail}): listen to their "
        "chats for scripts and product knowledge.",
    ),
    "cause.no_peers": (
        "没有其他售前客服可比，无法判断原因。",
        "No other presale agent to compare with: the cause cannot be told.",
    ),
    "cause.also": ("另外：{detail}。", "Also: {detail}."),
    "ind.first_response_s": ("首次响应 {a} 秒，同事 {p} 秒", "first response {a} s, peers {p} s"),
    "ind.avg_response_s": ("平均响应 {a} 秒，同事 {p} 秒", "average response {a} s, peers {p} s"),
    "ind.slow_share": ("慢响应占比 {a}，同事 {p}", "slow turns {a}, peers {p}"),
    "ind.unanswered_share": ("未回复会话 {a}，同事 {p}", "unanswered sessions {a}, peers {p}"),
    "ind.hours_shift": (
        "接待时段与同事不同（差异 {a}，多在 {hours} 点）",
        "works other hours than the peers (distance {a}, more at {hours} h)",
    ),
    "ind.typing_cpm": ("打字 {a} 字/分，同事 {p}", "typing {a} chars/min, peers {p}"),
    "ind.answer_ratio": ("答问比 {a}，同事 {p}", "answer ratio {a}, peers {p}"),
    "ind.sessions_per_active_hour": (
        "每在线小时 {a} 个会话，同事 {p}",
        "{a} sessions per active hour, peers {p}",
    ),
    "label.first_response_s": ("平均首次响应时间(秒)", "first response (s)"),
    "label.avg_response_s": ("平均响应时间(秒)", "average response (s)"),
    "label.slow_share": ("慢响应轮次占比", "share of slow turns"),
    "label.unanswered_share": ("未回复会话占比", "share of unanswered sessions"),
    "label.hours_shift": ("接待时段差异(0–1)", "hours differ from peers (0–1)"),
    "label.typing_cpm": ("打字速度(字/分)", "typing speed (chars/min)"),
    "label.answer_ratio": ("答问比", "answer ratio"),
    "label.sessions_per_active_hour": ("每在线小时会话数", "sessions per active hour"),
    "sep": ("；", "; "),
    # -- screening review -------------------------------------------------------------------
    "flag.screening_review": (
        "筛选复核：连续 {n} 个月转化率和客单价都低（{months}）。文章说“如果连续几个月都是这样，"
        "只能筛选”：先面谈、抽查聊天记录、给一个改进期，再决定去留。",
        "Screening review (筛选): both low for {n} months in a row ({months}). The article: "
        "“if it stays so for months, screen them” — talk, review chats, set an improvement period, "
        "then decide.",
    ),
    # -- team rule --------------------------------------------------------------------------
    "team.operations": (
        "连续 {n} 个月，有判断的售前客服中 {share} 转化率低于参照 {ref}（{ref_source}）：问题很可能出在"
        "运营和老板身上——流量质量、价格、详情页、活动，而不是客服个人。请看团队转化率和静默下单占比的走势。",
        "For {n} months, {share} of the presale agents with a verdict converted below the reference "
        "{ref} ({ref_source}): the problem most likely lies with operations and the owner — traffic "
        "quality, prices, product pages, campaigns — not with the agents. See the team's conversion "
        "and silent-sales trend.",
    ),
    "team.agents": (
        "团队规则未触发（{detail}）：个人的判断成立。",
        "The team rule does not hold ({detail}): the individual verdicts stand.",
    ),
    "team.month": ("{month} 有 {low}/{n} 人偏低", "{month}: {low} of {n} low"),
    "team.month_empty": ("{month} 无人数据充足", "{month}: nobody with enough data"),
    "team.no_reference": (
        "没有绝对参照（未设目标，此前也没有数据）：设置 diagnosis.target_conversion 后才能判断是否是团队问题。",
        "No absolute reference (no target, no earlier months): set diagnosis.target_conversion to "
        "judge the team.",
    ),
    "source.team": ("本月团队汇总", "the month's team, pooled"),
    "source.target": ("店铺目标", "the shop's target"),
    "source.baseline": ("此前 {n} 个月团队汇总", "the team over the {n} months before"),
    # -- question 1 -------------------------------------------------------------------------
    "pair.summary": (
        "{strong} 与 {weak} 净销售额相近（{ns} 对 {nw} 元），但 {strong} 的转化率 {cs} 是 {weak}（{cw}）"
        "的 {ratio} 倍。销售额 = 询单人数 × 转化率 × 客单价：{strong} {is_} × {cs} × {as_} 元，"
        "{weak} {iw} × {cw} × {aw} 元。",
        "{strong} and {weak} sold about the same ({ns} vs {nw} yuan net), but {strong}'s conversion "
        "{cs} is {ratio}× {weak}'s ({cw}). Sales = inquiries × conversion × spend: {strong} "
        "{is_} × {cs} × {as_}, {weak} {iw} × {cw} × {aw}.",
    ),
    "pair.more": (
        "{weak} 接待的询单更多（{iw} 对 {is_}）。",
        "{weak} handles more inquiries ({iw} vs {is_}).",
    ),
    "pair.not_more": (
        "{weak} 接待的询单并不更多（{iw} 对 {is_}），是客单价弥补了转化率。",
        "{weak} does not handle more inquiries ({iw} vs {is_}): a higher spend makes up for it.",
    ),
    "pair.reroute": (
        "建议分流：每天把 {k} 个询单从 {weak} 转给 {strong}（千牛分流权重 {strong} {ws}% / {weak} {ww}%，"
        "现在约 {ws0}% / {ww0}%），按 {days} 天计预计每月多 {added} 元销售额（净 {added_net} 元）；"
        "{strong} 最忙一天接过 {peak} 人，现在平均每天 {daily} 人。同时请 {weak} 跟 {strong} 学接待话术，"
        "并看其原因分析。",
        "Re-route {k} inquiries a day from {weak} to {strong} (分流 weights {strong} {ws} % / {weak} "
        "{ww} %, now about {ws0} % / {ww0} %): over {days} days about {added} yuan more sales "
        "({added_net} net) a month; {strong}'s busiest day had {peak} inquiries, the average day "
        "{daily}. Coach {weak} with {strong}'s scripts and see the cause analysis.",
    ),
    "pair.no_headroom": (
        "{strong} 平均每天 {daily} 人，已接近其最忙一天（{peak} 人），没有分流余量：先辅导 {weak}"
        "（跟 {strong} 学话术），再考虑增加 {strong} 的在线时长。",
        "{strong} already averages {daily} inquiries a day against a busiest day of {peak}: no "
        "room to re-route. Coach {weak} with {strong}'s scripts first.",
    ),
    "pair.no_activity": (
        "缺少在线天数与忙时数据，无法估算分流效果；先辅导 {weak}。",
        "No activity figures: the re-routing cannot be estimated; coach {weak} first.",
    ),
    "pair.no_gain": (
        "把询单转给 {strong} 不会多卖（每个询单 {gs} 元对 {gw} 元）：先辅导 {weak}。",
        "Re-routing to {strong} would not add sales ({gs} vs {gw} yuan per inquiry): coach {weak}.",
    ),
    "pair.unclear": (
        "注意：转化率的差距可能是偶然（z = {z}，不到 1.96），先再观察一个月再调分流。",
        "Caution: the conversion gap may be chance (z = {z}, below 1.96): watch another month "
        "before changing the routing.",
    ),
    # -- question 2 -------------------------------------------------------------------------
    "class.steady": ("稳定型", "steady"),
    "class.erratic": ("波动型", "erratic"),
    "class.insufficient_data": ("数据不足", "insufficient data"),
    "stability.moves_with_shop": (
        "稳定型：成绩随店铺整体波动（相关系数 {r}，beta {beta}，大盘解释不了的波动 {u}）。提升：设更高的"
        "挑战目标和阶梯提成，给更多流量（分流权重），让其带新人。",
        "Steady: moves with the shop (correlation {r}, beta {beta}, unexplained swing {u}). To lift: "
        "stretch targets and tiered commission, more traffic (routing weight), let them coach "
        "newcomers.",
    ),
    "stability.steady_on_own": (
        "稳定型：成绩平稳，但不随店铺大盘起落（相关系数 {r}，beta {beta}，大盘解释不了的波动 {u}）。"
        "提升：设更高的挑战目标，旺季多排班、多给流量，让其吃到大盘上涨。",
        "Steady, but not moving with the shop (correlation {r}, beta {beta}, unexplained swing "
        "{u}). To lift: stretch targets, and more shifts and traffic in peak months so they ride "
        "the shop's upswings.",
    ),
    "stability.unexplained_swings": (
        "波动型：忽高忽低，店铺大盘解释不了（大盘解释不了的波动 {u}，相关系数 {r}）。提升：复盘异常月份"
        "（{months}）的排班、请假、负荷和活动，找出原因，稳定排班后再定目标。",
        "Erratic: swings the shop does not explain (unexplained swing {u}, correlation {r}). To "
        "lift: review the schedule, leave, load and campaigns of the months that break the "
        "pattern ({months}), fix the cause, steady the schedule, then set targets.",
    ),
    "stability.insufficient_data": (
        "数据充足的月份只有 {n} 个（需要 {min} 个），暂不分类。",
        "Only {n} month(s) with enough data ({min} needed): not classified.",
    ),
    "none": ("无", "none"),
}


def say(key: str, lang: str = "zh", **values: Any) -> str:
    zh, en = T[key]
    return (en if lang == "en" else zh).format(**values)


def pct(x: float | Fraction | None) -> str:
    return "—" if x is None else f"{float(x) * 100:.1f}%"


def num(x: float | Fraction | None, digits: int = 2) -> str:
    return "—" if x is None else f"{float(x):.{digits}f}"


def money(fen: int | float | Fraction | None) -> str:
    """Fen as yuan with two decimals."""
    if fen is None:
        return "—"
    return yuan(round_half_up(Fraction(fen)) if not isinstance(fen, int) else fen)
