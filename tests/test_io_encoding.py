"""Encodings: UTF-8, UTF-8 with BOM, UTF-16 with BOM, GBK/GB18030 — and refusal, never a wrong guess."""

from __future__ import annotations

import codecs

import pytest

from kefu.io.encoding import decode
from kefu.io.records import ImportFileError

TEXT = "订单编号,买家会员名\n1,小美\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gbk"), "gb18030"),
        (TEXT.encode("gb18030"), "gb18030"),
        (TEXT.encode("utf-16"), "utf-16"),
    ],
)
def test_decodes(data: bytes, encoding: str) -> None:
    assert decode(data, "f.csv") == (TEXT, encoding)


def test_gbk_is_never_read_as_utf8() -> None:
    # every GBK-encoded Chinese header of the real export fails strict UTF-8
    text, enc = decode("订单编号,订单付款时间 ,总金额\n".encode("gbk"), "f.csv")
    assert enc == "gb18030"
    assert text.startswith("订单编号")


def test_gb18030_only_characters() -> None:
    text = "店铺名:𠀀\n"  # outside GBK, inside GB18030
    assert decode(text.encode("gb18030"), "f.txt") == (text, "gb18030")


def test_neither_utf8_nor_gbk_names_the_byte() -> None:
    data = "a,b\n1,2\nx,café\n".encode("latin-1")  # 0xE9 then a newline: not GBK either
    with pytest.raises(ImportFileError) as e:
        decode(data, "orders.csv")
    msg = str(e.value)
    assert "orders.csv" in msg
    assert "byte 13" in msg
    assert "line 3" in msg
    assert "UTF-8" in msg


def test_lone_invalid_byte() -> None:
    with pytest.raises(ImportFileError, match=r"byte 2 \(line 1"):
        decode(b"ab\x80cd", "x.csv")


# -- one encoding per file: a line in the other one is found out --------------------------------

from kefu.io.encoding import decode_file  # noqa: E402


def test_a_utf8_line_in_a_gbk_file_is_odd() -> None:
    data = (
        "店铺,客服\n小美的店,小美\n".encode("gbk")
        + "星光小店,星光\n".encode()
        + "好店,好\n".encode("gbk")
    )
    d = decode_file(data, "f.csv")
    assert d.encoding == "gb18030"
    assert d.text == "店铺,客服\n小美的店,小美\n星光小店,星光\n好店,好\n"  # each line read right
    assert list(d.odd_lines) == [3]
    assert "is UTF-8 but the file is GBK" in d.odd_lines[3]
    assert "鏄熷厜灏忓簵" in d.odd_lines[3]  # what a GBK reading would have stored


def test_a_gbk_line_in_a_utf8_file_is_odd() -> None:
    data = (
        "店铺,客服\r\n小美的店,小美\r\n".encode()
        + "好店,好\r\n".encode("gbk")
        + "星光小店,星\r\n".encode()
    )
    d = decode_file(data, "f.csv")
    assert d.encoding == "utf-8"
    assert list(d.odd_lines) == [3] and "not UTF-8 like the rest" in d.odd_lines[3]
    assert "好店,好" in d.text


def test_a_gbk_line_that_happens_to_be_valid_utf8_is_not_odd() -> None:
    # 中 is D6 D0 in GBK, which is also UTF-8 (a Cyrillic letter): not Chinese, so GBK it stays
    data = "店铺,客服\n中,小\n".encode("gbk") + "中\n".encode("gbk")
    d = decode_file(data, "f.csv")
    assert d.encoding == "gb18030" and d.odd_lines == {} and d.text.endswith("中\n")


def test_cr_only_lines_are_counted_like_the_csv_reader() -> None:
    data = "a,b\r小美,1\r".encode("gbk") + "星光,2\r".encode()
    d = decode_file(data, "f.csv")
    assert list(d.odd_lines) == [3]
