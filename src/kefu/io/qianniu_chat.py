"""千牛 chat text — the PC window's copy-paste and the web history page's text — as canonical messages.

Row numbers here are line numbers (the first line of the file is line 1): the header line
of a copied message, the time line of a web-page message.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from kefu.i18n import Refusal
from kefu.io.cells import CellError, parse_timestamp
from kefu.io.detect import CHAT_HEADER, CHAT_STAMP_LINE, WEB_DATE, WEB_TIME
from kefu.io.masking import mask
from kefu.io.records import Collector, ImportFileError, ParsedFile
from kefu.io.shop_settings import ShopZones

STATUS_LINES = frozenset({"已读", "未读", "发送中"})
RECALL = re.compile(r"(?:.+\s)?\S*撤回了一条消息")
ARROW = re.compile(r"\s*-->\s*")
# what the web page shows for pictures, cards and other messages it cannot render
WEB_PLACEHOLDER = "请在客户端查看原始聊天记录，网页版无法展示"

DROP_STATUS = "status lines (已读/未读/发送中)"
DROP_RECALL = "recall notices (撤回了一条消息)"
DROP_PREAMBLE = "lines before the first message"


@dataclass
class _Message:
    line_no: int
    speaker: str
    target: str | None
    stamp: str  # as written, for the quarantine
    sent_at: datetime | None
    error: str | None
    text: str


def _speaker(s: str) -> str:
    return s.strip().replace("：", ":")


def is_agent(speaker: str) -> bool:
    """A 千牛 sub-account is written 店铺名:子账号; a buyer's nick has no colon."""
    shop, sep, sub = speaker.partition(":")
    return bool(sep and shop.strip() and sub.strip())


_LINE_END = re.compile(r"\r\n|\r|\n")


def _lines(text: str) -> list[str]:
    """The text's lines, whatever their ends: CRLF, LF or a lone CR (old Mac-style copies)."""
    return _LINE_END.split(text)


def _header(line_no: int, speaker_part: str, stamp: str) -> _Message:
    parts = ARROW.split(speaker_part, maxsplit=1)
    speaker = _speaker(parts[0])
    target = _speaker(parts[1]) if len(parts) == 2 else None
    try:
        sent_at: datetime | None = parse_timestamp(stamp)
        error = None
    except CellError as e:
        sent_at, error = None, str(e)
    return _Message(line_no, speaker, target, stamp, sent_at, error, "")


def _split_clipboard(text: str, dropped: Counter[str]) -> list[_Message]:
    """Messages of the PC window's copy: a header 'speaker YYYY-M-D H:MM:SS', then its lines."""
    messages: list[_Message] = []
    body: list[tuple[int, str]] = []  # lines of the current message (or before the first)

    def close() -> None:
        lines = [t for _, t in body]
        while lines and not lines[-1]:
            lines.pop()
        while lines and not lines[0]:
            lines.pop(0)
        if messages:
            messages[-1].text = "\n".join(lines)
        elif any(lines):
            dropped[DROP_PREAMBLE] += sum(1 for t in lines if t)

    for n, raw in enumerate(_lines(text), start=1):
        line = raw.strip()
        if line in STATUS_LINES:
            dropped[DROP_STATUS] += 1
            continue
        if line and RECALL.fullmatch(line):
            dropped[DROP_RECALL] += 1
            continue
        head = CHAT_HEADER.fullmatch(line)
        if head:
            close()
            body = []
            messages.append(_header(n, head["speaker"], f"{head['date']} {head['time']}"))
            continue
        if CHAT_STAMP_LINE.fullmatch(line) and any(t for _, t in body):
            # the older two-line header: the line before the time names the speaker
            while not body[-1][1]:
                body.pop()
            speaker_line, speaker = body.pop()
            close()
            body = []
            messages.append(_header(speaker_line, speaker, line))
            continue
        body.append((n, line))
    close()
    return messages


def _split_web(
    text: str, file: str, dropped: Counter[str]
) -> tuple[list[_Message], list[tuple[int, str]]]:
    """Messages of the web history page: date lines, then blocks of time, content line(s), sender."""
    messages: list[_Message] = []
    broken: list[tuple[int, str]] = []
    day: date | None = None
    block: list[tuple[int, str]] = []
    recalled = False

    def close() -> None:
        nonlocal block, recalled
        if not block:
            return
        (line_no, time_line), rest = block[0], [t for _, t in block[1:]]
        while rest and not rest[-1]:
            rest.pop()
        while rest and not rest[0]:
            rest.pop(0)
        if recalled and len(rest) <= 1:
            pass  # only a recall notice was there; already counted
        elif len(rest) < 2 or day is None:
            broken.append((line_no, time_line))
        else:
            t = WEB_TIME.fullmatch(time_line)
            assert t is not None
            stamp = f"{day.isoformat()} {t['H']}:{t['M']}:{t['S'] or '00'}"
            msg = _header(line_no, rest[-1], stamp)
            msg.text = "\n".join(rest[:-1]).strip()
            messages.append(msg)
        block, recalled = [], False

    for n, raw in enumerate(_lines(text), start=1):
        line = raw.strip()
        d = WEB_DATE.fullmatch(line)
        if d:
            close()
            try:
                day = date(int(d["y"]), int(d["m"]), int(d["d"]))
            except ValueError:
                raise ImportFileError("io.chat.bad_date", file=file, line=n, value=line) from None
            continue
        if WEB_TIME.fullmatch(line):
            close()
            block = [(n, line)]
            continue
        if line in STATUS_LINES:
            dropped[DROP_STATUS] += 1
            continue
        if line and RECALL.fullmatch(line):
            dropped[DROP_RECALL] += 1
            recalled = True
            continue
        if block:
            block.append((n, line))
        elif line:
            dropped[DROP_PREAMBLE] += 1
    close()
    return messages, broken


