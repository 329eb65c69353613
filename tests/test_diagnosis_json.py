"""The `kefu diagnose --format json` contract: its keys, its codes, and the example in the docs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from kefu.diagnosis import FORMAT, VERDICTS, diagnose, diagnose_months
from test_diagnosis_shops import SHOP, MemoryKpis, four_cases, shop, story

DOCS = Path(__file__).resolve().parents[1] / "docs" / "diagnosis.md"
TOP = [
    "format", "shop_id", "month", "provisional", "lang", "settings", "reference", "summary",
    "verdicts", "causes", "flags", "team", "pairs", "stability", "trends",
]  # fmt: skip
EVIDENCE = {
    "inquiring_buyers", "paying_buyers", "sales_fen", "net_sales_fen", "conversion_rate",
    "conversion_interval", "conversion_reference", "conversion_side", "avg_spend_fen",
    "avg_spend_interval_fen", "avg_spend_interval_method", "avg_spend_reference_fen",
    "avg_spend_side", "items_per_buyer", "items_per_buyer_reference", "min_inquiries", "confidence",
    "conversion_reference_source", "avg_spend_reference_source", "conversion_plain_reference",
    "conversion_plain_side", "avg_spend_plain_reference_fen", "avg_spend_plain_side",
    "conversion_observed_expected", "avg_spend_observed_expected",
}  # fmt: skip


def story_json(lang: str = "zh") -> dict:  # type: ignore[type-arg]
    return diagnose_months(SHOP, "2024-09", story()).to_json(lang)


def test_top_level_keys_and_their_order_are_fixed() -> None:
    j = story_json()
    assert list(j) == TOP
    assert j["format"] == FORMAT == "kefu.diagnosis/1"
    json.dumps(j)  # plain JSON: no Fraction, no date


def test_every_verdict_has_its_evidence_and_remedy() -> None:
    j = story_json()
    assert {v["quadrant"] for v in j["verdicts"]} == set(VERDICTS)  # the story shows all six
    for v in j["verdicts"]:
        assert set(v) == {"agent_id", "name", "quadrant", "label", "leaning", "evidence", "remedy"}
        assert set(v["evidence"]) == EVIDENCE
        assert set(v["remedy"]) == {"code", "text"} and v["remedy"]["text"]
        if v["quadrant"] != "insufficient_data":
            e = v["evidence"]
            assert e["conversion_interval"] and e["conversion_reference"] is not None
            assert e["conversion_side"] in ("high", "low", "borderline")


def test_the_other_parts() -> None:
    j = story_json()
    assert {c["agent_id"] for c in j["causes"]} == {"丙", "丁", "庚"}
    assert {f["agent_id"] for f in j["flags"]} == {"丁"}
    assert j["team"]["status"] == "agents" and j["team"]["text"]
    assert [(p["strong"]["agent_id"], p["weak"]["agent_id"]) for p in j["pairs"]] == [("甲", "庚")]
    assert {s["class"] for s in j["stability"]} == {"steady", "erratic", "insufficient_data"}
    assert {t["agent_id"] for t in j["trends"]} == {v["agent_id"] for v in j["verdicts"]}
    for part in ("causes", "flags", "pairs", "stability"):
        assert all(x["text"] for x in j[part])


def test_english_changes_the_words_not_the_numbers() -> None:
    zh, en = story_json("zh"), story_json("en")
    assert en["lang"] == "en"
    assert [v["evidence"] for v in zh["verdicts"]] == [v["evidence"] for v in en["verdicts"]]
    assert [v["remedy"]["code"] for v in zh["verdicts"]] == [
        v["remedy"]["code"] for v in en["verdicts"]
    ]
    assert all(not re.search(r"[\u4e00-\u9fff]", v["label"]) for v in en["verdicts"])


def test_a_month_without_data_gives_an_empty_diagnosis() -> None:
    d = diagnose(MemoryKpis({"2024-09": four_cases()}), SHOP, "2024-10")
    assert d.verdicts == () and d.summary.presale_agents == 0
    assert d.team.status == "no_reference"


def test_provisional_months_say_so() -> None:
    d = diagnose_months(SHOP, "2024-09", {"2024-09": shop(four_cases().agents, provisional=True)})
    assert d.to_json()["provisional"] is True


def test_the_docs_example_is_real_output() -> None:
    """docs/diagnosis.md shows an excerpt of the story shop's JSON; its keys must be current."""
    text = DOCS.read_text(encoding="utf-8")
    m = re.search(r"```json\n(.*?)\n```", text, re.S)
    assert m, "docs/diagnosis.md has no ```json example"
    example = json.loads(m.group(1))
    actual = story_json()
    assert list(example) == TOP
    assert set(example["verdicts"][0]) == set(actual["verdicts"][0])
    assert set(example["verdicts"][0]["evidence"]) == EVIDENCE
