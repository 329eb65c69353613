"""The demo shop generator: its files are real-format, deterministic, and tell the story.

The story checks use a small pandas reading of metrics.md written here, independent of kefu's
metrics engine: sessions, pre-sale inquiries, attribution, per agent and month.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from conftest import FIXTURES
from kefu.demo.generate import DemoShop, generate_demo_shop
from kefu.demo.story import CAST, ROLES, SHOP_ID, agent_id
from kefu.demo.writers import EXPORT_HEADER
from test_io_support import absent

KEY = {a.key: agent_id(a) for a in CAST}


# -- a small, independent reading of metrics.md -----------------------------------------------


def read_export(path: Path) -> pd.DataFrame:
    """A 卖家中心 ExportOrderList as canonical orders (the few columns the story needs)."""
    text = path.read_bytes().decode("gbk")
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip() for h in rows[0]]
    frame = pd.DataFrame(rows[1:], columns=header)
    return pd.DataFrame(
        {
            "order_id": frame["订单编号"].str.removeprefix("=").str.strip('"'),
            "buyer_id": frame["买家会员名"],
            "created_at": pd.to_datetime(frame["订单创建时间"]),
            "paid_at": pd.to_datetime(frame["订单付款时间"].replace("", None)),
            "amount_fen": (frame["总金额"].astype(float) * 100).round().astype(int),
            "refund_fen": (frame["退款金额"].astype(float) * 100).round().astype(int),
            "items": frame["宝贝总数量"].astype(int),
            "status": frame["订单状态"],
        }
    )


def exports(shop: DemoShop) -> list[Path]:
    """The order lists, oldest first."""
    return [f for f in shop.files if f.name.startswith("ExportOrderList")]


def read_orders(shop: DemoShop) -> pd.DataFrame:
    """Every export in import order; a later export's row replaces an earlier one."""
    orders = pd.concat(read_export(f) for f in exports(shop)).drop_duplicates(
        "order_id", keep="last"
    )
    return orders.assign(amount_fen=orders["amount_fen"].where(orders["paid_at"].notna(), 0))


def sessions_of(messages: pd.DataFrame) -> pd.DataFrame:
    """Messages with a session number and each session's start, month, kind (metrics.md §2)."""
    order = {"buyer": 0, "auto": 1, "agent": 2}
    m = messages.assign(rank=messages["sender"].map(order))
    m = m.sort_values(["buyer_id", "agent_id", "sent_at", "rank", "text"], ignore_index=True)
    new_pair = (m["buyer_id"] != m["buyer_id"].shift()) | (m["agent_id"] != m["agent_id"].shift())
    gap = m["sent_at"] - m["sent_at"].shift()
    m["session"] = (new_pair | (gap > pd.Timedelta(minutes=30))).cumsum()
    m["start"] = m.groupby("session")["sent_at"].transform("min")
    first_buyer = m["sent_at"].where(m["sender"] == "buyer").groupby(m["session"]).transform("min")
    answered = (m["sender"] == "agent") & (m["sent_at"] >= first_buyer)
    m["reception"] = answered.groupby(m["session"]).transform("any")
    return m


