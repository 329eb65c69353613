"""Every command and option of `kefu` is documented (a missing one fails, as in Datasette)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer

from conftest import ROOT
from kefu.cli.main import app


def walk(cmd: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, cmd
    if hasattr(cmd, "commands"):  # a group (Typer vendors click; no import of it needed)
        for name, sub in cmd.commands.items():
            yield from walk(sub, (*path, name))


def docs_text() -> str:
    parts = [(ROOT / "README.md").read_text(encoding="utf-8")]
    parts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(parts)


def test_every_command_and_option_is_in_the_docs() -> None:
    text = docs_text()
    missing = []
    for path, cmd in walk(typer.main.get_command(app), ("kefu",)):
        if len(path) > 1 and " ".join(path) not in text:
            missing.append(" ".join(path))
        for param in cmd.params:
            if param.param_type_name == "option":
                for opt in param.opts:
                    if opt.startswith("--") and opt != "--help" and opt not in text:
                        missing.append(f"{' '.join(path)} {opt}")
    assert not missing, "undocumented: " + ", ".join(missing)
