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