def story_frame(shop: DemoShop) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(messages with sessions, orders with credited agent and month, per agent-month figures)."""
    workspace = shop.files[0].parent
    agents = pd.read_csv(workspace / "agents.csv")
    messages = pd.read_csv(workspace / "messages.csv", keep_default_na=False)
    messages["sent_at"] = pd.to_datetime(messages["sent_at"])
    orders = read_orders(shop)
    m = sessions_of(messages)

    paid = orders.dropna(subset=["paid_at"])[["buyer_id", "paid_at"]].sort_values("paid_at")
    starts = m.drop_duplicates("session")[["session", "buyer_id", "agent_id", "start"]]
    starts = starts.sort_values("start")
    # the latest payment strictly before the session's start
    before = pd.merge_asof(
        starts, paid.rename(columns={"paid_at": "last_paid"}), left_on="start",
        right_on="last_paid", by="buyer_id", allow_exact_matches=False,
    )  # fmt: skip
    aftersale_agents = set(agents.loc[agents["role"] == "aftersale", "agent_id"])
    before["aftersale"] = before["agent_id"].isin(aftersale_agents) | (
        before["start"] - before["last_paid"] <= pd.Timedelta(days=15)
    )
    m = m.merge(before[["session", "aftersale"]], on="session")
    m["month"] = m["start"].dt.strftime("%Y-%m")
    m["inquiry"] = m["reception"] & ~m["aftersale"]

    contacts = m[m["inquiry"] & (m["sender"] == "agent")][
        ["buyer_id", "sent_at", "agent_id", "month"]
    ]
    contacts = contacts.sort_values(["sent_at", "agent_id"], ascending=[True, False])
    paid_orders = orders.dropna(subset=["paid_at"]).sort_values("created_at")
    credited = pd.merge_asof(
        paid_orders, contacts.rename(columns={"sent_at": "contact"}), left_on="created_at",
        right_on="contact", by="buyer_id",
    )  # fmt: skip
    late = (credited["created_at"].dt.normalize() - credited["contact"].dt.normalize()).dt.days > 1
    credited.loc[late | credited["contact"].isna(), ["agent_id", "month"]] = None
    credited["net_fen"] = credited["amount_fen"] - credited["refund_fen"]

    inquiring = m[m["inquiry"]].groupby(["agent_id", "month"])["buyer_id"].nunique()
    won = credited.dropna(subset=["agent_id"]).groupby(["agent_id", "month"])
    table = pd.DataFrame({"inquiring": inquiring}).join(
        pd.DataFrame(
            {
                "paying": won["buyer_id"].nunique(),
                "sales_fen": won["amount_fen"].sum(),
                "net_fen": won["net_fen"].sum(),
                "items": won["items"].sum(),
            }
        ),
        how="outer",
    )
    table = table.fillna(0).reset_index()
    table["conversion"] = table["paying"] / table["inquiring"]
    table["spend_fen"] = table["sales_fen"] / table["paying"]
    return m, credited, table


def team(rows: pd.DataFrame) -> tuple[float, float]:
    """Pooled conversion and 客单价 over presale agent rows."""
    return rows["paying"].sum() / rows["inquiring"].sum(), rows["sales_fen"].sum() / rows[
        "paying"
    ].sum()


def response_and_typing(m: pd.DataFrame) -> pd.DataFrame:
    """Per agent and month: mean first response (s) and typing speed (chars/min), metrics.md §3."""
    m = m.sort_values(["session", "sent_at", "rank"])
    first_buyer = m["sent_at"].where(m["sender"] == "buyer").groupby(m["session"]).transform("min")
    reply = m["sent_at"].where((m["sender"] == "agent") & (m["sent_at"] > first_buyer))
    per_session = pd.DataFrame(
        {"agent_id": m["agent_id"], "month": m["month"], "wait": reply - first_buyer}
    ).groupby(m["session"]).agg(agent_id=("agent_id", "first"), month=("month", "first"),
                                wait=("wait", "min"))  # fmt: skip
    first = per_session.dropna().groupby(["agent_id", "month"])["wait"].mean().dt.total_seconds()
    gap = (m["sent_at"] - m.groupby("session")["sent_at"].shift()).dt.total_seconds()
    typed = m[(m["sender"] == "agent") & gap.between(2, 120)].assign(gap=gap)
    typed = typed.assign(chars=typed["text"].str.len())
    per = typed.groupby(["agent_id", "month"])[["chars", "gap"]].sum()
    return pd.DataFrame({"first_response_s": first, "typing_cpm": per["chars"] * 60 / per["gap"]})


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoShop, float]]:
    started = time.perf_counter()
    shop = generate_demo_shop(tmp_path_factory.mktemp("demo"))
    yield shop, time.perf_counter() - started


@pytest.fixture(scope="module")
def story(demo: tuple[DemoShop, float]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return story_frame(demo[0])


def fixture_file(*parts: str) -> Path:
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        absent(f"the real sample exports are not at {FIXTURES} (set KEFU_FIXTURES)")
    return path


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# -- files ------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    a = generate_demo_shop(tmp_path / "a", seed=3, months=4)
    b = generate_demo_shop(tmp_path / "b", seed=3, months=4)
    c = generate_demo_shop(tmp_path / "c", seed=4, months=4)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a")["messages.csv"] != digest(tmp_path / "c")["messages.csv"]
    assert [f.name for f in a.files] == [f.name for f in b.files]
    assert a.months == ["2026-07", "2026-08", "2026-09", "2026-10"] == c.months


def test_files_come_in_import_order(demo: tuple[DemoShop, float]) -> None:
    shop, _ = demo
    names = [f.name for f in shop.files]
    assert all(f.exists() for f in shop.files)
    assert shop.shop_id == SHOP_ID == "小美旗舰店"
    assert shop.months[0] == "2025-05" and shop.months[-1] == "2026-10" and len(shop.months) == 18
    assert names[0] == "agents.csv" and names[-1] == "reviews.csv"
    assert names[1:5] == [
        "ExportOrderList202609010930.csv", "ExportOrderDetailList202609010930.csv",
        "ExportOrderList202611010930.csv", "ExportOrderDetailList202611010930.csv",
    ]  # fmt: skip
    assert names[5] == "messages.csv"
    assert sorted(n.split("_")[1] for n in names[6:-1]) == ["clipboard"] * 2 + ["web"] * 2


def test_order_exports_are_real_taobao_exports(demo: tuple[DemoShop, float]) -> None:
    shop, _ = demo
    fixture = fixture_file("taobao-order-export", "ExportOrderList201707080100_masked.gbk.csv")
    fixture_header = fixture.read_bytes().decode("gbk").split("\r\n")[0]
    for path in exports(shop):
        raw = path.read_bytes()
        text = raw.decode("gbk")  # strict: every character is GBK
        assert raw.count(b"\n") == raw.count(b"\r\n") and text.endswith("\r\n")
        lines = text.split("\r\n")[:-1]
        assert lines[0] == fixture_header == ",".join(f'"{h}"' for h in EXPORT_HEADER)
        for line in lines[1:200]:
            cells = next(csv.reader([line]))
            assert len(cells) == len(EXPORT_HEADER)
            assert line.startswith('="') and ',="",' in line  # 订单编号 and 特权订金订单id
            raw_cells = line.split(",")
            assert all(c.startswith('"') or c.startswith('="') for c in raw_cells)
        rows = pd.DataFrame(
            list(csv.reader(io.StringIO(text)))[1:], columns=[h.strip() for h in EXPORT_HEADER]
        )
        ids = rows["订单编号"].str.removeprefix("=").str.strip('"')
        assert ids.str.fullmatch(r"[1-9]\d{16,17}").all() and ids.is_unique
        assert set(rows["店铺名称"]) == {SHOP_ID} and set(rows["买家服务费"]) == {"0元"}
        assert rows["联系手机"].str.fullmatch(r"'1\d\d\*{4}\d{4}").all()
        assert (rows["收货人姓名"] != "").all() and rows["收货地址"].str.contains(
            r"\(\d{6}\)$"
        ).all()
        paid = rows["订单付款时间"] != ""
        fen = {
            c: (rows[c].astype(float) * 100).round().astype(int)
            for c in ("总金额", "买家实际支付金额", "退款金额")
        }
        assert (fen["买家实际支付金额"] == fen["总金额"] - fen["退款金额"])[paid].all()
        assert set(rows.loc[~paid, "订单状态"]) <= {"等待买家付款", "交易关闭"}
        assert set(rows.loc[paid, "订单状态"]) <= {
            "交易成功", "交易关闭", "买家已付款，等待卖家发货", "卖家已发货，等待买家确认",
        }  # fmt: skip
        refunded_closed = paid & (rows["订单状态"] == "交易关闭")
        assert refunded_closed.any()
        assert (fen["退款金额"] == fen["总金额"])[refunded_closed].all()
        assert ((rows["宝贝总数量"].astype(int) >= 1) & (rows["宝贝种类"].astype(int) >= 1)).all()
    older, newest = (read_export(f).set_index("order_id") for f in exports(shop))
    both = newest.index.intersection(older.index)
    assert len(both) > 1000  # two months exported twice
    assert (newest.loc[both, "refund_fen"] > older.loc[both, "refund_fen"]).any()
    assert (newest.loc[both, "status"] != older.loc[both, "status"]).any()
    assert (newest["status"] == "等待买家付款").any()


def test_detail_list_companions(demo: tuple[DemoShop, float]) -> None:
    shop, _ = demo
    for listing in exports(shop):
        detail = listing.with_name(listing.name.replace("ExportOrderList", "ExportOrderDetailList"))
        assert shop.files.index(detail) == shop.files.index(listing) + 1
        lines = detail.read_bytes().decode("gbk").split("\r\n")
        assert lines[0].startswith('"订单编号","标题","价格","购买数量"')
        assert all(line.endswith(",") for line in lines[1:-1])  # the real trailing comma
        rows = pd.DataFrame([next(csv.reader([line]))[:4] for line in lines[1:-1]])
        quantities = rows[3].astype(int).groupby(rows[0].str.strip('="')).sum()
        items = read_export(listing).set_index("order_id")["items"]
        assert quantities.sort_index().equals(items.sort_index().rename(None).rename_axis(0))


def test_canonical_files(demo: tuple[DemoShop, float]) -> None:
    shop, _ = demo
    workspace = shop.files[0].parent
    agents = pd.read_csv(workspace / "agents.csv", keep_default_na=False)
    assert list(agents.columns) == [
        "agent_id",
        "name",
        "shop_id",
        "role",
        "team",
        "hired_on",
        "left_on",
    ]
    assert agents["agent_id"].tolist() == [f"{SHOP_ID}:{n}" for n in agents["name"]]
    assert agents["role"].value_counts().to_dict() == {"presale": 10, "aftersale": 1}
    with (workspace / "messages.csv").open(encoding="utf-8") as f:
        assert f.readline() == "shop_id,buyer_id,agent_id,sent_at,sender,text,chars\n"
    messages = pd.read_csv(workspace / "messages.csv", keep_default_na=False)
    assert set(messages["sender"]) == {"buyer", "agent", "auto"}
    assert messages["sent_at"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    assert (messages["chars"] == messages["text"].str.len()).all()
    assert set(messages["agent_id"]) == set(agents["agent_id"])
    auto = messages[messages["sender"] == "auto"]
    assert auto["text"].str.startswith("[自动回复]").all() and len(auto) > 1000
    reviews = pd.read_csv(workspace / "reviews.csv", dtype={"order_id": str})
    assert list(reviews.columns) == ["shop_id", "order_id", "rated_at", "rating"]
    assert set(reviews["rating"]) == {"good", "neutral", "bad"}


def test_qianniu_chat_files(demo: tuple[DemoShop, float]) -> None:
    shop, _ = demo
    fixture_file("qianniu-chat", "qianniu_clipboard_copy.txt")
    chats = [f for f in shop.files if f.name.startswith("qianniu")]
    messages = pd.read_csv(shop.files[0].parent / "messages.csv", keep_default_na=False)
    day = "2026-10-30"
    for path in chats:
        raw = path.read_bytes()
        agent = f"{SHOP_ID}:{path.stem.rsplit('_', 1)[1]}"
        text = raw.decode("utf-8")
        if "clipboard" in path.name:
            assert raw.count(b"\n") == raw.count(b"\r\n")
            lines = text.split("\r\n")
            assert "已读" in lines and any(line.endswith(" 撤回了一条消息") for line in lines)
            stamp = re.compile(r"(?P<speaker>\S+)( --> \S+)? 2026-10-30 \d{1,2}:\d\d:\d\d")
            speakers = {m["speaker"] for line in lines if (m := stamp.fullmatch(line))}
            assert agent in speakers and len(speakers) == 2 and stamp.fullmatch(lines[0])
            buyer = next(s for s in speakers if s != agent)
        else:
            assert b"\r" not in raw
            lines = text.split("\n")
            assert lines[0] == day and lines[1][2] == ":" and len(lines[1]) == 8
            speakers = {lines[i + 2] for i in range(1, len(lines) - 2, 4)}
            assert agent in speakers and len(speakers) == 2
            buyer = next(s for s in speakers if s != agent)
        same = messages[(messages["buyer_id"] == buyer) & (messages["agent_id"] == agent)]
        assert not same["sent_at"].str.startswith(day).any()  # not duplicated in messages.csv


def test_sizes_and_speed(demo: tuple[DemoShop, float], story: tuple[pd.DataFrame, ...]) -> None:
    _, seconds = demo
    m, credited, _ = story
    assert 200_000 <= len(m) <= 400_000
    assert 15_000 <= len(credited) <= 30_000
    assert seconds < 60  # a few seconds on a developer's machine


def test_cast_covers_every_role(demo: tuple[DemoShop, float]) -> None:
    shop, _ = demo
    assert set(ROLES) == {
        "star", "narrow-seller", "slow-typist", "stuck-low", "steady", "erratic",
        "q1-efficient", "q1-busy", "new-hire", "leaver", "aftersale",
    }  # fmt: skip
    assert sorted(d.split(":")[0] for d in shop.cast.values()) == sorted(ROLES)
    assert set(shop.cast) == set(KEY.values())


# -- the story --------------------------------------------------------------------------------

SLUMP = ["2026-04", "2026-05", "2026-06"]


def presale(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["agent_id"] != KEY["aftersale"]]


def test_every_agent_month_has_enough_inquiries(story: tuple[pd.DataFrame, ...]) -> None:
    _, _, table = story
    rows = presale(table)
    # the one exception: the new hire's first, partial month, spent shadowing (too few to judge)
    training = rows[(rows["agent_id"] == KEY["new-hire"]) & (rows["month"] == "2026-08")]
    assert len(training) == 1 and 0 < int(training["inquiring"].iloc[0]) < 30
    rows = rows.drop(training.index)
    assert rows["inquiring"].between(150, 400).all()
    assert (rows.groupby("month").size() >= 8).all()
    normal = rows[~rows["month"].isin(SLUMP)]
    assert normal["conversion"].between(0.19, 0.61).all()
    assert rows["spend_fen"].between(11_000, 50_000).all()


def test_the_four_quadrants_in_the_latest_month(story: tuple[pd.DataFrame, ...]) -> None:
    _, _, table = story
    for month in ["2026-07", "2026-08", "2026-09", "2026-10"]:
        rows = presale(table[table["month"] == month]).set_index("agent_id")
        conversion, spend = team(rows)
        quadrant = {
            a: (rows.at[a, "conversion"] >= conversion, rows.at[a, "spend_fen"] >= spend)
            for a in rows.index
        }
        assert quadrant[KEY["stuck-low"]] == (False, False), month  # stuck for four months
        if month == "2026-10":
            assert quadrant[KEY["star"]] == (True, True)
            assert quadrant[KEY["narrow-seller"]] == (True, False)
            assert quadrant[KEY["slow-typist"]] == (False, True)


def test_the_star_earns_commission_and_quarterly_bonus(
    demo: tuple[DemoShop, float], story: tuple[pd.DataFrame, ...]
) -> None:
    _, credited, table = story
    star = presale(table).set_index(["agent_id", "month"]).loc[KEY["star"]]
    assert star.loc["2026-10", "net_fen"] >= 3_000_000
    quarters = star["net_fen"].groupby(pd.PeriodIndex(star.index, freq="Q")).sum()
    assert (quarters >= 15_000_000).sum() >= 2
    reviews = pd.read_csv(demo[0].files[0].parent / "reviews.csv", dtype={"order_id": str})
    rated = credited.merge(reviews, on="order_id")
    rated = rated[(rated["month"] == "2026-10") & (rated["agent_id"] != KEY["aftersale"])]
    team_bad = (rated["rating"] == "bad").mean()
    star_bad = (rated.loc[rated["agent_id"] == KEY["star"], "rating"] == "bad").mean()
    assert star_bad <= team_bad


def test_the_narrow_seller_sells_one_item_per_buyer(story: tuple[pd.DataFrame, ...]) -> None:
    _, _, table = story
    latest = presale(table[table["month"] == "2026-10"]).set_index("agent_id")
    per_buyer = latest["items"] / latest["paying"]
    assert per_buyer[KEY["narrow-seller"]] < 1.15
    assert per_buyer.drop(KEY["narrow-seller"]).min() > 1.25


def test_the_slow_typist_is_slow(
    demo: tuple[DemoShop, float], story: tuple[pd.DataFrame, ...]
) -> None:
    m, credited, _ = story
    speed = response_and_typing(m).reset_index()
    latest = speed[speed["month"] == "2026-10"].set_index("agent_id")
    slow = latest.loc[KEY["slow-typist"]]
    others = latest.drop([KEY["slow-typist"], KEY["aftersale"]])
    assert 60 <= slow["first_response_s"] <= 200
    assert others["first_response_s"].max() < 40
    assert 30 <= slow["typing_cpm"] <= 50 and others["typing_cpm"].median() > 75
    assert others["typing_cpm"].min() > 1.3 * slow["typing_cpm"]
    reviews = pd.read_csv(demo[0].files[0].parent / "reviews.csv", dtype={"order_id": str})
    bad = credited.merge(reviews, on="order_id").dropna(subset=["agent_id"])
    bad_rate = bad.groupby("agent_id")["rating"].apply(lambda r: (r == "bad").mean())
    assert bad_rate.idxmax() == KEY["slow-typist"]


def test_question_one_pair(story: tuple[pd.DataFrame, ...]) -> None:
    _, _, table = story
    latest = table[table["month"] == "2026-10"].set_index("agent_id")
    fast, busy = latest.loc[KEY["q1-efficient"]], latest.loc[KEY["q1-busy"]]
    assert abs(fast["net_fen"] - busy["net_fen"]) <= 0.05 * busy["net_fen"]
    assert fast["conversion"] >= 1.6 * busy["conversion"]
    assert busy["inquiring"] >= 1.4 * fast["inquiring"]


def test_question_two_steady_and_erratic(story: tuple[pd.DataFrame, ...]) -> None:
    _, credited, table = story
    net = table.pivot(index="month", columns="agent_id", values="net_fen")
    shop_net = credited.groupby(credited["created_at"].dt.strftime("%Y-%m"))["net_fen"].sum()
    steady, erratic = net[KEY["steady"]], net[KEY["erratic"]]
    year = net.index[-12:]
    assert abs(steady[year].sum() - erratic[year].sum()) <= 0.1 * steady[year].sum()
    assert steady.corr(shop_net - steady) > 0.8
    assert erratic.corr(shop_net - erratic) < 0.3
    swing = erratic / erratic.mean()
    assert ((swing < 0.7) | (swing > 1.3)).mean() >= 0.75  # most months far off its own mean
    assert ((steady / steady.mean() - 1).abs() < 0.3).mean() >= 0.6


def test_whole_team_slump_then_recovery(story: tuple[pd.DataFrame, ...]) -> None:
    _, _, table = story
    rows = presale(table)
    by_month = rows.groupby("month")[["paying", "inquiring"]].sum()
    conversion = by_month["paying"] / by_month["inquiring"]
    before, after = conversion["2026-01":"2026-03"].mean(), conversion["2026-07":"2026-10"].mean()
    assert (conversion[SLUMP] < 0.65 * before).all() and after > 0.9 * before
    per_agent = rows.pivot(index="month", columns="agent_id", values="conversion")
    in_slump = per_agent.loc[SLUMP].mean().dropna()
    outside = per_agent.drop(index=SLUMP).mean()[in_slump.index]
    assert (in_slump < 0.75 * outside).all()  # every presale agent, not a few


def test_new_hire_and_leaver(story: tuple[pd.DataFrame, ...], demo: tuple[DemoShop, float]) -> None:
    m, _, table = story
    agents = pd.read_csv(demo[0].files[0].parent / "agents.csv", keep_default_na=False)
    agents = agents.set_index("agent_id")
    assert agents.at[KEY["new-hire"], "hired_on"] == "2026-08-17"
    assert agents.at[KEY["leaver"], "left_on"] == "2026-06-15"
    new = m[m["agent_id"] == KEY["new-hire"]]["sent_at"]
    gone = m[m["agent_id"] == KEY["leaver"]]["sent_at"]
    assert new.min() >= pd.Timestamp("2026-08-17") and gone.max() < pd.Timestamp("2026-06-16")
    assert set(table.loc[table["agent_id"] == KEY["new-hire"], "month"]) == {
        "2026-08", "2026-09", "2026-10",
    }  # fmt: skip


def test_shop_life(story: tuple[pd.DataFrame, ...], demo: tuple[DemoShop, float]) -> None:
    m, credited, _ = story
    silent = credited["agent_id"].isna()
    assert 0.15 <= silent.mean() <= 0.25
    assert 0.03 <= (credited["refund_fen"] > 0).mean() <= 0.08
    reviews = pd.read_csv(demo[0].files[0].parent / "reviews.csv", dtype={"order_id": str})
    assert 0.5 <= len(reviews) / len(credited) <= 0.7

    # returning buyers: a quarter come back (chat or buy) within 90 days of their first payment
    first_paid = credited.groupby("buyer_id")["paid_at"].min()
    early = first_paid[first_paid < pd.Timestamp("2026-07-01")]
    later_orders = credited[["buyer_id", "paid_at"]].rename(columns={"paid_at": "t"})
    later_chats = m[m["inquiry"]][["buyer_id", "start"]].rename(columns={"start": "t"})
    seen = pd.concat([later_orders, later_chats]).merge(early.rename("t0"), on="buyer_id")
    back = seen[(seen["t"] > seen["t0"] + pd.Timedelta(days=15))
                & (seen["t"] <= seen["t0"] + pd.Timedelta(days=90))]  # fmt: skip
    assert 0.15 <= back["buyer_id"].nunique() / len(early) <= 0.35
    won = credited.dropna(subset=["agent_id"]).sort_values("created_at")
    switched = won.groupby("buyer_id")["agent_id"].agg(lambda a: a.nunique() > 1)
    assert switched.sum() > 50  # bought again after asking a different agent

    sessions = m.drop_duplicates("session")
    hour = sessions["start"].dt.hour
    assert 0.9 <= hour.between(9, 22).mean() < 1 and (~hour.between(9, 22)).sum() > 500
    assert (sessions["aftersale"]).sum() > 1000
    per_day = m[m["inquiry"]].assign(day=m["start"].dt.date)
    two_agents = per_day.groupby(["buyer_id", "day"])["agent_id"].nunique()
    assert (two_agents > 1).sum() > 100
    # after-sale sessions of the after-sale agent all concern an order paid in the 15 days before
    helper = sessions[sessions["agent_id"] == KEY["aftersale"]]
    assert helper["aftersale"].all() and len(helper) > 1000
