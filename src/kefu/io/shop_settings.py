"""The per-shop settings importers read — automatic-reply accounts and prefixes, the shop's time zone — and shop time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from kefu.i18n import Refusal

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_AUTO_REPLY_PREFIXES = ("[自动回复]", "自动回复")

# Zone names that mean "whatever this machine is set to": never a shop's zone.
_MACHINE_ZONES = frozenset({"localtime", "Factory", "posixrules"})


class SettingError(Refusal, ValueError):
    """A stored or given setting value that is not valid; the message says what is expected."""


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones() - _MACHINE_ZONES)


def parse_timezone(raw: object) -> str:
    """An IANA time zone name (`Asia/Shanghai`, `America/New_York`, `UTC`), checked."""
    name = str(raw).strip() if raw is not None else ""
    if name not in _zone_names():
        raise SettingError("io.setting.timezone_invalid", value=raw)
    return name


def parse_list(raw: object) -> tuple[str, ...]:
    """A comma-separated list (or a list) of accounts or prefixes."""
    if isinstance(raw, (list, tuple)):
        return tuple(str(x) for x in raw)
    return tuple(x.strip() for x in str(raw).split(",") if x.strip())


@dataclass(frozen=True)
class ImportSettings:
    """What reading a shop's files depends on."""

    bot_accounts: tuple[str, ...] = ()
    auto_reply_prefixes: tuple[str, ...] = DEFAULT_AUTO_REPLY_PREFIXES
    timezone: str = DEFAULT_TIMEZONE


def from_mapping(values: Mapping[str, Any]) -> ImportSettings:
    """A shop's import settings from its stored text values (other names are ignored)."""
    s = ImportSettings()
    return ImportSettings(
        bot_accounts=parse_list(values["bot_accounts"])
        if "bot_accounts" in values
        else s.bot_accounts,
        auto_reply_prefixes=parse_list(values["auto_reply_prefixes"])
        if "auto_reply_prefixes" in values
        else s.auto_reply_prefixes,
        timezone=parse_timezone(values["timezone"]) if "timezone" in values else s.timezone,
    )


@dataclass(frozen=True)
class ShopZones:
    """Each shop's time zone (IANA name); shops not listed, and rows without a shop, use `default`."""

    by_shop: Mapping[str, str] = field(default_factory=dict)
    default: str = DEFAULT_TIMEZONE

    def name(self, shop: str | None) -> str:
        return self.by_shop.get(shop, self.default) if shop is not None else self.default

    def zone(self, shop: str | None) -> tzinfo:
        return ZoneInfo(self.name(shop))

    def local(self, t: datetime, shop: str | None) -> datetime:
        """`t` as the shop's wall-clock time, without a zone: a naive `t` already is shop time."""
        if t.tzinfo is None:
            return t
        return t.astimezone(self.zone(shop)).replace(tzinfo=None)


def now_in(zone_name: str = DEFAULT_TIMEZONE) -> datetime:
    """The current wall-clock time in `zone_name`, without a zone (never the machine's zone)."""
    return datetime.now(UTC).astimezone(ZoneInfo(zone_name)).replace(tzinfo=None)
