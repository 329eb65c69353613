"""Random small shops for property and differential tests (hypothesis strategies)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import strategies as st

from shopdata import Shop

T0 = datetime(2024, 1, 30, 8, 0, 0)
AGENTS = ("A", "B", "C", "S")  # S is after-sale
BUYERS = ("b1", "b2", "b3", "b4", "b5")
# Offsets on a coarse grid (minutes) plus a few seconds: collisions, gaps of exactly 30
# minutes, same-second ties and day boundaries all occur often.
_seconds = st.sampled_from([0, 0, 1, 2, 59, 120, 121])
offsets = st.one_of(
    # dense around the January/February boundary
    st.builds(lambda m, s: timedelta(minutes=m * 5, seconds=s), st.integers(0, 4000), _seconds),
    # sparse over ten weeks, so one month's window leaves data out on both sides
    st.builds(lambda h, s: timedelta(hours=h, seconds=s), st.integers(-300, 1400), _seconds),
)


def _at(d: timedelta) -> str:
    return (T0 + d).strftime("%Y-%m-%d %H:%M:%S")


message = st.tuples(
    st.sampled_from(BUYERS),
    st.sampled_from(AGENTS),
    offsets,
    st.sampled_from(["buyer", "buyer", "agent", "agent", "auto"]),
    st.text(alphabet="好的亲在吗ab", max_size=6),
)
order = st.tuples(
    st.sampled_from((*BUYERS, None)),
    offsets,
    st.one_of(st.none(), st.integers(0, 3 * 24 * 60)),
    st.integers(1, 50000),
    st.integers(1, 4),
    st.integers(0, 100),
)
review = st.sampled_from(["good", "neutral", "bad", None, None])
# Taobao 服务评价: (agent — Z is rated but never chats —, buyer, when, code 0–4, source)
evaluation = st.tuples(
    st.sampled_from((*AGENTS, "Z")),
    st.sampled_from(BUYERS),
    offsets,
    st.integers(0, 4),
    st.sampled_from([0, 1, 2, None]),
)


@st.composite
def shops(draw: st.DrawFn, shop: str = "店", with_evals: bool = False) -> Shop:
    s = Shop()
    for a in AGENTS:
        s.agent(a, role="aftersale" if a == "S" else "presale", hired_on="2023-06-01", shop=shop)
    msgs = draw(
        st.lists(
            message, min_size=1, max_size=60, unique_by=lambda m: (m[0], m[1], m[2], m[3], m[4])
        )
    )
    for buyer, agent, off, sender, text in msgs:
        s.msg(buyer, agent, _at(off), sender, text, shop=shop)
    orders = draw(st.lists(order, max_size=15))
    for i, (buyer, off, pay_delay, amount, items, refund_pct) in enumerate(orders):
        paid = None if pay_delay is None else _at(off + timedelta(minutes=pay_delay))
        s.order(
            f"o{i}",
            buyer,
            _at(off),
            paid,
            amount,
            items,
            refund_fen=(amount * refund_pct // 100) if paid else 0,
            shop=shop,
        )
        r = draw(review)
        if paid and r:
            s.review(f"o{i}", r, shop=shop)
    if with_evals:
        rated = draw(st.lists(evaluation, max_size=8, unique_by=lambda e: (e[0], e[1], e[2])))
        for agent, buyer, off, code, source in rated:
            s.evaluation(agent, buyer, _at(off), code, source, shop=shop)
    return s


MONTHS = ["2024-01", "2024-02", "2024-03"]
