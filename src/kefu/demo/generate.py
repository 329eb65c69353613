"""generate_demo_shop: writes the demo shop's files into a workspace, in the platforms' formats."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from kefu.demo import writers
from kefu.demo.chat import Message
from kefu.demo.simulate import DAY, World, simulate
from kefu.demo.story import CAST, SHOP_ID, agent_id, month_days, month_list
from kefu.demo.voice import give_voice

QIANNIU_CONVERSATIONS = 4  # two PC clipboard copies, two web history pages
EXPORT_TIME = dt.time(9, 30)  # the shop downloads its orders at 09:30


@dataclass(frozen=True)
class DemoShop:
    """What `generate_demo_shop` wrote, and who plays which part."""

    shop_id: str
    months: list[str]
    files: list[Path]  # in import order: agents, orders (list, detail…), messages, reviews
    cast: dict[str, str]  # agent_id -> "role key: the lesson they illustrate"
    products: Path | None = None  # the shop's product file (kefu products import)


def generate_demo_shop(
    workspace: Path, *, seed: int = 7, end_month: str = "2026-10", months: int = 18
) -> DemoShop:
    """Write the demo shop's files into `workspace`; the same arguments give the same bytes."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    month_names = month_list(end_month, months)
    world = simulate(seed, month_names)
    give_voice(world, seed, len(month_names))  # buyer words only: no KPI changes
    workspace.mkdir(parents=True, exist_ok=True)
    clock = writers.Clock(world.start, world.days)

    agents = workspace / "agents.csv"
    writers.write_agents(agents, month_names)
    exports = _write_exports(workspace, world, month_names, clock)

    bulk, chats = _split_qianniu(world, random.Random(seed + 1))
    bulk.sort(key=lambda m: m[0])
    messages = workspace / "messages.csv"
    writers.write_messages(messages, bulk, clock)
    qianniu: list[Path] = []
    for n, conversation in enumerate(chats):
        name = conversation[0][2].split(":")[1]
        day = clock.date(conversation[0][0]).strftime("%Y%m%d")
        if n % 2 == 0:
            path = workspace / f"qianniu_clipboard_copy_{day}_{name}.txt"
            writers.write_qianniu_clipboard(path, conversation, clock)
        else:
            path = workspace / f"qianniu_web_history_page_text_{day}_{name}.txt"
            writers.write_qianniu_web(path, conversation, clock)
        qianniu.append(path)

    reviews = workspace / "reviews.csv"
    writers.write_reviews(reviews, world.reviews, clock)
    products = workspace / "products.csv"
    writers.write_products(products, month_names)
    return DemoShop(
        shop_id=SHOP_ID,
        months=month_names,
        files=[agents, *exports, messages, *qianniu, reviews],
        cast={agent_id(a): f"{a.key}: {a.lesson}" for a in CAST},
        products=products,
    )


def _write_exports(
    workspace: Path, world: World, months: list[str], clock: writers.Clock
) -> list[Path]:
    """An older export of all but the last two months, and a newer one of the last four.

    Each is an ExportOrderList with its ExportOrderDetailList, the pair 卖家中心 downloads.

    The two overlap on two months: the newer export shows the refunds and status changes that
    happened since the older one was downloaded, and importing it updates those orders.
    """
    after_end = month_days(months[-1])[1] + dt.timedelta(days=1)
    if len(months) < 4:
        stamp = dt.datetime.combine(after_end, EXPORT_TIME)
        return list(writers.write_order_export(workspace, stamp, world.orders, world, clock))
    split = month_days(months[-2])[0]
    older_to = (split - world.start).days * DAY
    newer_from = (month_days(months[-4])[0] - world.start).days * DAY
    older = [o for o in world.orders if o.created < older_to]
    newer = [o for o in world.orders if o.created >= newer_from]
    first = writers.write_order_export(
        workspace, dt.datetime.combine(split, EXPORT_TIME), older, world, clock
    )
    second = writers.write_order_export(
        workspace, dt.datetime.combine(after_end, EXPORT_TIME), newer, world, clock
    )
    return [*first, *second]


def _split_qianniu(world: World, rng: random.Random) -> tuple[list[Message], list[list[Message]]]:
    """Take a few whole conversations of the day before the last one out of the bulk messages.

    A conversation is every message between one buyer and one agent on that day, so the chat
    text files and messages.csv never hold the same message.
    """
    day = world.days - 2
    candidates = [
        s
        for s in world.slots
        if s.day == day and not s.extra and not s.link and not s.linked_from and s.buyer
    ]
    rng.shuffle(candidates)
    candidates.sort(key=lambda s: not s.converting)  # buyers who then order come first
    chosen: dict[tuple[str, str], int] = {}
    agents: list[str] = []
    for s in candidates:
        if s.agent not in agents and s.buyer is not None:
            agents.append(s.agent)
            chosen[s.buyer, s.agent] = len(chosen)
        if len(chosen) == QIANNIU_CONVERSATIONS:
            break
    chats: list[list[Message]] = [[] for _ in chosen]
    bulk: list[Message] = []
    for m in world.messages:
        n = chosen.get((m[1], m[2])) if m[0] // DAY == day else None
        (bulk if n is None else chats[n]).append(m)
    for conversation in chats:
        conversation.sort(key=lambda m: m[0])
    return bulk, [c for c in chats if c]
