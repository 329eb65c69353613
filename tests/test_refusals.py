"""Refusals people read come from the catalogue: no raise of a user-facing error class in
src/ carries a bare sentence (an AST check), so English does not creep back into the code."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Any

import pytest

from kefu import i18n
from kefu.i18n import Refusal

SRC = Path(__file__).resolve().parent.parent / "src" / "kefu"

# Every error class whose message people read; each must be a Refusal (a key and values).
USER_FACING = [
    "kefu.store.database:StoreError",
    "kefu.store.memory:MemoryLimitError",
    "kefu.store.people:PeopleError",
    "kefu.output:OutputError",
    "kefu.io.records:ImportFileError",
    "kefu.io.cells:CellError",
    "kefu.io.shop_settings:SettingError",
    "kefu.metrics.settings:SettingError",
    "kefu.diagnosis.settings:SettingError",
    "kefu.voice.month:VoiceError",
    "kefu.voice.lexicon:LexiconError",
]
# Errors that say where in a file (plan key, case) carry their reason as a Refusal (`why`).
WITH_A_REFUSAL = ["kefu.pay.plan:PlanError", "kefu.pay.cases:CaseError"]


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "__main__.py":  # runs the command when imported
            continue
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out.append((name, path))
    return out


def _resolve(node: ast.expr, namespace: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, namespace)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _refusal_class(call: ast.Call, namespace: dict[str, Any]) -> type[Refusal] | None:
    """The Refusal class `call` makes (`X(...)` or `X.of(...)`), if it makes one."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "of":
        func = func.value
    found = _resolve(func, namespace)
    return found if isinstance(found, type) and issubclass(found, Refusal) else None


def _problems(arg: ast.expr, cls: type[Refusal]) -> list[str]:
    """Why `arg`, the first argument of a refusal, is not a catalogue key."""
    if isinstance(arg, ast.IfExp):
        return _problems(arg.body, cls) + _problems(arg.orelse, cls)
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        key = cls.area + arg.value
        return [] if i18n.has(key) else [f"{key!r} is not in both catalogues"]
    if isinstance(arg, (ast.JoinedStr, ast.BinOp)):
        return ["a sentence built in code (f-string or +), not a catalogue key"]
    if isinstance(arg, ast.Call) and isinstance(arg.func, (ast.Name, ast.Attribute)):
        name = arg.func.id if isinstance(arg.func, ast.Name) else arg.func.attr
        if name in ("t", "str", "format", "join"):
            return [f"a sentence made by {name}(…), not a catalogue key and its values"]
    return []


def test_user_facing_errors_are_refusals() -> None:
    for spec in USER_FACING:
        module, name = spec.split(":")
        cls = getattr(importlib.import_module(module), name)
        assert issubclass(cls, Refusal), f"{spec} must derive from kefu.i18n.Refusal"
    for spec in WITH_A_REFUSAL:
        module, name = spec.split(":")
        cls = getattr(importlib.import_module(module), name)
        assert cls.__init__.__annotations__["why"] in ("Refusal", Refusal), spec
        assert callable(getattr(cls, "text", None)), f"{spec} needs text(lang)"


def test_no_refusal_in_src_carries_a_bare_sentence() -> None:
    bad: list[str] = []
    checked = 0
    for name, path in _modules():
        try:
            namespace = vars(importlib.import_module(name))
        except Exception:  # pragma: no cover - optional engines (Spark) may not import
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            cls = _refusal_class(node, namespace)
            if cls is None:
                continue
            checked += 1
            where = f"{path.relative_to(SRC.parent)}:{node.lineno}"
            if not node.args:
                bad.append(f"{where}: {cls.__name__}() without a catalogue key")
                continue
            bad += [f"{where}: {cls.__name__}: {p}" for p in _problems(node.args[0], cls)]
    assert checked > 100, f"only {checked} refusals found: is the check still finding them?"
    assert not bad, "refusals must be a catalogue key and values:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "source",
    [
        'raise ImportFileError(f"{file} is empty")',
        'raise ImportFileError("is empty: there is nothing to import")',
        'raise ImportFileError(t("io.file.empty", file=file))',
        'raise StoreError.of("store." + "locked")',
    ],
)
def test_the_check_catches_a_bare_sentence(source: str) -> None:
    from kefu.io.records import ImportFileError
    from kefu.store.database import StoreError

    namespace = {"ImportFileError": ImportFileError, "StoreError": StoreError}
    call = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call))
    cls = _refusal_class(call, namespace)
    assert cls is not None and _problems(call.args[0], cls)


def test_a_refusal_speaks_both_languages_and_logs_english() -> None:
    from kefu.io.cells import CellError, parse_fen

    with pytest.raises(CellError) as e:
        parse_fen("abc")
    assert str(e.value) == "'abc' is not an amount in yuan (expected e.g. 201.12)"
    assert e.value.text("zh") == "'abc' 不是以元计的金额 (应形如 201.12)"
    stored = e.value.as_json()
    assert stored == {"key": "io.cell.not_yuan_eg", "values": {"value": "abc"}}
    assert i18n.render(stored, "zh") == e.value.text("zh")
    nested = Refusal("io.file.csv_row", file="a.csv", row=3, error=e.value)
    assert i18n.render(nested.as_json(), "zh").endswith("不是以元计的金额 (应形如 201.12)")


def test_a_refusal_survives_pickling() -> None:
    import pickle

    from kefu.io.cells import CellError

    again = pickle.loads(pickle.dumps(CellError("io.cell.negative", value="-1")))
    assert isinstance(again, CellError) and again.text("zh") == "'-1' 是负数"
