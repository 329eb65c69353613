"""LakeError: a lake that cannot be written or read, with its catalogue key (lake.po)."""

from __future__ import annotations


class LakeError(RuntimeError):
    """A lake that cannot be written or read, with its catalogue key (lake.po)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def text(self, lang: str | None = None) -> str:
        from kefu.i18n import t

        return t(self.key, lang, **self.values)
