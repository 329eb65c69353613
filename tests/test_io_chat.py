"""千牛 chat text: speakers, attribution to the conversation's agent, drops, automatic replies."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from kefu.io import ImportFileError, read_file


def chat(
    tmp_path: Path, text: str, name: str = "chat.txt", newline: str = "\n", **kw: object
) -> list[dict[str, object]]:
    p = tmp_path / name
    p.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return read_file(p, **kw).table.to_pylist()  # type: ignore[arg-type]


def test_username_runs_into_the_date_and_crlf(tmp_path: Path) -> None:
    text = "小美店:小美 2024-1-5 10:00:00\n您好\ntb123452024-1-5 10:00:21\n在吗\n"
    rows = chat(tmp_path, text, newline="\r\n")
    assert [(r["sender"], r["buyer_id"], r["agent_id"], r["text"]) for r in rows] == [
        ("agent", "tb12345", "小美店:小美", "您好"),
        ("buyer", "tb12345", "小美店:小美", "在吗"),
    ]
    assert rows[1]["sent_at"] == datetime(2024, 1, 5, 10, 0, 21)


def test_arrow_header_names_both_sides(tmp_path: Path) -> None:
    text = (
        "tb_a --> 小美店:小丽 2024-1-5 10:00:00\n我要退货\n"
        "小美店:小美 2024-1-5 10:01:00\n稍等\n"
        "小美店:小丽 --> tb_a 2024-1-5 10:02:00\n好的\n"
    )
    rows = chat(tmp_path, text)
    assert [(r["sender"], r["agent_id"]) for r in rows] == [
        ("buyer", "小美店:小丽"),  # the arrow names the sub-account the buyer wrote to
        ("agent", "小美店:小美"),
        ("agent", "小美店:小丽"),
    ]
    assert {r["buyer_id"] for r in rows} == {"tb_a"}
    assert {r["shop_id"] for r in rows} == {"小美店"}


def test_buyer_messages_go_to_the_nearest_agent(tmp_path: Path) -> None:
    text = (
        "tb_a 2024-1-5 09:59:00\n在吗\n"  # before any agent spoke: the first agent after it
        "店:甲 2024-1-5 10:00:00\n在\n"
        "tb_a 2024-1-5 10:01:00\n转人工\n"
        "店:乙 2024-1-5 10:02:00\n我来\n"
        "tb_a 2024-1-5 10:03:00\n谢谢\n"
    )
    rows = chat(tmp_path, text)
    assert [r["agent_id"] for r in rows] == ["店:甲", "店:甲", "店:甲", "店:乙", "店:乙"]


def test_two_line_header_multiline_text_and_drops(tmp_path: Path) -> None:
    text = (
        "复制的聊天记录\n"
        "店:甲\n2024-1-5 10:00:00\n第一行\n\n第三行\n已读\n"
        "tb_b\n2024-1-5 10:00:30\n👍\n未读\n发送中\n"
        "你撤回了一条消息\n"
    )
    p = tmp_path / "c.txt"
    p.write_text(text, encoding="utf-8")
    pf = read_file(p)
    rows = pf.table.to_pylist()
    assert [(r["sender"], r["text"], r["chars"]) for r in rows] == [
        ("agent", "第一行\n\n第三行", 8),
        ("buyer", "👍", 1),  # chars are code points
    ]
    assert pf.source_rows == [2, 8]
    assert pf.dropped == {
        "lines before the first message": 1,
        "status lines (已读/未读/发送中)": 3,
        "recall notices (撤回了一条消息)": 1,
    }


def test_automatic_replies(tmp_path: Path) -> None:
    text = (
        "tb_a 2024-1-5 10:00:00\n在吗\n"
        "店:机器人 2024-1-5 10:00:01\n您好，我是智能助手\n"
        "店:甲 2024-1-5 10:00:02\n[自动回复]亲，稍等\n"
        "店:甲 2024-1-5 10:00:30\n在的\n"
    )
    rows = chat(tmp_path, text, bot_accounts=("机器人",))
    assert [(r["sender"], r["agent_id"]) for r in rows] == [
        ("buyer", "店:甲"),
        ("auto", "店:甲"),  # a bot's message sits in the human agent's conversation
        ("auto", "店:甲"),
        ("agent", "店:甲"),
    ]
    rows = chat(tmp_path, text, bot_accounts=("店:机器人",), auto_reply_prefixes=("亲",))
    assert [r["sender"] for r in rows] == ["buyer", "auto", "agent", "agent"]


def test_full_width_colon(tmp_path: Path) -> None:
    rows = chat(tmp_path, "店：甲 2024-1-5 10:00:00\n好\ntb 2024-1-5 10:00:05\n嗯\n")
    assert {r["agent_id"] for r in rows} == {"店:甲"}


def test_no_agent_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(
        ImportFileError, match=r"c.txt has no message from a sub-account \(店铺名:子账号\)"
    ):
        chat(tmp_path, "tb_a 2024-1-5 10:00:00\n在吗\n", name="c.txt")


def test_no_buyer_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="has no message from a buyer"):
        chat(tmp_path, "店:甲 2024-1-5 10:00:00\n在吗\n")


def test_bad_time_is_quarantined(tmp_path: Path) -> None:
    p = tmp_path / "c.txt"
    p.write_text(
        "店:甲 2024-1-5 10:00:00\n在\ntb 2024-2-30 10:00:05\n嗯\ntb 2024-1-5 10:00:09\n好\n",
        encoding="utf-8",
    )
    pf = read_file(p)
    assert pf.table.num_rows == 2 and pf.rows_read == 3
    q = pf.quarantine[0]
    assert (q["row_no"], q["column"], q["value"], q["reason"]) == (
        3,
        "time",
        "2024-2-30 10:00:05",
        "'2024-2-30 10:00:05' is not a date",
    )


def test_exact_duplicates_count_once(tmp_path: Path) -> None:
    p = tmp_path / "c.txt"
    p.write_text(
        "店:甲 2024-1-5 10:00:00\n在\ntb 2024-1-5 10:00:05\n?\ntb 2024-1-5 10:00:05\n?\n",
        encoding="utf-8",
    )
    pf = read_file(p)
    assert pf.table.num_rows == 2 and pf.duplicates == 1


def test_web_page(tmp_path: Path) -> None:
    text = (
        "2024-09-03\n"
        "10:00:00\n在吗\n有货吗\ntb_x\n\n"
        "10:00:40\n有的\n旗舰店:小美\n已读\n\n"
        "10:01\n好\ntb_x\n\n"
        "10:02:00\ntb_x\n\n"  # no sender line: quarantined
        "2024/9/4\n"
        "09:00:00\n请在客户端查看原始聊天记录，网页版无法展示\n旗舰店:小美\n"
    )
    p = tmp_path / "web.txt"
    p.write_text(text, encoding="utf-8")
    pf = read_file(p)
    assert pf.format == "qianniu-web"
    assert [
        (r["sent_at"], r["sender"], r["text"], r["agent_id"], r["buyer_id"])
        for r in pf.table.to_pylist()
    ] == [
        (datetime(2024, 9, 3, 10, 0, 0), "buyer", "在吗\n有货吗", "旗舰店:小美", "tb_x"),
        (datetime(2024, 9, 3, 10, 0, 40), "agent", "有的", "旗舰店:小美", "tb_x"),
        (datetime(2024, 9, 3, 10, 1, 0), "buyer", "好", "旗舰店:小美", "tb_x"),
        (datetime(2024, 9, 4, 9, 0, 0), "agent", "", "旗舰店:小美", "tb_x"),
    ]
    assert pf.dropped == {"status lines (已读/未读/发送中)": 1}
    assert [(q["row_no"], q["value"]) for q in pf.quarantine] == [(16, "10:02:00")]


def test_kind_must_fit(tmp_path: Path) -> None:
    p = tmp_path / "c.txt"
    p.write_text("店:甲 2024-1-5 10:00:00\n在\ntb 2024-1-5 10:00:05\n?\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"is 千牛 chat text \(messages\), not orders"):
        read_file(p, kind="orders")
    assert read_file(p, kind="messages").table.num_rows == 2


def test_gbk_chat(tmp_path: Path) -> None:
    p = tmp_path / "c.txt"
    p.write_bytes("店:甲 2024-1-5 10:00:00\r\n在\r\ntb 2024-1-5 10:00:05\r\n好的\r\n".encode("gbk"))
    pf = read_file(p)
    assert pf.encoding == "gb18030"
    assert pf.table["text"].to_pylist() == ["在", "好的"]
