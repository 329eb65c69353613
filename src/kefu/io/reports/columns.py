"""Building a report's column map: headers normalised, each with its field and kind."""

from __future__ import annotations

from kefu.io.reports.model import Column
from kefu.io.reports.quirks import KINDS, norm_header


def columns(*entries: tuple[str, str, str]) -> dict[str, Column]:
    """(header, field, kind) entries in priority order: an earlier header wins its field."""
    out: dict[str, Column] = {}
    for header, field, kind in entries:
        assert kind in KINDS, kind
        out[norm_header(header)] = Column(field, kind)
    return out


def names(*headers: str) -> tuple[str, ...]:
    return tuple(norm_header(h) for h in headers)
