"""Decoding a text export: one encoding per file — UTF-8 (with or without BOM), UTF-16 with BOM, or
GBK/GB18030 — never a guess, and the lines written in another encoding than their file's found out.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from kefu.i18n import t
from kefu.io.records import ImportFileError

# The order matters: strict UTF-8 first, because GBK text almost never decodes as UTF-8,
# while UTF-8 text often decodes as (wrong) GB18030.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Line ends as the CSV reader and the chat reader count them: CRLF, LF or a lone CR.
# No byte of a multi-byte UTF-8 or GB18030 character is CR or LF, so splitting the bytes
# here never cuts a character.
_LINE_END = re.compile(rb"\r\n|\r|\n")
# Chinese (and full-width) characters: a line that is valid UTF-8 *and* reads as Chinese
# in UTF-8 was written in UTF-8; a GBK line is valid UTF-8 only by accident, and then
# reads as Latin, Greek or Cyrillic letters, not as Chinese.
_CJK = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


@dataclass
class Decoded:
    """A file's text, the encoding it was read with, and its lines written in another one.

    `odd_lines` maps a line number (first line = 1) to why it does not belong: such a
    line is decoded in its own encoding (so its value reads right) and the row or
    message it belongs to is quarantined with that reason.
    """

    text: str
    encoding: str
    odd_lines: dict[int, str] = field(default_factory=dict)


EITHER = "UTF-8 or GBK"  # the text was neither: its own refusal, in words


def decode(data: bytes, file: str) -> tuple[str, str]:
    """The text of `data` and the encoding it was read with ('utf-8', 'utf-8-sig', 'gb18030', 'utf-16')."""
    d = decode_file(data, file)
    return d.text, d.encoding


def decode_file(data: bytes, file: str) -> Decoded:
    """Decode `data`, deciding one encoding for the file and finding lines written in another.

    A byte-order mark decides the encoding. Without one, a file that is valid UTF-8 is
    UTF-8. Otherwise each line is tried: the file is UTF-8 when more of its lines read as
    UTF-8 Chinese than fail UTF-8, else GB18030 (which includes GBK and GB2312); the
    lines of the other encoding are `odd_lines`. A line neither UTF-8 nor GB18030 accepts
    raises ImportFileError naming its first bad byte.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(name), name)
            except UnicodeDecodeError as e:
                if name != "utf-8-sig":
                    raise _bad_bytes(file, data, e.start, name) from None
                return _by_line(data, file, len(bom), forced="utf-8-sig")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        return _by_line(data, file, 0, forced=None)


def _by_line(data: bytes, file: str, start: int, forced: str | None) -> Decoded:
    lines: list[tuple[int, bytes, bytes]] = []  # (offset, content, line end)
    pos = start
    for m in _LINE_END.finditer(data, start):
        lines.append((pos, data[pos : m.start()], m.group()))
        pos = m.end()
    if pos < len(data):
        lines.append((pos, data[pos:], b""))

    utf8: list[str | None] = []
    gbk: list[str | None] = []
    for n, (offset, content, _) in enumerate(lines, start=1):
        u = g = None
        u_error = g_error = 0
        try:
            u = content.decode("utf-8")
        except UnicodeDecodeError as e:
            u_error = e.start
        try:
            g = content.decode("gb18030")
        except UnicodeDecodeError as e:
            g_error = e.start
        if u is None and g is None:
            tried = "UTF-8" if forced else EITHER
            raise _bad_bytes(file, data, offset + max(u_error, g_error), tried, line=n)
        utf8.append(u)
        gbk.append(g)

    chinese_utf8 = sum(
        1 for u, g in zip(utf8, gbk, strict=True) if u is not None and u != g and _CJK.search(u)
    )
    not_utf8 = sum(1 for u in utf8 if u is None)
    encoding = forced or ("utf-8" if chinese_utf8 > not_utf8 else "gb18030")

    parts: list[str] = []
    odd: dict[int, str] = {}
    for n, ((_, _, end), u, g) in enumerate(zip(lines, utf8, gbk, strict=True), start=1):
        if encoding == "gb18030":
            if g is None or (u is not None and u != g and _CJK.search(u)):
                assert u is not None  # every line is valid GB18030 or UTF-8
                mojibake = t("io.encoding.as_gbk", "en", text=_short(g)) if g else ""
                odd[n] = t("io.encoding.utf8_line", "en", mojibake=mojibake)
                parts.append(u)
            else:
                parts.append(g)
        elif u is None:
            assert g is not None
            odd[n] = t("io.encoding.gbk_line", "en")
            parts.append(g)
        else:
            parts.append(u)
        parts.append(end.decode("ascii"))
    return Decoded("".join(parts), encoding, odd)


def _short(s: str, limit: int = 40) -> str:
    s = s.strip()
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _bad_bytes(
    file: str, data: bytes, offset: int, tried: str, *, line: int | None = None
) -> ImportFileError:
    if line is None:
        line = len(_LINE_END.findall(data, 0, offset)) + 1
    bad = data[offset : offset + 4].hex(" ")
    if tried == EITHER:
        return ImportFileError(
            "io.file.bad_bytes_either", file=file, offset=offset, line=line, bytes=bad
        )
    return ImportFileError(
        "io.file.bad_bytes", file=file, tried=tried, offset=offset, line=line, bytes=bad
    )
