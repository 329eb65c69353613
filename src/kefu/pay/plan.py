"""Pay plan files: dated parameters read from YAML, validated at load, resolved per month.

A plan file is a tree. Any node may be written as a mapping from dates (YYYY-MM-01) to
values: the value holds from that date on. Every parameter (an amount, a rate, a threshold,
a count) must sit under exactly one such date; structure (metric names, comparison
operators, tier mode) need not. Loading resolves the tree on every date where any value
starts and checks each resulting version, so a plan that is valid in 2024 but not in 2025
is rejected with the date. See docs/pay.md for the format and every error.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from kefu.i18n import Refusal
from kefu.metrics.fields import FIELDS, PARTS, RATE_BY_NAME
from kefu.month import Month

ROLES = ("presale", "aftersale")
COMPONENTS = (
    "base",
    "rank_bonus",
    "commission",
    "assist_commission",
    "quarterly_bonus",
    "annual_bonus",
)
OPS = (">=", ">", "<=", "<")
SHIPPED = ("seed", "growth", "midyear")
DEFAULT_MIN_INQUIRIES = 30
DEFAULT_SETTLE_DAYS = 15

Op = Literal[">=", ">", "<=", "<"]
Mode = Literal["marginal", "whole"]
Reference = Literal["number", "team", "team_mix", "target"]
# metrics a `reference: team_mix` gate may compare: those the team's rate on the agent's own
# mix of products and hours is defined for (kefu.metrics.mix, docs/diagnosis.md)
MIX_METRICS = ("conversion_rate", "avg_spend_fen")


ASSIST_BASE = "assisted_net_sales_fen"  # assist_commission's default base


class PlanError(ValueError):
    """A plan file that cannot be used: which file, which key, and why (code: see docs/pay.md).

    `key` is the plan's key at fault; `why` the reason as a catalogue refusal, `reason` its
    English sentence; `text(lang)` the whole sentence in the reader's language.
    """

    def __init__(self, file: str, key: str, why: Refusal, code: str) -> None:
        self.file, self.key, self.why, self.code = file, key, why, code
        self.reason = str(why)
        super().__init__(self.text("en"))

    def text(self, lang: str | None = None) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        return f"{where}: {self.why.text(lang)} [{self.code}]"


# -- the YAML dialect: dates stay text (we check their form), decimals stay exact ------------
class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    text = str(node.value).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        return Decimal("NaN")


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)


def parse_yaml(text: str) -> Any:
    """YAML as plan and case files read it: dates as text, numbers with a point as Decimal."""
    return yaml.load(text, Loader=_Loader)


# -- dated values ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Dated:
    """A leaf that came from under a date: a parameter's value in force."""

    value: Any


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_like(key: Any) -> bool:
    return (isinstance(key, int) and not isinstance(key, bool)) or (
        isinstance(key, str) and key[:1].isdigit()
    )


