"""What users read for each KPI field: its label from the message catalogue, and yuan from fen."""

from __future__ import annotations

from kefu import i18n

ROLES = ("presale", "aftersale")


def label(key: str, lang: str | None = "zh") -> str:
    """A KPI field's label (`kpi.field.<key>`), a role's (`presale`), or the team row's (`team`)."""
    if key in ROLES:
        return i18n.t(f"kpi.role.{key}", lang)
    if key == "team":
        return i18n.t("kpi.team", lang)
    return i18n.t(f"kpi.field.{key}", lang)


def yuan(fen: int | None) -> str:
    """Fen shown as yuan with two decimals, exactly (no float on the way)."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    q, r = divmod(abs(int(fen)), 100)
    return f"{sign}{q:,}.{r:02d}"
