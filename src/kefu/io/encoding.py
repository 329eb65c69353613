"""Decoding a text export: UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030 — never a guess."""

from __future__ import annotations

import codecs

from kefu.io.records import ImportFileError

# The order matters: strict UTF-8 first, because GBK text almost never decodes as UTF-8,
# while UTF-8 text often decodes as (wrong) GB18030.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes, file: str) -> tuple[str, str]:
    """The text of `data` and the encoding it was read with ('utf-8', 'utf-8-sig', 'gb18030', 'utf-16').

    A file that is neither valid UTF-8 nor valid GB18030 (which includes GBK and GB2312)
    raises ImportFileError naming the first byte that no decoding accepts.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as e:
                raise ImportFileError(_bad_bytes(file, data, e.start, name)) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        utf8_error = e.start
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as e:
        # the furthest any decoding got is where the file really breaks
        raise ImportFileError(
            _bad_bytes(file, data, max(utf8_error, e.start), "UTF-8 or GBK")
        ) from None


def _bad_bytes(file: str, data: bytes, offset: int, tried: str) -> str:
    line = data.count(b"\n", 0, offset) + 1
    bad = data[offset : offset + 4].hex(" ")
    return (
        f"{file} is not {tried} text: byte {offset} (line {line}, bytes {bad}) is invalid there; "
        "open it in a spreadsheet and save it as CSV UTF-8, then import it again"
    )
