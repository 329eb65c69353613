"""Synthetic shops for the benchmark: canonical Parquet files, generated with numpy, vectorised.

One shop, 12 months (2025-01-01 .. 2025-12-31) of chat and the orders that follow it:

- 50–200 agents (about 80 % presale, 20 % aftersale; some hired or leaving during the year);
- buyers chat in sessions of ~10 messages (1 + Poisson(9)): a Markov chain of buyer / agent /
  auto senders, seconds apart (an answer takes a lognormal ~25 s, sometimes minutes), and
  about 2 % of the gaps inside a chat last 31–240 minutes, which splits the session;
- buyers are drawn with a heavy head (returning buyers chat and order many times);
- about 30 % of pre-sale receptions lead to an order the same or the next day (a few later,
  hence silent), and the rest of the orders (to 1 order a 10 messages) are silent orders of
  chatting and never-chatting buyers; 5 % of orders are never paid, 7 % of paid ones are
  refunded, 35 % are reviewed;
- 12 % of the messages are after-sale chats 1 h – 14 days after a payment.

Messages are written in time order (as exports are), one Parquet file a month; timestamps
are naive, whole seconds. Files are cached under `out/data/<size>/` with a `manifest.json`
naming GEN_VERSION and the seed: they are regenerated only when those differ.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

GEN_VERSION = 1
SEED = 20251231
SHOP = "小美旗舰店"
YEAR_START = int(np.datetime64("2025-01-01T00:00:00", "s").astype(np.int64))
DAYS = 365
YEAR_END = YEAR_START + DAYS * 86400  # exclusive
LATEST_FULL_MONTH = "2025-12"
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]

SIZES: dict[str, int] = {
    "100k": 100_000,
    "1M": 1_000_000,
    "10M": 10_000_000,
    "50M": 50_000_000,
}
AGENTS: dict[str, int] = {"100k": 50, "1M": 60, "10M": 120, "50M": 200}

BUYER, AGENT, AUTO = 0, 1, 2
SENDER_NAMES = np.array(["buyer", "agent", "auto"], dtype=object)
# P(next sender | previous sender), rows buyer / agent / auto
TRANSITIONS = np.array(
    [
        [0.25, 0.60, 0.15],
        [0.55, 0.40, 0.05],
        [0.30, 0.70, 0.00],
    ]
)
# opening message: mostly the buyer; a few greetings / outreach, a few auto replies
FIRST = np.array([0.92, 0.05, 0.03])

BUYER_TEXTS = [
    "在吗",
    "你好，这款还有货吗？",
    "有没有优惠券",
    "什么时候发货",
    "包邮吗",
    "这个尺码偏大还是偏小",
    "我身高165体重55公斤穿什么码",
    "可以便宜一点吗",
    "颜色和图片一样吗",
    "好的",
    "谢谢",
    "嗯嗯",
    "我已经拍下了，麻烦尽快发货",
    "能开发票吗",
    "质量怎么样，会不会起球",
    "跟上次买的一样吗",
    "快递是哪家",
    "可以改地址吗",
    "收到了，有点色差",
    "怎么退货",
    "退款什么时候到账",
    "这个是正品吗",
    "活动还有多久结束",
    "两件一起买能优惠吗",
    "?",
    "[图片]",
    "亲，我想问一下这个面料是纯棉的吗，夏天穿会不会太热",
    "ok",
]
AGENT_TEXTS = [
    "亲，在的呢",
    "您好，有货的哦，今天下单今天发",
    "亲，店铺首页可以领取满199减20的优惠券哦",
    "下午四点前的订单当天发货呢",
    "全国包邮（偏远地区除外）",
    "尺码是标准的，建议按平时的尺码选哦",
    "亲，按您的身高体重建议选M码",
    "亲，已经是活动价了呢，可以领券再减",
    "实物拍摄，颜色以实物为准，可能略有色差",
    "好的亲",
    "不客气，祝您购物愉快",
    "亲，已经帮您备注加急了",
    "可以开电子发票的，下单后联系我们",
    "面料是精梳棉，不容易起球",
    "是同一款的哦",
    "默认中通，也可以备注顺丰补差价",
    "地址已经帮您修改好了",
    "非常抱歉，给您补偿一张无门槛券可以吗",
    "亲，在订单页面申请退货退款，选择七天无理由就可以",
    "退款审核通过后1-3个工作日原路退回",
    "保证正品，假一赔十",
    "活动到本月底结束哦",
    "两件可以打九五折",
    "[图片]",
    "亲，这款是100%纯棉的，透气性很好，夏天穿不会闷热，很多老顾客回购哦",
    "嗯嗯",
]
AUTO_TEXTS = [
    "[自动回复]您好，欢迎光临小美旗舰店，客服小美马上为您服务",
    "[自动回复]亲，现在咨询人数较多，请稍等片刻",
    "[自动回复]下午四点前付款当天发货，节假日除外",
    "[自动回复]亲，您可以先看看商品详情页哦",
]
TEXTS = np.array(BUYER_TEXTS + AGENT_TEXTS + AUTO_TEXTS, dtype=object)
TEXT_BASE = np.array([0, len(BUYER_TEXTS), len(BUYER_TEXTS) + len(AGENT_TEXTS)])
TEXT_COUNT = np.array([len(BUYER_TEXTS), len(AGENT_TEXTS), len(AUTO_TEXTS)])
TEXT_CHARS = np.array([len(t) for t in TEXTS], dtype=np.int32)

# share of sessions by hour of the day (shop-local)
HOUR_WEIGHTS = np.array(
    [2, 1, 0.5, 0.3, 0.2, 0.3, 0.8, 1.5, 3, 5, 7, 7, 5, 6, 7, 7, 6, 5, 5, 6, 8, 9, 8, 5],
    dtype=float,
)


def manifest_ok(folder: Path) -> bool:
    m = folder / "manifest.json"
    if not m.exists():
        return False
    try:
        info = json.loads(m.read_text())
    except ValueError:
        return False
    files = [folder / f for f in info.get("files", [])]
    return (
        info.get("gen_version") == GEN_VERSION
        and info.get("seed") == SEED
        and bool(files)
        and all(f.exists() for f in files)
    )


def manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text())


def files_of(folder: Path) -> dict[str, list[Path]]:
    """The Parquet files of a generated shop, by table, in import order."""
    info = manifest(folder)
    out: dict[str, list[Path]] = {"agents": [], "orders": [], "reviews": [], "messages": []}
    for f in info["files"]:
        out[f.split("-")[0].split(".")[0]].append(folder / f)
    return out


# ----------------------------------------------------------------------------------------


def _agents(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    idx = np.arange(n)
    aftersale = rng.random(n) < 0.2
    # most were hired before the year; 15 % during it; 10 % leave during it
    hired = YEAR_START - rng.integers(30, 900, n) * 86400
    late = rng.random(n) < 0.15
    hired = np.where(late, YEAR_START + rng.integers(0, 300, n) * 86400, hired)
    leaves = rng.random(n) < 0.10
    left = np.where(leaves, hired + rng.integers(60, 400, n) * 86400, -1)
    left = np.where((left >= 0) & (left < YEAR_END - 86400), left, -1)
    # employed on day 0 by at least a few of each role: the first 4 of each stay all year
    for role in (False, True):
        first = idx[aftersale == role][:4]
        hired[first] = YEAR_START - 365 * 86400
        left[first] = -1
    weight = rng.gamma(2.0, 1.0, n)  # how busy each agent is
    return {
        "aftersale": aftersale,
        "hired": hired,
        "left": left,
        "weight": weight,
    }


def _pick_agents(
    rng: np.random.Generator, ag: dict[str, np.ndarray], start_s: np.ndarray, aftersale: np.ndarray
) -> np.ndarray:
    """An agent of the wanted role employed on each session's day (rejection sampling)."""
    out = np.empty(len(start_s), dtype=np.int32)
    day = (start_s // 86400) * 86400
    for role in (False, True):
        pool = np.flatnonzero(ag["aftersale"] == role)
        p = ag["weight"][pool] / ag["weight"][pool].sum()
        todo = np.flatnonzero(aftersale == role)
        for _ in range(200):
            if not len(todo):
                break
            cand = pool[rng.choice(len(pool), len(todo), p=p)]
            h, lft = ag["hired"][cand], ag["left"][cand]
            ok = (h <= day[todo]) & ((lft < 0) | (lft >= day[todo]))
            out[todo[ok]] = cand[ok]
            todo = todo[~ok]
        if len(todo):  # cannot happen with the always-employed agents; be safe anyway
            out[todo] = pool[0]
    return out


def _session_starts(rng: np.random.Generator, n: int) -> np.ndarray:
    day = rng.integers(0, DAYS, n)
    hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return YEAR_START + day * 86400 + hour * 3600 + rng.integers(0, 3600, n)


def _messages(
    rng: np.random.Generator, budget: int, start_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Messages of sessions starting at `start_s` until `budget` messages.

    Returns (session index, position in session, sender code, sent_s, text index) per
    message, and only the sessions needed are used (the last one truncated).
    """
    lengths = np.clip(1 + rng.poisson(9, len(start_s)), 1, 40)
    ends = np.cumsum(lengths)
    used = int(np.searchsorted(ends, budget)) + 1
    if used > len(start_s):
        raise ValueError("not enough sessions for the message budget")
    lengths = lengths[:used].copy()
    lengths[-1] -= int(ends[used - 1] - budget)
    total = int(lengths.sum())
    assert total == budget
    sess = np.repeat(np.arange(used, dtype=np.int64), lengths)
    first = np.cumsum(lengths) - lengths
    pos = np.arange(total, dtype=np.int64) - np.repeat(first, lengths)

    # senders: a Markov chain along each session, all sessions at once, position by position
    sender = np.empty(total, dtype=np.int8)
    u = rng.random(total)
    cum_first = np.cumsum(FIRST)
    at0 = first
    sender[at0] = np.searchsorted(cum_first, u[at0], side="right").clip(0, 2)
    cum = np.cumsum(TRANSITIONS, axis=1)
    order = np.argsort(pos, kind="stable")
    counts = np.bincount(pos)
    bounds = np.cumsum(counts)
    for j in range(1, len(counts)):
        idx = order[bounds[j - 1] : bounds[j]]
        prev = sender[idx - 1]
        sender[idx] = (u[idx][:, None] >= cum[prev][:, :2]).sum(axis=1)

    # gaps to the previous message of the chat, by (previous, current) sender
    prev = np.empty(total, dtype=np.int8)
    prev[1:] = sender[:-1]
    prev[first] = -1
    gap = np.exp(rng.normal(np.log(20.0), 0.9, total))  # generic: ~20 s
    answer = (prev == BUYER) & (sender == AGENT)
    gap[answer] = np.exp(rng.normal(np.log(25.0), 1.0, int(answer.sum())))
    slow = answer & (rng.random(total) < 0.08)
    gap[slow] = rng.uniform(60, 900, int(slow.sum()))
    auto = sender == AUTO
    gap[auto] = rng.uniform(1, 3, int(auto.sum()))
    reply = (prev == AGENT) & (sender == BUYER)
    gap[reply] = np.exp(rng.normal(np.log(45.0), 1.0, int(reply.sum())))
    split = (pos > 0) & (rng.random(total) < 0.02)
    gap[split] = rng.uniform(31 * 60, 240 * 60, int(split.sum()))
    gap = np.maximum(1, np.round(gap)).astype(np.int64)
    gap[first] = 0
    cum_gap = np.cumsum(gap)
    sent_s = start_s[:used][sess] + cum_gap - np.repeat(cum_gap[first], lengths)

    text = TEXT_BASE[sender] + (rng.random(total) * TEXT_COUNT[sender]).astype(np.int64)
    return sess, pos, sender, sent_s, text


def _receptions(sess: np.ndarray, pos: np.ndarray, sender: np.ndarray, n_sess: int) -> np.ndarray:
    """Whether each session has an agent message after a buyer message (no gap split)."""
    big = np.iinfo(np.int64).max
    first_buyer = np.full(n_sess, big)
    np.minimum.at(first_buyer, sess[sender == BUYER], pos[sender == BUYER])
    last_agent = np.full(n_sess, -1)
    np.maximum.at(last_agent, sess[sender == AGENT], pos[sender == AGENT])
    return last_agent > first_buyer


def generate(size: str, out_root: Path, *, log: Any = print) -> Path:
    """Write the shop of `size` under out_root/data/<size>/ unless cached; return the folder."""
    folder = out_root / "data" / size
    if manifest_ok(folder):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    t0 = time.perf_counter()
    n_msgs = SIZES[size]
    n_orders = n_msgs // 10
    rng = np.random.default_rng([SEED, n_msgs])
    n_agents = AGENTS[size]
    ag = _agents(rng, n_agents)

    # -- pre-sale chats ----------------------------------------------------------------
    b1 = round(n_msgs * 0.88)
    est = int(b1 / 10 * 1.2) + 100
    start1 = _session_starts(rng, est)
    sess1, pos1, snd1, sent1, txt1 = _messages(rng, b1, start1)
    n1 = int(sess1[-1]) + 1
    start1 = start1[:n1]
    pool = max(100, int(n1 * 0.55))
    # heavy-headed buyer choice: a few buyers chat (and buy) again and again
    buyer_perm = rng.permutation(pool * 2)  # ids beyond `pool` are never-chatting buyers
    buyer1 = buyer_perm[(pool * rng.random(n1) ** 1.6).astype(np.int64)]
    agent1 = _pick_agents(rng, ag, start1, (rng.random(n1) < 0.03))
    # (a few pre-sale chats land with after-sale agents, as they do in real shops)

    # -- orders ------------------------------------------------------------------------
    rec = _receptions(sess1, pos1, snd1, n1)
    presale_rec = rec & ~ag["aftersale"][agent1]
    converts = np.flatnonzero(presale_rec & (rng.random(n1) < 0.30))
    if len(converts) > n_orders:
        converts = rng.choice(converts, n_orders, replace=False)
    last_msg = np.zeros(n1, dtype=np.int64)
    np.maximum.at(last_msg, sess1, sent1)
    delay = 60 + rng.exponential(3 * 3600, len(converts))
    later = rng.random(len(converts))
    delay += np.where(later < 0.25, 86400, 0) + np.where(later < 0.04, 2 * 86400, 0)
    c_created = last_msg[converts] + delay.astype(np.int64)
    c_buyer = buyer1[converts]
    n_silent = n_orders - len(converts)
    s_created = YEAR_START + rng.integers(0, DAYS * 86400, n_silent)
    known = rng.random(n_silent) < 0.6
    s_buyer = np.where(
        known,
        buyer_perm[(pool * rng.random(n_silent) ** 1.3).astype(np.int64)],
        buyer_perm[pool + rng.integers(0, pool, n_silent)],
    )
    created = np.concatenate([c_created, s_created])
    o_buyer = np.concatenate([c_buyer, s_buyer])
    o_order = np.argsort(created, kind="stable")
    created, o_buyer = created[o_order], o_buyer[o_order]
    paid_mask = rng.random(n_orders) >= 0.05
    paid = np.where(paid_mask, created + rng.exponential(120, n_orders).astype(np.int64), -1)
    amount = np.round(np.exp(rng.normal(np.log(12000), 0.8, n_orders))).astype(np.int64) + 100
    items = 1 + rng.poisson(0.4, n_orders).astype(np.int32)
    refunded = paid_mask & (rng.random(n_orders) < 0.07)
    full = rng.random(n_orders) < 0.7
    refund = np.where(
        refunded,
        np.where(full, amount, (amount * rng.uniform(0.1, 0.9, n_orders)).astype(np.int64)),
        0,
    )
    refunded_at = np.where(refunded, paid + rng.integers(86400, 20 * 86400, n_orders), -1)
    order_ids = 3_000_000_000_000_000_000 + rng.choice(10**12, n_orders, replace=False) * 1000 + 7
    # 19-digit Taobao-like order numbers

    # -- after-sale chats --------------------------------------------------------------
    b2 = n_msgs - b1
    paid_idx = np.flatnonzero(paid_mask)
    est2 = int(b2 / 10 * 1.2) + 100
    src = paid_idx[rng.integers(0, len(paid_idx), est2)]
    start2 = paid[src] + rng.integers(3600, 14 * 86400, est2)
    start2 = np.minimum(start2, YEAR_END - 4 * 3600)
    sess2, _pos2, snd2, sent2, txt2 = _messages(rng, b2, start2)
    n2 = int(sess2[-1]) + 1
    start2, src = start2[:n2], src[:n2]
    buyer2 = o_buyer[src]
    agent2 = _pick_agents(rng, ag, start2, rng.random(n2) < 0.7)

    # -- reviews -----------------------------------------------------------------------
    reviewed = np.flatnonzero(paid_mask & (rng.random(n_orders) < 0.35))
    rated_at = paid[reviewed] + rng.integers(3 * 86400, 20 * 86400, len(reviewed))
    r = rng.random(len(reviewed))
    rating = np.where(r < 0.88, "good", np.where(r < 0.95, "neutral", "bad")).astype(object)

    # -- all messages, in time order -----------------------------------------------------
    m_buyer = np.concatenate([buyer1[sess1], buyer2[sess2]])
    m_agent = np.concatenate([agent1[sess1], agent2[sess2]])
    m_sent = np.concatenate([sent1, sent2])
    m_sender = np.concatenate([snd1, snd2])
    m_text = np.concatenate([txt1, txt2])
    del sess1, pos1, snd1, sent1, txt1, sess2, snd2, sent2, txt2
    # exact duplicate identities (same buyer, agent, second, sender and text) are vanishingly
    # rare; make them impossible by nudging a clash one second later, until none is left
    for _ in range(20):
        key_order = np.lexsort((m_text, m_sender, m_sent, m_agent, m_buyer))
        kb, ka, ks = m_buyer[key_order], m_agent[key_order], m_sent[key_order]
        kd, kt = m_sender[key_order], m_text[key_order]
        dup = np.zeros(len(key_order), dtype=bool)
        dup[1:] = (
            (kb[1:] == kb[:-1])
            & (ka[1:] == ka[:-1])
            & (ks[1:] == ks[:-1])
            & (kd[1:] == kd[:-1])
            & (kt[1:] == kt[:-1])
        )
        del kb, ka, ks, kd, kt
        if not dup.any():
            break
        m_sent[key_order[dup]] += 1
    del key_order, dup
    order = np.argsort(m_sent, kind="stable")
    m_buyer, m_agent, m_sent = m_buyer[order], m_agent[order], m_sent[order]
    m_sender, m_text = m_sender[order], m_text[order]
    del order

    buyer_names = pa.array([f"买家{i:08d}" for i in range(pool * 2)], type=pa.string())
    agent_names = [f"{SHOP}:客服{i + 1:03d}" for i in range(n_agents)]
    agent_arr = pa.array(agent_names, type=pa.string())
    text_arr = pa.array(list(TEXTS), type=pa.string())
    sender_arr = pa.array(list(SENDER_NAMES), type=pa.string())

    files: list[str] = []

    def write(name: str, table: pa.Table) -> None:
        pq.write_table(table, folder / name, compression="zstd", row_group_size=1_000_000)
        files.append(name)

    def ts(values: np.ndarray) -> pa.Array:
        return pa.array(values, type=pa.timestamp("s"), mask=values < 0)

    def dates(values: np.ndarray) -> pa.Array:
        return pa.array((values // 86400).astype(np.int32), type=pa.date32(), mask=values < 0)

    # agents
    teams = np.array(["售前一组", "售前二组", "售前三组", "售后组"], dtype=object)
    team = np.where(ag["aftersale"], teams[3], teams[np.arange(n_agents) % 3])
    write(
        "agents.parquet",
        pa.table(
            {
                "shop_id": pa.array([SHOP] * n_agents),
                "agent_id": agent_arr,
                "name": pa.array([f"客服{i + 1:03d}" for i in range(n_agents)]),
                "role": pa.array(np.where(ag["aftersale"], "aftersale", "presale").tolist()),
                "team": pa.array(team.tolist()),
                "hired_on": dates(ag["hired"]),
                "left_on": dates(ag["left"]),
            }
        ),
    )
    # orders
    write(
        "orders.parquet",
        pa.table(
            {
                "shop_id": pa.array(np.full(n_orders, SHOP, dtype=object), type=pa.string()),
                "order_id": pa.array(order_ids.astype(str).astype(object), type=pa.string()),
                "buyer_id": buyer_names.take(pa.array(o_buyer)),
                "created_at": ts(created),
                "paid_at": ts(paid),
                "amount_fen": pa.array(amount),
                "items": pa.array(items),
                "refund_fen": pa.array(refund),
                "refunded_at": ts(refunded_at),
            }
        ),
    )
    write(
        "reviews.parquet",
        pa.table(
            {
                "shop_id": pa.array(np.full(len(reviewed), SHOP, dtype=object), type=pa.string()),
                "order_id": pa.array(
                    order_ids[reviewed].astype(str).astype(object), type=pa.string()
                ),
                "rated_at": ts(rated_at),
                "rating": pa.array(rating, type=pa.string()),
            }
        ),
    )
    # messages: one file a month (exports are monthly), written in slices
    month_of = m_sent.astype("datetime64[s]").astype("datetime64[M]").astype(
        np.int64
    ) - np.datetime64("2025-01", "M").astype(np.int64)
    bounds = np.searchsorted(month_of, np.arange(0, 13), side="left")
    bounds = np.append(bounds, len(month_of))
    for k in range(len(bounds) - 1):
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        if hi <= lo:
            continue
        name = f"messages-{np.datetime64('2025-01', 'M') + k}.parquet"
        writer = pq.ParquetWriter(
            folder / name,
            pa.schema(
                [
                    ("shop_id", pa.string()),
                    ("buyer_id", pa.string()),
                    ("agent_id", pa.string()),
                    ("sent_at", pa.timestamp("s")),
                    ("sender", pa.string()),
                    ("text", pa.string()),
                    ("chars", pa.int32()),
                ]
            ),
            compression="zstd",
        )
        step = 1_000_000
        for a in range(lo, hi, step):
            b = min(hi, a + step)
            writer.write_table(
                pa.table(
                    {
                        "shop_id": pa.array(np.full(b - a, SHOP, dtype=object), type=pa.string()),
                        "buyer_id": buyer_names.take(pa.array(m_buyer[a:b])),
                        "agent_id": agent_arr.take(pa.array(m_agent[a:b])),
                        "sent_at": ts(m_sent[a:b]),
                        "sender": sender_arr.take(pa.array(m_sender[a:b])),
                        "text": text_arr.take(pa.array(m_text[a:b])),
                        "chars": pa.array(TEXT_CHARS[m_text[a:b]]),
                    }
                )
            )
        writer.close()
        files.append(name)

    info = {
        "gen_version": GEN_VERSION,
        "seed": SEED,
        "size": size,
        "shop": SHOP,
        "month": LATEST_FULL_MONTH,
        "messages": n_msgs,
        "orders": n_orders,
        "agents": n_agents,
        "reviews": len(reviewed),
        "sessions_generated": n1 + n2,
        "converting_sessions": len(converts),
        "buyers_pool": pool * 2,
        "files": files,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    (folder / "manifest.json").write_text(json.dumps(info, ensure_ascii=False, indent=1))
    log(f"generated {size} in {info['seconds']} s → {folder}")
    return folder