def _path(path: tuple[str | int, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


@dataclass
class _Scan:
    file: str
    dated: list[tuple[tuple[str | int, ...], list[date]]] = field(default_factory=list)


def _check_dates(node: Any, path: tuple[str | int, ...], scan: _Scan, under: bool) -> None:
    """Find every dated node, check its dates' form, and refuse dates nested in dates."""
    if isinstance(node, dict):
        free_keys = path == ("targets",)  # agent ids, which may start with a digit
        keys = list(node)
        if keys and not free_keys and any(_date_like(k) for k in keys):
            if not all(_date_like(k) for k in keys):
                raise PlanError(
                    scan.file, _path(path), Refusal("plan.err.mixed_keys"), "mixed-keys"
                )
            if under:
                raise PlanError(
                    scan.file,
                    _path(path),
                    Refusal("plan.err.nested_dates"),
                    "nested-dates",
                )
            days = []
            for k in keys:
                days.append(_parse_day(scan.file, path, k))
            scan.dated.append((path, sorted(days)))
            for k in keys:
                _check_dates(node[k], (*path, str(k)), scan, True)
            return
        for k in keys:
            if not isinstance(k, str):
                raise PlanError(
                    scan.file, _path(path), Refusal("plan.err.bad_key", key=repr(k)), "bad-key"
                )
            _check_dates(node[k], (*path, k), scan, under)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _check_dates(item, (*path, i), scan, under)


def _parse_day(file: str, path: tuple[str | int, ...], key: Any) -> date:
    where = _path((*path, str(key)))
    if not isinstance(key, str) or not _DATE.match(key):
        raise PlanError(file, where, Refusal("plan.err.date_form", key=repr(key)), "date-form")
    try:
        day = date.fromisoformat(key)
    except ValueError:
        raise PlanError(
            file, where, Refusal("plan.err.not_calendar", key=key), "date-form"
        ) from None
    if day.day != 1:
        raise PlanError(
            file,
            where,
            Refusal("plan.err.not_first", first=day.replace(day=1).isoformat()),
            "date-not-first",
        )
    return day


def _resolve(node: Any, day: date, under: bool, path: tuple[str | int, ...]) -> Any:
    if isinstance(node, dict):
        keys = list(node)
        if keys and path != ("targets",) and all(_date_like(k) for k in keys):
            chosen = [k for k in keys if date.fromisoformat(str(k)) <= day]
            if not chosen:
                return None  # before the value's first date; _Versions never asks then
            k = max(chosen, key=str)
            return _resolve(node[k], day, True, (*path, k))
        return {k: _resolve(v, day, under, (*path, k)) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, day, under, (*path, i)) for i, v in enumerate(node)]
    return Dated(node) if under else node


# -- the typed plan ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Gate:
    """metric op reference: e.g. conversion_rate >= the team's pooled conversion_rate."""

    metric: str
    op: Op
    reference: Reference
    number: int | Fraction | None = None  # reference == "number"
    target: str | None = None  # reference == "target": the target's name
    if_undefined: Literal["pass", "fail"] = "fail"
    key: str = ""


@dataclass(frozen=True)
class Tier:
    """A half-open band [lower, upper) of fen and its rate; upper None means no end."""

    lower: int
    upper: int | None
    rate: Fraction


@dataclass(frozen=True)
class MixBand:
    """Buyer-mix weights for tenures in [lower, upper) months."""

    lower: int
    upper: int | None
    new: Fraction
    returning: Fraction


@dataclass(frozen=True)
class BaseSpec:
    amount_fen: int
    step_months: int
    step_fen: int
    max_steps: int
    prorate: bool = True


@dataclass(frozen=True)
class RankSpec:
    metric: str
    amount_fen: int


@dataclass(frozen=True)
class StageWeights:
    """Buyer-mix factors by product stage (the article's 新产品 / 老产品), times the tenure weight.

    A product is new within `new_months` calendar months of its launch date or first sale,
    or when the shop set it so (docs/products.md); each pair is (new buyers, returning buyers).
    """

    new_months: int
    new_product: tuple[Fraction, Fraction]
    established: tuple[Fraction, Fraction]


# the buyer-mix parts a product-stage weighting can split by product, and how
STAGE_SPLIT: dict[str, tuple[str, str]] = {
    "new_buyer_net_sales_fen": ("new", "net"),
    "returning_buyer_net_sales_fen": ("returning", "net"),
    "new_buyer_sales_fen": ("new", "gross"),
    "returning_buyer_sales_fen": ("returning", "gross"),
}


@dataclass(frozen=True)
class CommissionSpec:
    gates: tuple[Gate, ...]
    min_inquiries: int
    base_metric: str | None  # a single money part, or None when weighted by buyer mix
    new_metric: str
    returning_metric: str
    mix: tuple[MixBand, ...]
    mode: Mode
    tiers: tuple[Tier, ...]
    stages: StageWeights | None = None  # buyer mix weighted by product stage too


@dataclass(frozen=True)
class Award:
    name: str
    gate: Gate | None
    amount_fen: int


@dataclass(frozen=True)
class PeriodSpec:
    period: Literal["quarter", "year"]
    target: tuple[Gate, ...]
    min_inquiries: int
    awards: tuple[Award, ...]
    rank_metric: str | None
    rank_fen: int


@dataclass(frozen=True)
class Section:
    base: BaseSpec | None = None
    rank_bonus: RankSpec | None = None
    commission: CommissionSpec | None = None
    # the same format as commission, on an assisted-sales part (metrics.md §2 Assist)
    assist_commission: CommissionSpec | None = None
    quarterly_bonus: PeriodSpec | None = None
    annual_bonus: PeriodSpec | None = None


@dataclass(frozen=True)
class PlanVersion:
    """The plan as it holds from `since` (a first of month) until the next version."""

    since: date
    sections: dict[str, Section]
    settle_days: int
    min_inquiries: int
    targets: dict[str, dict[str, int | Fraction]]  # agent id or "*" -> target name -> value

    def target(self, agent_id: str, name: str) -> int | Fraction | None:
        for who in (agent_id, "*"):
            if name in self.targets.get(who, {}):
                return self.targets[who][name]
        return None


@dataclass(frozen=True)
class Plan:
    name: str
    version: str
    title: dict[str, str]
    source: str  # "seed" for a shipped plan, else the file's path
    text: str
    sha256: str
    versions: tuple[PlanVersion, ...]

    @property
    def starts(self) -> date:
        return self.versions[0].since

    def gates(self) -> list[Gate]:
        """Every gate of every version and section."""
        out: list[Gate] = []
        for v in self.versions:
            for sec in v.sections.values():
                if sec.commission:
                    out += sec.commission.gates
                for p in (sec.quarterly_bonus, sec.annual_bonus):
                    if p:
                        out += [*p.target, *(a.gate for a in p.awards if a.gate)]
        return out

    @property
    def needs_products(self) -> bool:
        """Whether a commission weights sales by product stage (its inputs keep product sales)."""
        return any(
            sec.commission is not None and sec.commission.stages is not None
            for v in self.versions
            for sec in v.sections.values()
        )

    @property
    def needs_strata(self) -> bool:
        """Whether a gate compares with the team on the agent's mix (its inputs keep strata)."""
        return any(g.reference == "team_mix" for g in self.gates())

    def at(self, month: str) -> PlanVersion:
        """The version in force on the first day of `month`."""
        first = Month.parse(month).first_day
        chosen = [v for v in self.versions if v.since <= first]
        if not chosen:
            raise PlanError(
                self.source,
                "",
                Refusal("plan.err.before_start", starts=self.starts.isoformat(), month=month),
                "before-start",
            )
        return chosen[-1]

    def label(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get("zh") or self.name


# -- reading one resolved version ---------------------------------------------------------------
class _Reader:
    def __init__(self, file: str, since: date, multi: bool) -> None:
        self.file, self.since, self.multi = file, since, multi

    def err(self, key: str, reason: Refusal, code: str) -> PlanError:
        if self.multi:
            reason = Refusal("plan.err.in_version", reason=reason, since=self.since.isoformat())
        return PlanError(self.file, key, reason, code)

    def mapping(self, node: Any, key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        node = node.value if isinstance(node, Dated) else node
        if not isinstance(node, dict):
            raise self.err(key, Refusal("plan.err.mapping_keys", keys=", ".join(allowed)), "type")
        for k in node:
            if k not in allowed:
                hint = difflib.get_close_matches(k, allowed, 1)
                more = Refusal("plan.err.did_you_mean", name=hint[0]) if hint else ""
                raise self.err(
                    f"{key}.{k}" if key else k,
                    Refusal("plan.err.unknown_key", more=more, keys=", ".join(allowed)),
                    "unknown-key",
                )
        return node

    def structural(self, node: Any) -> Any:
        return node.value if isinstance(node, Dated) else node

    def param(self, node: Any, key: str) -> Any:
        if node is None:
            raise self.err(key, Refusal("plan.err.missing"), "missing")
        if not isinstance(node, Dated):
            raise self.err(
                key,
                Refusal("plan.err.undated"),
                "undated",
            )
        return node.value

    def money(self, node: Any, key: str) -> int:
        v = self.param(node, key)
        if isinstance(v, bool) or not isinstance(v, int | Decimal):
            raise self.err(key, Refusal("plan.err.money_type", value=repr(v)), "type")
        if isinstance(v, Decimal):
            if not v.is_finite():
                raise self.err(key, Refusal("plan.err.money_finite", value=str(v)), "type")
            fen = v * 100
            if fen != fen.to_integral_value():
                raise self.err(
                    key,
                    Refusal("plan.err.money_decimals", value=str(v)),
                    "money-decimals",
                )
            return int(fen)
        return v * 100

    def count(self, node: Any, key: str) -> int:
        v = self.param(node, key)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise self.err(key, Refusal("plan.err.whole", value=repr(v)), "type")
        return v

    def number(self, node: Any, key: str) -> Fraction:
        v = self.param(node, key)
        if isinstance(v, bool) or not isinstance(v, int | Decimal):
            raise self.err(key, Refusal("plan.err.number", value=repr(v)), "type")
        if isinstance(v, Decimal) and not v.is_finite():
            raise self.err(key, Refusal("plan.err.finite", value=str(v)), "type")
        return Fraction(v)

    def rate(self, node: Any, key: str) -> Fraction:
        v = self.param(node, key)
        if isinstance(v, str) and v.strip().endswith("%"):
            try:
                r = Fraction(Decimal(v.strip()[:-1].strip())) / 100
            except (InvalidOperation, ValueError):
                raise self.err(key, Refusal("plan.err.percentage", value=repr(v)), "type") from None
        else:
            r = self.number(node, key)
            if r > 1:
                raise self.err(
                    key,
                    Refusal("plan.err.rate_percent", value=str(v), fraction=str(r / 100)),
                    "rate",
                )
        if not 0 <= r <= 1:
            raise self.err(key, Refusal("plan.err.rate_range", value=str(v)), "rate")
        return r

    def metric(self, node: Any, key: str, *, money_part: bool = False) -> str:
        name = self.structural(node)
        if not isinstance(name, str) or name not in FIELDS:
            hint = difflib.get_close_matches(str(name), FIELDS, 1)
            more = Refusal("plan.err.did_you_mean", name=hint[0]) if hint else ""
            raise self.err(key, Refusal("plan.err.metric", name=repr(name), more=more), "metric")
        if money_part and (name not in PARTS or not name.endswith("_fen")):
            raise self.err(key, Refusal("plan.err.not_money", name=name), "metric")
        return name

    def metric_value(self, metric: str, node: Any, key: str) -> int | Fraction:
        """A number to compare `metric` with, in the metric's unit (money in yuan in the file)."""
        if metric.endswith("_fen"):
            return self.money(node, key)
        rate = RATE_BY_NAME.get(metric)
        if rate is None:
            return self.count(node, key)
        if rate.kind == "fraction":
            return self.rate(node, key)
        return self.number(node, key)

    # -- pieces ---------------------------------------------------------------------------
    def gate(self, node: Any, key: str) -> Gate:
        g = self.mapping(node, key, ("metric", "op", "reference", "target", "if_undefined"))
        metric = self.metric(g.get("metric"), f"{key}.metric")
        op = self.structural(g.get("op"))
        if op not in OPS:
            raise self.err(
                f"{key}.op", Refusal("plan.err.op", ops=" ".join(OPS), op=repr(op)), "op"
            )
        if "reference" not in g or g["reference"] is None:
            raise self.err(
                key,
                Refusal("plan.err.no_reference"),
                "no-reference",
            )
        ref = g["reference"]
        target = self.structural(g.get("target"))
        undefined = self.structural(g.get("if_undefined", "fail"))
        if undefined not in ("pass", "fail"):
            raise self.err(f"{key}.if_undefined", Refusal("plan.err.pass_fail"), "type")
        if ref == "team_mix" and metric not in MIX_METRICS:
            raise self.err(
                f"{key}.reference",
                Refusal(
                    "plan.err.team_mix_metric", metrics=" or ".join(MIX_METRICS), metric=metric
                ),
                "no-reference",
            )
        if ref in ("team", "target", "team_mix"):
            if target is not None and ref != "target":
                raise self.err(f"{key}.target", Refusal("plan.err.target_reference"), "type")
            return Gate(
                metric,
                op,
                ref,
                target=(str(target) if target is not None else metric) if ref == "target" else None,
                if_undefined=undefined,
                key=key,
            )
        if isinstance(ref, str):
            raise self.err(
                f"{key}.reference",
                Refusal("plan.err.reference", ref=repr(ref)),
                "no-reference",
            )
        number = self.metric_value(metric, ref, f"{key}.reference")
        return Gate(metric, op, "number", number=number, if_undefined=undefined, key=key)

    def gates(self, node: Any, key: str) -> tuple[Gate, ...]:
        node = self.structural(node)
        if node is None:
            return ()
        if isinstance(node, dict):
            return (self.gate(node, key),)
        if not isinstance(node, list):
            raise self.err(key, Refusal("plan.err.gates"), "type")
        return tuple(self.gate(g, f"{key}[{i}]") for i, g in enumerate(node))

    def bands(self, node: Any, key: str, unit: str) -> list[tuple[int, int | None, dict[str, Any]]]:
        """Half-open [from, to) bands: from 0, contiguous, the last open-ended."""
        node = self.structural(node)
        if not isinstance(node, list) or not node:
            raise self.err(key, Refusal("plan.err.bands"), "type")
        out: list[tuple[int, int | None, dict[str, Any]]] = []
        for i, raw in enumerate(node):
            k = f"{key}[{i}]"
            b = self.structural(raw)
            if not isinstance(b, dict):
                raise self.err(k, Refusal("plan.err.band"), "type")
            read = self.money if unit == "money" else self.count
            lower = read(b.get("from"), f"{k}.from")
            upper = None if b.get("to") is None else read(b["to"], f"{k}.to")
            if upper is not None and upper <= lower:
                raise self.err(k, Refusal("plan.err.band_to", to=str(b["to"].value)), "tiers")
            if i == 0 and lower != 0:
                raise self.err(
                    f"{k}.from",
                    Refusal("plan.err.band_first"),
                    "tiers-gap",
                )
            if i > 0:
                prev = out[-1][1]
                if prev is None:
                    raise self.err(
                        k,
                        Refusal("plan.err.band_open", band=f"{key}[{i - 1}]"),
                        "tiers-overlap",
                    )
                if lower < prev:
                    raise self.err(
                        f"{k}.from",
                        Refusal(
                            "plan.err.band_overlap",
                            lower=_show(lower, unit),
                            band=f"{key}[{i - 1}]",
                            upper=_show(prev, unit),
                        ),
                        "tiers-overlap",
                    )
                if lower > prev:
                    raise self.err(
                        f"{k}.from",
                        Refusal(
                            "plan.err.band_gap", upper=_show(prev, unit), lower=_show(lower, unit)
                        ),
                        "tiers-gap",
                    )
            out.append((lower, upper, b))
        if out[-1][1] is not None:
            raise self.err(
                f"{key}[{len(out) - 1}].to",
                Refusal("plan.err.band_last"),
                "tiers-gap",
            )
        return out

    def base(self, node: Any, key: str) -> BaseSpec:
        b = self.mapping(
            node, key, ("amount", "step_months", "step_amount", "max_steps", "prorate")
        )
        amount = self.money(b.get("amount"), f"{key}.amount")
        step_months = self.count(b.get("step_months"), f"{key}.step_months")
        if step_months == 0:
            raise self.err(f"{key}.step_months", Refusal("plan.err.step_months"), "type")
        prorate = self.structural(b.get("prorate", True))
        if not isinstance(prorate, bool):
            raise self.err(f"{key}.prorate", Refusal("plan.err.true_false"), "type")
        return BaseSpec(
            amount,
            step_months,
            self.money(b.get("step_amount"), f"{key}.step_amount"),
            self.count(b.get("max_steps"), f"{key}.max_steps"),
            prorate,
        )

    def rank(self, node: Any, key: str) -> RankSpec:
        r = self.mapping(node, key, ("metric", "amount"))
        return RankSpec(
            self.metric(r.get("metric"), f"{key}.metric"),
            self.money(r.get("amount"), f"{key}.amount"),
        )

    def commission(self, node: Any, key: str, min_inq: int) -> CommissionSpec:
        c = self.mapping(node, key, ("gates", "min_inquiries", "base", "mode", "tiers"))
        gates = self.gates(c.get("gates"), f"{key}.gates")
        if "min_inquiries" in c:
            min_inq = self.count(c["min_inquiries"], f"{key}.min_inquiries")
        base = self.structural(c.get("base"))
        base_metric: str | None = None
        new_metric, ret_metric = "new_buyer_net_sales_fen", "returning_buyer_net_sales_fen"
        mix: tuple[MixBand, ...] = ()
        stages: StageWeights | None = None
        if isinstance(base, str) or base is None:
            base_metric = self.metric(base, f"{key}.base", money_part=True)
        else:
            bm = self.mapping(base, f"{key}.base", ("buyer_mix",))
            m = self.mapping(
                bm.get("buyer_mix"),
                f"{key}.base.buyer_mix",
                ("new", "returning", "by_tenure", "by_product_stage"),
            )
            k = f"{key}.base.buyer_mix"
            new_metric = self.metric(m.get("new", new_metric), f"{k}.new", money_part=True)
            ret_metric = self.metric(
                m.get("returning", ret_metric), f"{k}.returning", money_part=True
            )
            bands = self.bands(m.get("by_tenure"), f"{k}.by_tenure", "months")
            for i, (_lo, _hi, b) in enumerate(bands):
                self.mapping(b, f"{k}.by_tenure[{i}]", ("from", "to", "new", "returning"))
            mix = tuple(
                MixBand(
                    lo,
                    hi,
                    self.number(b.get("new"), f"{k}.by_tenure[{i}].new"),
                    self.number(b.get("returning"), f"{k}.by_tenure[{i}].returning"),
                )
                for i, (lo, hi, b) in enumerate(bands)
            )
            if m.get("by_product_stage") is not None:
                stages = self.stages(m["by_product_stage"], f"{k}.by_product_stage")
                for metric, part in ((new_metric, "new"), (ret_metric, "returning")):
                    if STAGE_SPLIT.get(metric, ("", ""))[0] != part:
                        raise self.err(
                            f"{k}.{part}",
                            Refusal(
                                "plan.err.stage_split",
                                metrics=", ".join(STAGE_SPLIT),
                                metric=metric,
                            ),
                            "type",
                        )
        mode = self.structural(c.get("mode", "marginal"))
        if mode not in ("marginal", "whole"):
            raise self.err(f"{key}.mode", Refusal("plan.err.mode", mode=repr(mode)), "type")
        bands = self.bands(c.get("tiers"), f"{key}.tiers", "money")
        for i, (_, _, b) in enumerate(bands):
            self.mapping(b, f"{key}.tiers[{i}]", ("from", "to", "rate"))
        tiers = tuple(
            Tier(lo, hi, self.rate(b.get("rate"), f"{key}.tiers[{i}].rate"))
            for i, (lo, hi, b) in enumerate(bands)
        )
        return CommissionSpec(
            gates, min_inq, base_metric, new_metric, ret_metric, mix, mode, tiers, stages
        )

    def stages(self, node: Any, key: str) -> StageWeights:
        st = self.mapping(node, key, ("new_months", "new_product", "established"))
        months = self.count(st.get("new_months"), f"{key}.new_months")
        if months < 1:
            raise self.err(f"{key}.new_months", Refusal("plan.err.new_months"), "type")
        pairs = []
        for name in ("new_product", "established"):
            w = self.mapping(st.get(name), f"{key}.{name}", ("new", "returning"))
            pairs.append(
                (
                    self.number(w.get("new"), f"{key}.{name}.new"),
                    self.number(w.get("returning"), f"{key}.{name}.returning"),
                )
            )
        return StageWeights(months, pairs[0], pairs[1])

    def assist_commission(self, node: Any, key: str, min_inq: int) -> CommissionSpec:
        """A commission on the sales a person helped colleagues win: its base is one money
        part, `assisted_net_sales_fen` when not named (no buyer mix)."""
        c = self.mapping(node, key, ("gates", "min_inquiries", "base", "mode", "tiers"))
        if not isinstance(self.structural(c.get("base", "")), str):
            raise self.err(f"{key}.base", Refusal("plan.err.assist_base"), "type")
        spec = self.commission({**c, "base": c.get("base", ASSIST_BASE)}, key, min_inq)
        return spec

    def period(self, node: Any, key: str, period: str, min_inq: int) -> PeriodSpec:
        p = self.mapping(node, key, ("target", "min_inquiries", "awards", "rank_award"))
        if "min_inquiries" in p:
            min_inq = self.count(p["min_inquiries"], f"{key}.min_inquiries")
        target = self.gates(p.get("target"), f"{key}.target")
        awards_raw = self.structural(p.get("awards")) or []
        if not isinstance(awards_raw, list):
            raise self.err(f"{key}.awards", Refusal("plan.err.awards"), "type")
        awards = []
        for i, raw in enumerate(awards_raw):
            k = f"{key}.awards[{i}]"
            a = self.mapping(raw, k, ("name", "gate", "amount"))
            gate = None if a.get("gate") is None else self.gate(a["gate"], f"{k}.gate")
            name = self.structural(a.get("name")) or (gate.metric if gate else f"award{i + 1}")
            awards.append(Award(str(name), gate, self.money(a.get("amount"), f"{k}.amount")))
        rank_metric, rank_fen = None, 0
        if p.get("rank_award") is not None:
            r = self.rank(p["rank_award"], f"{key}.rank_award")
            rank_metric, rank_fen = r.metric, r.amount_fen
        return PeriodSpec(
            "quarter" if period == "quarterly_bonus" else "year",
            target,
            min_inq,
            tuple(awards),
            rank_metric,
            rank_fen,
        )

    def version(self, tree: Any) -> PlanVersion:
        top = self.mapping(
            tree,
            "",
            ("plan", "version", "title", "description", "settings", "sections", "targets"),
        )
        settings = self.mapping(
            top.get("settings") or {}, "settings", ("min_inquiries", "settle_days")
        )
        min_inq = (
            self.count(settings["min_inquiries"], "settings.min_inquiries")
            if "min_inquiries" in settings
            else DEFAULT_MIN_INQUIRIES
        )
        settle = (
            self.count(settings["settle_days"], "settings.settle_days")
            if "settle_days" in settings
            else DEFAULT_SETTLE_DAYS
        )
        secs = self.mapping(top.get("sections"), "sections", ROLES)
        if not secs:
            raise self.err("sections", Refusal("plan.err.sections"), "type")
        sections: dict[str, Section] = {}
        for role, raw in secs.items():
            k = f"sections.{role}"
            s = self.mapping(raw, k, COMPONENTS)
            mi = min_inq
            sections[role] = Section(
                base=self.base(s["base"], f"{k}.base") if s.get("base") is not None else None,
                rank_bonus=self.rank(s["rank_bonus"], f"{k}.rank_bonus")
                if s.get("rank_bonus") is not None
                else None,
                commission=self.commission(s["commission"], f"{k}.commission", mi)
                if s.get("commission") is not None
                else None,
                assist_commission=self.assist_commission(
                    s["assist_commission"], f"{k}.assist_commission", mi
                )
                if s.get("assist_commission") is not None
                else None,
                quarterly_bonus=self.period(
                    s["quarterly_bonus"], f"{k}.quarterly_bonus", "quarterly_bonus", mi
                )
                if s.get("quarterly_bonus") is not None
                else None,
                annual_bonus=self.period(s["annual_bonus"], f"{k}.annual_bonus", "annual_bonus", mi)
                if s.get("annual_bonus") is not None
                else None,
            )
        targets: dict[str, dict[str, int | Fraction]] = {}
        raw_t = self.structural(top.get("targets")) or {}
        if not isinstance(raw_t, dict):
            raise self.err("targets", Refusal("plan.err.targets"), "type")
        for who, named in raw_t.items():
            named = self.structural(named)
            if not isinstance(named, dict):
                raise self.err(f"targets.{who}", Refusal("plan.err.targets_agent"), "type")
            targets[str(who)] = {}
            for name, v in named.items():
                metric = self.metric(name.split(".")[-1], f"targets.{who}.{name}")
                targets[str(who)][name] = self.metric_value(metric, v, f"targets.{who}.{name}")
        self._check_targets(sections)
        return PlanVersion(self.since, sections, settle, min_inq, targets)

    def _check_targets(self, sections: dict[str, Section]) -> None:
        for s in sections.values():
            gates: list[Gate] = []
            if s.commission:
                gates += s.commission.gates
            if s.assist_commission:
                gates += s.assist_commission.gates
            for p in (s.quarterly_bonus, s.annual_bonus):
                if p:
                    gates += p.target
                    gates += [a.gate for a in p.awards if a.gate]
            for g in gates:
                if g.reference == "target" and g.target and g.target.split(".")[-1] != g.metric:
                    raise self.err(
                        f"{g.key}.target",
                        Refusal("plan.err.target_metric", target=repr(g.target), metric=g.metric),
                        "type",
                    )


def _show(v: int, unit: str) -> str:
    if unit == "money":
        sign = "-" if v < 0 else ""
        q, r = divmod(abs(v), 100)
        return f"{sign}{q:,}.{r:02d}"
    return f"{v} months"


# -- loading --------------------------------------------------------------------------------
def parse_plan(text: str, source: str) -> Plan:
    """Read and check a plan's text; `source` names it in errors (a path, or a shipped name)."""
    try:
        tree = parse_yaml(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise PlanError(
            source, where, Refusal("plan.err.yaml", error=str(getattr(e, "problem", e))), "yaml"
        ) from None
    if not isinstance(tree, dict):
        raise PlanError(source, "", Refusal("plan.err.not_mapping"), "type")
    scan = _Scan(source)
    _check_dates(tree, (), scan, False)
    if not scan.dated:
        # report the first parameter that lacks its date, with its key
        _Reader(source, date.min, False).version(_resolve(tree, date.min, False, ()))
        raise PlanError(source, "", Refusal("plan.err.undated_file"), "undated")
    starts = max(days[0] for _, days in scan.dated)
    change = sorted({d for _, days in scan.dated for d in days if d > starts} | {starts})
    versions = []
    for day in change:
        resolved = _resolve(tree, day, False, ())
        versions.append(_Reader(source, day, len(change) > 1).version(resolved))
    name = tree.get("plan")
    if not isinstance(name, str) or not name:
        raise PlanError(source, "plan", Refusal("plan.err.no_name"), "missing")
    title = tree.get("title") or {}
    if isinstance(title, str):
        title = {"zh": title, "en": title}
    if not isinstance(title, dict):
        raise PlanError(source, "title", Refusal("plan.err.title"), "type")
    return Plan(
        name=name,
        version=str(tree.get("version", "")),
        title={str(k): str(v) for k, v in title.items()},
        source=source,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        versions=tuple(versions),
    )


def shipped_text(name: str) -> str:
    return (resources.files("kefu.pay") / "plans" / f"{name}.yaml").read_text(encoding="utf-8")


def load_plan(ref: str) -> Plan:
    """A shipped plan by name (seed, growth, midyear) or a plan file by path."""
    path = Path(ref)
    if ref in SHIPPED and not path.exists():
        return parse_plan(shipped_text(ref), ref)
    if not path.exists():
        raise PlanError(ref, "", Refusal("plan.err.no_file", shipped=", ".join(SHIPPED)), "no-file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise PlanError(ref, "", Refusal("plan.err.read", error=str(e)), "no-file") from None
    return parse_plan(text, ref)
