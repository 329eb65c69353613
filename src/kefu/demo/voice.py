"""What the demo shop's buyers say that the voice of the buyer should find (docs/demo.md).

Applied to the simulated world after the fact, with its own random stream, so that every KPI
of the story stays as it was (only buyer texts change, never a time, a sender or an order):

- buyers who leave without buying often ask, last, about stock (no 现货, wait for 补货) or a
  slow dispatch, more than buyers who buy: the lost-sale reasons;
- in the last two months a run of 搓泥 (pilling of a cream on the skin) about the 面霜: the
  newly rising word;
- a few buyers type a phone number or an address into the chat: masked at import.
"""

from __future__ import annotations

import random
from collections import defaultdict

from kefu.demo.simulate import World
from kefu.demo.texts import pick

LOST_REASONS = (
    "现在没有现货吗？要等几天才有",
    "什么时候补货啊，我急用",
    "预售要等这么久啊",
    "要三天后才发货吗，太慢了",
    "发货这么慢啊，那我去别家看看",
    "缺货的话就算了",
)
LOST_SHARE = 0.45
RISING = (
    "面霜用了会搓泥吗",
    "朋友说这款面霜搓泥，是真的吗",
    "面霜上脸搓泥怎么回事",
    "叠加精华后面霜就搓泥，正常吗",
    "上次买的面霜一直搓泥",
)
RISING_SHARE = 0.12
RISING_MONTHS = 2
PERSONAL = (
    "地址改一下：浙江省杭州市西湖区文三路{n}号3幢201室，电话138{d}",
    "收件电话换成 139-{a}-{b}，谢谢",
    "麻烦备注一下，有问题加我微信 xiaomei{n}",
)
PERSONAL_SHARE = 0.01


def give_voice(world: World, seed: int, months: int) -> None:
    """Rewrite some buyer messages of `world` in place (see the module's docstring)."""
    rng = random.Random(seed * 7919 + 12)
    by_pair: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, m in enumerate(world.messages):
        if m[3] == "buyer":
            by_pair[(m[1], m[2])].append(i)
    msgs = world.messages
    for slot in world.slots:
        if slot.buyer is None or slot.extra or not slot.end:
            continue
        ids = [
            i
            for i in by_pair.get((slot.buyer, slot.agent), [])
            if slot.start <= msgs[i][0] <= slot.end
        ]
        if len(ids) < 2:
            continue
        if slot.month >= months - RISING_MONTHS and rng.random() < RISING_SHARE:
            i = ids[0] if not msgs[ids[0]][4].startswith("http") else ids[1]
            msgs[i] = (*msgs[i][:4], pick(rng, RISING))
        if not slot.converting and rng.random() < LOST_SHARE:
            i = ids[-1]
            msgs[i] = (*msgs[i][:4], pick(rng, LOST_REASONS))
        elif slot.converting and rng.random() < PERSONAL_SHARE:
            i = ids[-1]
            template = pick(rng, PERSONAL)
            text = template.format(
                n=rng.randrange(1, 300),
                d=f"{rng.randrange(10**8):08d}",
                a=f"{rng.randrange(10**4):04d}",
                b=f"{rng.randrange(10**4):04d}",
            )
            msgs[i] = (*msgs[i][:4], text)
