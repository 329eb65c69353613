"""Topics and terms of one buyer message: jieba segmentation matched against the lexicon, cached."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import jieba

from kefu.io.masking import TOKENS
from kefu.voice.lexicon import TOPICS, Lexicon, load_lexicon

_URL = re.compile(r"https?://\S+|www\.\S+")
# [图片], [表情], masked details, and the same in full-width brackets (written as escapes:
# code holds no Chinese literals, tests/test_i18n.py)
_BRACKETED = re.compile("\\[[^\\[\\]]{1,8}\\]|\u3010[^\u3010\u3011]{1,8}\u3011")
# 不是<word>(的)问题 — "it is not a <word> problem"
_GENERIC_NEGATION = re.compile("\u4e0d\u662f(?P<w>[\u4e00-\u9fff]{1,6}?)\u7684?\u95ee\u9898")
_GAP = "\uff0c"  # a full-width comma: what a removed piece becomes, so words do not join
# Bump when the labelling below changes what a text gets: cached labels of the old code are
# then never read (kefu.voice.cache keys them by Classifier.version).
CLASSIFIER_VERSION = 1
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DIGITS = re.compile(r"^[\dA-Za-z\-_.:#/]+$")  # order numbers, ids, amounts: never content


@dataclass(frozen=True)
class Labels:
    """What one message is about: top-level codes in taxonomy order, sub-topics, its terms."""

    topics: tuple[str, ...]
    subtopics: tuple[str, ...]
    terms: tuple[str, ...]  # words and two-word phrases, for "what is new"


NO_LABELS = Labels((), (), ())


class Classifier:
    """Labels messages with the lexicon's topics; each distinct text is analysed once."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or load_lexicon()
        self._cache: dict[str, Labels] = {}
        self.analysed = 0  # texts segmented and matched by this classifier (not from a cache)
        self._tok: jieba.Tokenizer | None = None
        lex = self.lexicon
        # word → topics, for whole-token matching (one-character words and `=word`), for
        # matching anywhere (the rest), and for weak words (either way, counted last)
        self._token_words: dict[str, set[str]] = {}
        self._any_words: dict[str, set[str]] = {}
        self._weak: dict[str, set[str]] = {}
        for topic in lex.topics:
            for w, weak in [(w, False) for w in topic.words] + [(w, True) for w in topic.weak]:
                whole = w.startswith("=") or len(w) == 1
                word = w.lstrip("=")
                if weak:
                    self._weak.setdefault(word, set()).add(topic.code)
                target = self._token_words if whole else self._any_words
                if not weak:
                    target.setdefault(word, set()).add(topic.code)
        self._word_topics = {**self._token_words, **self._any_words}
        self._patterns = [
            (topic.code, re.compile("|".join(f"(?:{p})" for p in topic.patterns)))
            for topic in lex.topics
            if topic.patterns
        ]
        anywhere = sorted(self._any_words, key=len, reverse=True)
        self._anywhere = re.compile("|".join(map(re.escape, anywhere))) if anywhere else None
        phrases = sorted(lex.negations, key=lambda n: len(n.phrase), reverse=True)
        self._negation = (
            re.compile("|".join(re.escape(n.phrase) for n in phrases)) if phrases else None
        )
        self._skip = lex.none | lex.stopwords

    @property
    def version(self) -> str:
        """What decides a text's labels: the lexicon's texts, this code, jieba's dictionary."""
        parts = (self.lexicon.digest, str(CLASSIFIER_VERSION), str(jieba.__version__))
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]

    def knows(self, text: str) -> bool:
        """Whether `text` is labelled already in memory."""
        return text in self._cache

    def remember(self, text: str, labels: Labels) -> None:
        """Take `text`'s labels as given (from the store's cache of this version)."""
        self._cache[text] = labels

    @property
    def tokenizer(self) -> jieba.Tokenizer:
        if self._tok is None:
            self._tok = _tokenizer(tuple(sorted(self._vocabulary())))
        return self._tok

    def _vocabulary(self) -> set[str]:
        lex = self.lexicon
        words = set(self._word_topics) | set(self._weak)
        return words | set(lex.none) | {n.phrase for n in lex.negations}

    def labels(self, text: str) -> Labels:
        """The topics, sub-topics and terms of `text` (cached by text)."""
        got = self._cache.get(text)
        if got is None:
            got = self._analyse(text)
            self.analysed += 1
            if len(self._cache) < 2_000_000:
                self._cache[text] = got
        return got

    def topics(self, text: str) -> tuple[str, ...]:
        return self.labels(text).topics

    def _clean(self, text: str) -> str:
        out = _URL.sub(_GAP, text)
        for token in TOKENS:
            out = out.replace(token, _GAP)
        out = _BRACKETED.sub(_GAP, out)
        if self._negation is not None:
            out = self._negation.sub(_GAP, out)

        def generic(m: re.Match[str]) -> str:
            return _GAP if m["w"] in self._word_topics or m["w"] in self._weak else m.group(0)

        return _GENERIC_NEGATION.sub(generic, out)

    def _analyse(self, text: str) -> Labels:
        if not text or not text.strip():
            return NO_LABELS
        clean = self._clean(text)
        found: set[str] = set()
        for code, pattern in self._patterns:
            if pattern.search(clean):
                found.add(code)
        if self._anywhere is not None:
            for m in self._anywhere.finditer(clean):
                found |= self._any_words[m.group(0)]
        tokens = [t for t in self.tokenizer.lcut(clean, HMM=True) if t.strip()]
        content: list[str | None] = []
        weak: set[str] = set()
        for tok in tokens:
            codes = self._token_words.get(tok)
            if codes:
                found |= codes
            weak |= self._weak.get(tok, set())
            content.append(tok if self._is_content(tok) else None)
        if not found:
            for word, codes in self._weak.items():
                if len(word) > 1 and word in clean:
                    weak |= codes
            found = weak
        terms: list[str] = [t for t in content if t is not None and len(t) >= 2]
        for a, b in pairwise(content):
            if a is not None and b is not None and len(a) >= 2 and len(b) >= 2:
                terms.append(a + b)
        tops = {c.split(".", 1)[0] for c in found}
        if not tops and sum(len(t) for t in content if t is not None) >= 2:
            tops.add("other")
        return Labels(
            topics=tuple(c for c in TOPICS if c in tops),
            subtopics=tuple(sorted(c for c in found if "." in c)),
            terms=tuple(dict.fromkeys(terms)),
        )

    def _is_content(self, tok: str) -> bool:
        if tok in self._skip or not _CJK.search(tok):
            return False
        return not _DIGITS.match(tok)


@cache
def _tokenizer(vocabulary: tuple[str, ...]) -> jieba.Tokenizer:
    """A private jieba tokenizer (the global one is left alone) that keeps lexicon words whole."""
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    for word in vocabulary:
        if _CJK.search(word):
            tok.add_word(word)
    return tok