def parse(
    text: str,
    *,
    file: str,
    fmt: str,
    encoding: str,
    shop: str | None,
    bot_accounts: tuple[str, ...],
    auto_reply_prefixes: tuple[str, ...],
    zones: ShopZones | None = None,
    odd_lines: Mapping[int, str] | None = None,
) -> ParsedFile:
    """Canonical messages from 千牛 chat text (`fmt` is 'qianniu-clipboard' or 'qianniu-web')."""
    dropped: Counter[str] = Counter()
    broken: list[tuple[int, str]] = []
    if fmt == "qianniu-web":
        messages, broken = _split_web(text, file, dropped)
    else:
        messages = _split_clipboard(text, dropped)

    agents = [m.speaker for m in messages if is_agent(m.speaker)]
    agents += [m.target for m in messages if m.target and is_agent(m.target)]
    if not agents:
        raise ImportFileError("io.chat.no_agent", file=file)
    buyers = [m.speaker for m in messages if not is_agent(m.speaker)]
    buyers += [m.target for m in messages if m.target and not is_agent(m.target)]
    if not buyers:
        raise ImportFileError("io.chat.no_buyer", file=file)

    def bot(account: str) -> bool:
        return account in bot_accounts or account.partition(":")[2] in bot_accounts

    humans = [i for i, m in enumerate(messages) if is_agent(m.speaker) and not bot(m.speaker)]
    bots = [i for i, m in enumerate(messages) if is_agent(m.speaker) and bot(m.speaker)]
    buyer_at = [i for i, m in enumerate(messages) if not is_agent(m.speaker)]

    def nearest(candidates: list[int], i: int) -> str | None:
        # the speaker of the closest candidate before message i, else the closest after it
        k = bisect.bisect_left(candidates, i)
        if k > 0:
            return messages[candidates[k - 1]].speaker
        return messages[candidates[k]].speaker if k < len(candidates) else None

    col = Collector(
        "messages",
        file,
        ["shop_id", "buyer_id", "agent_id", "sent_at", "sender", "text", "chars"],
        zones=zones,
        labels={
            "sent_at": "time",
            "agent_id": "speaker",
            "buyer_id": "speaker",
            "shop_id": "speaker",
        },
    )
    col.rows_read = len(messages) + len(broken)
    for line_no, time_line in broken:
        col.reject(
            line_no,
            "time",
            time_line,
            Refusal("io.chat.block"),
        )
    seen: set[tuple[object, ...]] = set()
    duplicates = placeholders = 0
    other_shop: set[str] = set()
    odd_at = sorted(odd_lines or {})
    for i, m in enumerate(messages):
        record = {"speaker": m.speaker, "time": m.stamp}
        if m.sent_at is None:
            col.reject(m.line_no, "time", m.stamp, m.error or "not a time", record)
            continue
        # a line in another encoding than the file's, from this message's first line to the next's
        k = bisect.bisect_left(odd_at, m.line_no)
        if k < len(odd_at) and (i + 1 == len(messages) or odd_at[k] < messages[i + 1].line_no):
            col.reject(m.line_no, "text", None, (odd_lines or {})[odd_at[k]], record)
            continue
        said = "" if m.text == WEB_PLACEHOLDER else m.text
        placeholders += m.text == WEB_PLACEHOLDER
        text = mask(said)  # personal details never reach the store; chars counts what was typed
        if is_agent(m.speaker):
            sender = "auto" if bot(m.speaker) or text.startswith(auto_reply_prefixes) else "agent"
            agent = m.speaker
            if bot(m.speaker):
                agent = nearest(humans, i) or m.speaker
            buyer = m.target if m.target and not is_agent(m.target) else nearest(buyer_at, i)
        else:
            sender = "buyer"
            buyer = m.speaker
            named = m.target if m.target and is_agent(m.target) else None
            # a sub-account named only as the target of buyer messages ("tb --> 店:客服") still counts
            agent = named or nearest(humans, i) or nearest(bots, i) or agents[0]
        if buyer is None:
            buyer = next(b for b in buyers if b)
        shop_id = agent.split(":", 1)[0]
        if shop and shop != shop_id:
            other_shop.add(shop_id)
        row = col.check(
            m.line_no,
            {
                "shop_id": shop_id,
                "buyer_id": buyer,
                "agent_id": agent,
                "sent_at": m.sent_at,
                "sender": sender,
                "text": text,
                "chars": len(said),
            },
            record,
        )
        if row is None:
            continue
        key = (shop_id, buyer, agent, row["sent_at"], sender, text)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        col.add(m.line_no, row)
    notes = []
    if placeholders:
        notes.append(
            f"{placeholders} messages show only '{WEB_PLACEHOLDER}' (pictures, cards…): kept with empty text"
        )
    warnings = []
    if other_shop:
        warnings.append(
            f"--shop {shop} was not used: the shop is the part of the sub-account before the colon "
            f"({', '.join(sorted(other_shop))})"
        )
    table = col.table()
    return ParsedFile(
        file=file,
        kind="messages",
        format=fmt,
        encoding=encoding,
        table=table,
        columns=table.column_names,
        rows_read=col.rows_read,
        source_rows=col.source_rows,
        quarantine=col.quarantine,
        warnings=warnings,
        notes=notes,
        dropped=dict(dropped),
        duplicates=duplicates,
    )
