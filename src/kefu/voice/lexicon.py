"""The lexicon of buyer topics: the fixed top-level codes, their words, negations, a shop's additions."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from kefu.i18n import Refusal

# The fixed top-level taxonomy (docs/voice.md), in the order people read it.
TOPICS: tuple[str, ...] = (
    "size",
    "price",
    "shipping",
    "quality",
    "stock",
    "aftersale",
    "usage",
    "authenticity",
    "payment",
    "gift",
    "other",
)
_SUB = re.compile(r"^(?P<parent>[a-z]+)\.(?P<name>[^\s.]+)$")


class LexiconError(Refusal, ValueError):
    """A lexicon file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Topic:
    """One topic: a top-level code (`quality`) or a shop's sub-topic (`quality.pilling`)."""

    code: str
    words: tuple[str, ...]
    patterns: tuple[str, ...]
    weak: tuple[str, ...] = ()  # count only when the message has no other topic

    @property
    def parent(self) -> str:
        return self.code.split(".", 1)[0]


@dataclass(frozen=True)
class Negation:
    """A phrase that cancels topics where it stands (不是质量问题 → no `quality` there)."""

    phrase: str
    cancels: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    topics: tuple[Topic, ...]
    negations: tuple[Negation, ...]
    none: frozenset[str]
    stopwords: frozenset[str]
    sources: tuple[str, ...]  # the files it was read from, in order
    digest: str = ""  # sha256 of the texts it was read from: changes whenever a word does

    def codes(self) -> tuple[str, ...]:
        """Every topic code: the top-level ones, then the shop's sub-topics."""
        return TOPICS + tuple(t.code for t in self.topics if "." in t.code)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise LexiconError("lexicon.err.list", where=where)
    out = tuple(str(v).strip() for v in value)
    if any(not v for v in out):
        raise LexiconError("lexicon.err.empty_word", where=where)
    return out


def _patterns(value: Any, where: str) -> tuple[str, ...]:
    out = _strings(value, where)
    for p in out:
        try:
            re.compile(p)
        except re.error as e:
            raise LexiconError("lexicon.err.regex", where=where, pattern=p, error=str(e)) from None
    return out


def _read(text: str, name: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise LexiconError("lexicon.err.yaml", name=name, error=str(e)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LexiconError("lexicon.err.mapping", name=name)
    unknown = set(data) - {"version", "topics", "subtopics", "negations", "none", "stopwords"}
    if unknown:
        raise LexiconError(
            "lexicon.err.unknown_entry", name=name, entries=", ".join(sorted(unknown))
        )
    return data


def _merge(base: dict[str, Topic], data: dict[str, Any], name: str, builtin: bool) -> None:
    topics = data.get("topics") or {}
    if not isinstance(topics, dict):
        raise LexiconError("lexicon.err.topics", name=name)
    for code, body in topics.items():
        if code not in TOPICS or code == "other":
            raise LexiconError(
                "lexicon.err.topic_unknown", name=name, code=code, topics=", ".join(TOPICS[:-1])
            )
        _add(base, str(code), body, f"{name}: topics.{code}")
    subs = data.get("subtopics") or {}
    if not isinstance(subs, dict):
        raise LexiconError("lexicon.err.subtopics", name=name)
    for code, body in subs.items():
        m = _SUB.match(str(code))
        if not m or m["parent"] not in TOPICS or m["parent"] == "other":
            raise LexiconError(
                "lexicon.err.subtopic_form", name=name, code=code, topics=", ".join(TOPICS[:-1])
            )
        _add(base, str(code), body, f"{name}: subtopics.{code}")
    if builtin:
        missing = [c for c in TOPICS[:-1] if c not in base]
        if missing:
            raise LexiconError("lexicon.err.lacks", name=name, topics=", ".join(missing))


def _add(base: dict[str, Topic], code: str, body: Any, where: str) -> None:
    if not isinstance(body, dict) or set(body) - {"words", "patterns", "weak"}:
        raise LexiconError("lexicon.err.body", where=where)
    old = base.get(code, Topic(code, (), ()))
    words = _strings(body.get("words"), f"{where}.words")
    weak = _strings(body.get("weak"), f"{where}.weak")
    pats = _patterns(body.get("patterns"), f"{where}.patterns")
    base[code] = Topic(code, old.words + words, old.patterns + pats, old.weak + weak)


def _negations(data: dict[str, Any], name: str, codes: set[str]) -> list[Negation]:
    raw = data.get("negations") or []
    if not isinstance(raw, list):
        raise LexiconError("lexicon.err.negations", name=name)
    out = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("phrase"), str):
            raise LexiconError("lexicon.err.negation_phrase", name=name, n=i)
        cancels = _strings(item.get("cancels"), f"{name}: negation {i} cancels")
        bad = [c for c in cancels if c not in codes]
        if bad or not cancels:
            raise LexiconError(
                "lexicon.err.negation_cancels", name=name, phrase=item["phrase"], topics=str(bad)
            )
        out.append(Negation(item["phrase"].strip(), cancels))
    return out


def load_lexicon(
    override: str | Path | None = None, *, text: str | None = None, name: str = "shop lexicon"
) -> Lexicon:
    """kefu's lexicon, with a shop's file (more words, sub-topics, negations) merged over it.

    The shop's lexicon is the file `override`, or its `text` (as kept in the store), named
    `name` in errors.
    """
    files = [("kefu/voice/lexicon.yaml", _builtin_text(), True)]
    if text is not None:
        files.append((name, text, False))
    elif override is not None:
        path = Path(override)
        try:
            files.append((str(path), path.read_text(encoding="utf-8"), False))
        except (OSError, UnicodeDecodeError) as e:
            raise LexiconError("lexicon.err.read", path=str(path), error=str(e)) from None
    topics: dict[str, Topic] = {}
    negations: list[Negation] = []
    none: set[str] = set()
    stop: set[str] = set()
    for name, text, builtin in files:
        data = _read(text, name)
        _merge(topics, data, name, builtin)
        negations += _negations(data, name, set(topics))
        none |= set(_strings(data.get("none"), f"{name}: none"))
        stop |= set(_strings(data.get("stopwords"), f"{name}: stopwords"))
    ordered = [topics[c] for c in TOPICS if c in topics]
    ordered += [topics[c] for c in sorted(topics) if "." in c]
    return Lexicon(
        topics=tuple(ordered),
        negations=tuple(negations),
        none=frozenset(none),
        stopwords=frozenset(stop),
        sources=tuple(n for n, _, _ in files),
        digest=hashlib.sha256("\0".join(text for _, text, _ in files).encode()).hexdigest(),
    )


def _builtin_text() -> str:
    return resources.files("kefu.voice").joinpath("lexicon.yaml").read_text(encoding="utf-8")
