"""Hand-built KPI months for the diagnosis tests, and an in-memory KpiSource.

Each agent-month is given by the few figures a case is about; every other part takes a
plain, average value, so a case reads as its story (see the builders' defaults).
"""

from __future__ import annotations

from typing import Any

from kefu.metrics.fields import empty_parts
from kefu.metrics.table import Activity, AgentMonth, KpiSource, ShopMonth

SHOP = "店"
MONTH = "2024-09"


def agent(
    agent_id: str,
    inquiring: int,
    paying: int,
    avg_spend_fen: int = 20000,
    *,
    month: str = MONTH,
    role: str = "presale",
    refund_fen: int = 0,
    items: int | None = None,
    sales_sq_fen: int | None = None,
    first_response_s: int = 20,
    avg_response_s: int = 30,
    slow_share: float = 0.1,
    unanswered: int = 0,
    cpm: int = 60,
    answer_ratio: float = 1.0,
    load: float = 3.0,
    active_days: int = 20,
    peak_day_inquiries: int | None = None,
    hours: dict[int, int] | None = None,
    activity: bool = True,
    **parts: int,
) -> AgentMonth:
    """One agent-month: inquiring buyers, paying buyers and spend per buyer, plus what a case sets."""
    p = empty_parts()
    sessions = inquiring + unanswered
    turns = 2 * inquiring
    p.update(
        sessions=sessions,
        receptions=inquiring,
        unanswered_sessions=unanswered,
        consulted_buyers=sessions,
        served_buyers=inquiring,
        inquiring_buyers=inquiring,
        paying_buyers=paying,
        orders=paying,
        items=paying if items is None else items,
        sales_fen=paying * avg_spend_fen,
        refund_fen=refund_fen,
        net_sales_fen=paying * avg_spend_fen - refund_fen,
        buyer_messages=3 * inquiring,
        agent_messages=round(3 * inquiring * answer_ratio),
        first_response_sessions=inquiring,
        first_response_total_s=first_response_s * inquiring,
        answered_turns=turns,
        response_total_s=avg_response_s * turns,
        slow_turns=round(slow_share * turns),
        typing_chars=cpm * 10 * inquiring,
        typing_seconds=60 * 10 * inquiring,
    )
    p.update(parts)
    if sales_sq_fen is not None:
        p["sales_sq_fen"] = sales_sq_fen
    act = None
    if activity:
        spread = hours or {h: 1 for h in range(9, 21)}
        total = sum(spread.values())
        hour_sessions = [0] * 24
        for h, w in spread.items():
            hour_sessions[h] = sessions * w // total
        hour_sessions[max(spread, key=lambda h: spread[h])] += sessions - sum(hour_sessions)
        peak = peak_day_inquiries
        if peak is None:
            peak = -(-inquiring * 3 // (2 * active_days))  # 1.5 × the average day, rounded up
        act = Activity(
            active_hours=max(1, round(sessions / load)),
            active_days=active_days,
            peak_day_inquiries=peak,
            hour_sessions=tuple(hour_sessions),
        )
    return AgentMonth(
        shop_id=SHOP,
        month=month,
        agent_id=agent_id,
        name=agent_id,
        role=role,
        team=None,
        hired_on=None,
        left_on=None,
        known=True,
        parts=p,
        activity=act,
    )


def shop(
    agents: list[AgentMonth],
    month: str = MONTH,
    *,
    paid_net_sales_fen: int | None = None,
    silent_sales_fen: int = 0,
    provisional: bool = False,
) -> ShopMonth:
    """A shop's month; its paid sales are the agents' plus the silent ones unless given."""
    credited = sum(a.parts["net_sales_fen"] for a in agents)
    net = credited + silent_sales_fen if paid_net_sales_fen is None else paid_net_sales_fen
    return ShopMonth(
        shop_id=SHOP,
        month=month,
        provisional=provisional,
        repurchase_provisional=provisional,
        agents=[
            AgentMonth(**{**a.__dict__, "month": month}) if a.month != month else a for a in agents
        ],
        silent_orders=silent_sales_fen // 10000,
        silent_sales_fen=silent_sales_fen,
        paid_orders=0,
        paid_sales_fen=max(net, 1),
        paid_net_sales_fen=net,
        unattributable_orders=0,
        unattributable_sales_fen=0,
    )


class MemoryKpis:
    """A KpiSource over ShopMonth objects held in memory (a real implementation of the protocol)."""

    def __init__(self, months: dict[str, ShopMonth]) -> None:
        self.months = months
        self.asked: list[list[str]] = []

    def shop_months(self, shop_id: str, months: list[str]) -> dict[str, ShopMonth]:
        self.asked.append(months)
        return {m: self.months[m] for m in months if m in self.months and shop_id == SHOP}


def four_cases(month: str = MONTH, **extra: Any) -> ShopMonth:
    """The article's four cases, each clearly so: team conversion 30 %, team spend 200 yuan."""
    return shop(
        [
            agent("甲", 400, 200, 30000),  # 50 %, 300 yuan: both high
            agent("乙", 400, 200, 10000, items=200),  # 50 %, 100 yuan: high conversion, low spend
            agent("丙", 400, 40, 35000),  # 10 %, 350 yuan: low conversion, high spend
            agent("丁", 400, 40, 5000),  # 10 %, 50 yuan: both low
        ],
        month,
        **extra,
    )


def test_builders_hold_the_parts_together() -> None:
    m = four_cases()
    a = m.agent("甲")
    assert a is not None and a.activity is not None
    assert a.parts["sales_fen"] == 200 * 30000
    assert sum(a.activity.hour_sessions) == a.parts["sessions"]
    assert m.team["inquiring_buyers"] == 1600
    src: KpiSource = MemoryKpis({MONTH: m})
    assert list(src.shop_months(SHOP, [MONTH])) == [MONTH]


STORY_MONTHS = [f"{2023 + (5 + i) // 12}-{(5 + i) % 12 + 1:02d}" for i in range(16)]
SEASON = [1.0, 1.1, 0.9, 1.2, 1.4, 1.8, 1.0, 0.8, 0.9, 1.0, 1.1, 1.2, 1.0, 0.9, 1.0, 1.1]
SWING = [1.6, 0.5, 1.3, 0.6, 1.5, 0.7, 1.4, 0.5, 1.6, 0.6, 1.2, 0.5, 1.5, 0.7, 1.3, 1.0]


def story() -> dict[str, ShopMonth]:
    """Sixteen months of a seven-agent shop that shows every judgement in its last month.

    2024-09: 甲 best and steady; 乙 high conversion, low spend, erratic; 丙 low conversion,
    high spend, a slow typist; 丁 both low since 2024-06 with a thin July (a screening review);
    戊 borderline; 己 new, too few inquiries; 庚 sells as much as 甲 from twice the inquiries,
    overloaded (question 1 pair with 甲).
    """
    out = {}
    for i, m in enumerate(STORY_MONTHS):
        s, e = SEASON[i], SWING[i]
        ding = (
            agent("丁", 300, 30, 10000)
            if m in ("2024-06", "2024-08", "2024-09")
            else agent("丁", 20, 2, 10000)
            if m == "2024-07"
            else agent("丁", 300, 84, 20000)
        )
        agents = [
            agent("甲", round(300 * s), round(135 * s), 30000, items=round(135 * s * 1.8),
                  active_days=22, peak_day_inquiries=round(300 * s / 22 * 1.6) + 8),
            agent("乙", round(300 * s * e), round(135 * s * e), 12000, items=round(135 * s * e)),
            agent("丙", 300, 45, 35000, cpm=30, avg_response_s=60, slow_share=0.3),
            ding,
            agent("戊", 200, 56, 20000),
            agent("庚", round(600 * s), round(135 * s), 30000, load=5.0, active_days=22,
                  hours={h: 1 for h in range(9, 24)}),
        ]  # fmt: skip
        if m == "2024-09":
            agents.append(agent("己", 12, 3, 20000))
        credited = sum(a.parts["net_sales_fen"] for a in agents)
        out[m] = shop(agents, m, silent_sales_fen=credited // 9)
    return out
