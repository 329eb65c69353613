"""Personal data in chat text — phones, ID cards, bank cards, emails, chat ids, addresses — masked.

Applied by every message importer before anything is stored (the original is never kept), and
again to every example shown to a person. Masking is deterministic and idempotent: the same
text always gives the same masked text, so importing a file twice changes nothing, and a
masked text masked again stays as it is. docs/voice.md lists the rules.

What is NOT masked, on purpose: order numbers (18–19 digits that are not a valid ID-card
number with a real birth date and a right check digit; the metrics never read them from chat
text, but a person reading an example may need them to look the order up), prices, dates,
quantities and sizes, and tracking numbers.
"""

from __future__ import annotations

import re
from datetime import date

# What a masked piece is replaced by: one token per kind, so a reader sees what was there.
PHONE = "[手机号]"
LANDLINE = "[电话]"
ID_CARD = "[身份证号]"
BANK_CARD = "[银行卡号]"
EMAIL = "[邮箱]"
ACCOUNT = "[账号]"
ADDRESS = "[地址]"
TOKENS = (PHONE, LANDLINE, ID_CARD, BANK_CARD, EMAIL, ACCOUNT, ADDRESS)

_SEP = r"[ \-－—.·]?"  # one optional separator a buyer types between digit groups
# Digits not glued to other digits or latin letters (an order number holds a phone-like run).
_L = r"(?<![0-9A-Za-z])"
_R = r"(?![0-9A-Za-z])"

_MOBILE = re.compile(
    _L + r"(?:\+?86" + _SEP + r")?1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4}" + _R
)
_LANDLINE = re.compile(_L + r"(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})" + _SEP + r"\d{7,8}" + _R)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_ID18 = re.compile(_L + r"\d{17}[\dXx]" + _R)
# 16–19 digits in groups of 4 (or unbroken): bank cards; decided by the Luhn check.
_CARD = re.compile(_L + r"\d{4}(?:[ \-]?\d{2,4}){3,4}" + _R)
# An id named by its keyword: 微信/vx/wx/QQ/支付宝 then an optional 号/：, then the id itself.
_ACCOUNT = re.compile(
    r"(?P<kw>(?:微信|威信|薇信|vx|VX|Vx|wx|WX|Wx|V信|v信|QQ|qq|Qq|扣扣|支付宝)(?:号码|号)?"
    r"\s*(?:是|为)?\s*[:：]?\s*)(?P<id>[A-Za-z0-9][A-Za-z0-9_\-@.]{4,30})"
)
# Addresses: a run that names places down to a number: 省/市/区/县/镇 … 路/街/道/号/小区/栋/单元/室.
# Name characters exclude the verbs and pronouns a buyer writes around an address (改成, 寄到,
# 我在…), so that only the address itself is replaced.
_NOT_NAME = r"(?![是在到寄发送收货请麻烦帮我你他她的为换改成址把给和跟住])"
_CJK_NAME = _NOT_NAME + r"[\u4e00-\u9fff]"
_ANY_NAME = _NOT_NAME + r"[\u4e00-\u9fffA-Za-z0-9]"
_PLACE = r"(?:" + _CJK_NAME + r"){1,12}?(?:省|自治区|市|区|县|旗|镇|乡|街道)"
_STREET = (
    r"(?:"
    + _ANY_NAME
    + r"){1,15}?(?:路|街|大道|道|巷|弄|胡同|村|小区|花园|公寓|大厦|广场|苑|园|城)"
)
_NUMBER = (
    r"[\dA-Za-z一二三四五六七八九十百零\-－#]{1,8}"
    r"(?:号楼|号院|号|栋|幢|座|单元|楼|层|室|户|弄)"
)
_ROOM = r"(?:[\-－]?\d{1,5}(?![\d号栋幢座单元楼层室户弄]))?"  # 2单元501: the room after the unit
_ADDRESS = re.compile(
    r"(?:"
    + _PLACE
    + r"){1,4}(?:"
    + _STREET
    + r")?(?:"
    + _NUMBER
    + r"){0,6}"
    + _ROOM
    + r"|"
    + _STREET
    + r"(?:"
    + _NUMBER
    + r"){1,6}"
    + _ROOM
)
# A cheap first look: a text that does not match this holds nothing to mask (mask() returns it
# as it is). The same pattern is RE2 syntax, so the bulk importer runs it in DuckDB and calls
# Python only for the rows it matches. Long digit runs (phones, IDs, cards, landlines), digit
# groups with a separator, @, the account keywords, and a number with an address unit.
MAY_HOLD_RE2 = (
    r"[0-9]{7}|[0-9]{3,4}[ \-－—.·][0-9]{4}|@|微信|威信|薇信|[vVwW][xX]|[vV]信|[qQ]{2}|扣扣|支付宝"
    r"|[0-9一二三四五六七八九十百零][0-9A-Za-z\-－#]{0,7}(?:号|栋|幢|座|单元|楼|层|室|户|弄)"
)
_MAY_HOLD = re.compile(MAY_HOLD_RE2)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def is_id_card(digits: str) -> bool:
    """True for an 18-character mainland ID number: region, a real birth date, the check digit."""
    if len(digits) != 18 or not digits[:17].isdigit():
        return False
    if digits[0] not in "123456789":
        return False
    try:
        born = date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    if not date(1900, 1, 1) <= born <= date(2100, 1, 1):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == digits[17].upper()


def luhn_ok(digits: str) -> bool:
    """The Luhn check that bank card numbers pass."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _id_card(m: re.Match[str]) -> str:
    return ID_CARD if is_id_card(m.group(0)) else m.group(0)


def _bank_card(m: re.Match[str]) -> str:
    digits = re.sub(r"[ \-]", "", m.group(0))
    if not 16 <= len(digits) <= 19 or not luhn_ok(digits):
        return m.group(0)
    # An unbroken run of 18–19 digits is an order number unless the buyer says 卡 just before
    # it: one in ten order numbers passes Luhn by chance.
    grouped = digits != m.group(0)
    if (
        not grouped
        and len(digits) >= 18
        and "卡" not in m.string[max(0, m.start() - 6) : m.start()]
    ):
        return m.group(0)
    return BANK_CARD


def _address(m: re.Match[str]) -> str:
    piece = m.group(0)
    # A place name alone (杭州市, 发浙江省几天) is no address: it needs a street or a number.
    if not re.search(r"\d|[一二三四五六七八九十]+(?:号|栋|幢|单元|室|楼)", piece):
        return piece
    if not re.search(
        r"路|街|道|巷|弄|胡同|村|小区|花园|公寓|大厦|广场|苑|园|城|栋|幢|单元|室", piece
    ):
        return piece
    return ADDRESS


def mask(text: str) -> str:
    """`text` with every personal detail replaced by its token; idempotent."""
    if not text or not _MAY_HOLD.search(text):
        return text
    out = _EMAIL.sub(EMAIL, text)
    out = _ACCOUNT.sub(lambda m: m.group("kw") + ACCOUNT, out)
    out = _ID18.sub(_id_card, out)
    out = _CARD.sub(_bank_card, out)
    out = _MOBILE.sub(PHONE, out)
    out = _LANDLINE.sub(LANDLINE, out)
    out = _ADDRESS.sub(_address, out)
    return out


def may_hold(text: str) -> bool:
    """False when `text` certainly holds nothing to mask (a cheap pre-check)."""
    return bool(text) and _MAY_HOLD.search(text) is not None
