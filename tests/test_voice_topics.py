"""Topics of buyer messages: precision and recall per topic on the labelled set, the lexicon."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from kefu.voice.lexicon import TOPICS, LexiconError, load_lexicon
from kefu.voice.topics import Classifier

FLOOR = 0.8  # precision and recall of every topic on tests/voice/labelled.yaml


def labelled(name: str = "labelled.yaml") -> dict[str, list[str]]:
    data = yaml.safe_load((ROOT / "tests" / "voice" / name).read_text(encoding="utf-8"))
    return {str(k): list(v) for k, v in data.items()}


def scores(
    classifier: Classifier, cases: dict[str, list[str]]
) -> dict[str, tuple[float, float, int]]:
    """Per topic: (precision, recall, labelled count)."""
    out = {}
    for topic in TOPICS:
        tp = fp = fn = 0
        for text, want in cases.items():
            got = topic in classifier.topics(text)
            tp += got and topic in want
            fp += got and topic not in want
            fn += not got and topic in want
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        out[topic] = (p, r, tp + fn)
    return out


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


def test_the_labelled_set_covers_what_it_must() -> None:
    cases = labelled()
    assert len(cases) >= 300
    for topic in TOPICS:
        assert sum(topic in v for v in cases.values()) >= 10, topic
    assert sum(len(v) >= 2 for v in cases.values()) >= 20  # two-topic messages
    assert sum(not v for v in cases.values()) >= 30  # greetings, order numbers
    assert sum("不是" in k and "问题" in k for k in cases) >= 4  # negations


def test_precision_and_recall_per_topic(classifier: Classifier) -> None:
    low = {
        t: (round(p, 2), round(r, 2))
        for t, (p, r, _) in scores(classifier, labelled()).items()
        if p < FLOOR or r < FLOOR
    }
    assert not low, f"below {FLOOR}: {low}"


def test_greetings_and_order_numbers_carry_none(classifier: Classifier) -> None:
    for text in (
        "在吗",
        "你好",
        "好的谢谢",
        "3912345678901234567",
        "订单号：2841592012345678901",
        "[图片]",
    ):
        assert classifier.topics(text) == (), text


def test_negation_cancels_only_its_topic(classifier: Classifier) -> None:
    assert classifier.topics("不是质量问题，是尺码偏大了") == ("size",)
    assert classifier.topics("质量问题，尺码偏大了") == ("size", "quality")
    assert classifier.topics("不是尺码的问题") == ()  # the generic 不是<word>的问题


def test_a_shop_adds_words_and_sub_topics(tmp_path: Path) -> None:
    extra = tmp_path / "shop.yaml"
    extra.write_text(
        "topics:\n  quality:\n    words: [鼓包]\n"
        "subtopics:\n  quality.pilling:\n    words: [起球, 搓泥]\n"
        "negations:\n  - phrase: 不起球\n    cancels: [quality]\n",
        encoding="utf-8",
    )
    c = Classifier(load_lexicon(extra))
    assert c.topics("电池鼓包了") == ("quality",)
    lab = c.labels("面霜搓泥")
    assert lab.topics == ("quality",) and lab.subtopics == ("quality.pilling",)
    assert c.topics("这件不起球，很好") in ((), ("other",))
    assert "quality.pilling" in load_lexicon(extra).codes()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("topics:\n  colour:\n    words: [红]\n", "not one of"),
        ("subtopics:\n  pilling:\n    words: [起球]\n", "<topic>.<name>"),
        ("topics:\n  size:\n    words: 尺码\n", "list of words"),
        ("topics:\n  size:\n    patterns: ['(']\n", "regular expression"),
        ("negations:\n  - phrase: 不是\n    cancels: [colour]\n", "unknown topics"),
        ("wordz: []\n", "unknown entry"),
        ("a: [\n", "not valid YAML"),
    ],
)
def test_a_bad_lexicon_is_refused_with_a_reason(tmp_path: Path, text: str, says: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(LexiconError, match=r"bad\.yaml") as e:
        load_lexicon(bad)
    assert says in str(e.value)


def test_each_distinct_text_is_analysed_once(classifier: Classifier) -> None:
    first = classifier.labels("这件衣服会起球吗")
    assert classifier.labels("这件衣服会起球吗") is first
