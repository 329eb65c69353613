"""Importers: each platform's export files read into the canonical tables (pure parsing, no store)."""

from kefu.io.reader import DEFAULT_AUTO_REPLY_PREFIXES, read_file
from kefu.io.records import KINDS, ImportFileError, ParsedFile, Quarantined, quarantine_line

__all__ = [
    "DEFAULT_AUTO_REPLY_PREFIXES",
    "KINDS",
    "ImportFileError",
    "ParsedFile",
    "Quarantined",
    "quarantine_line",
    "read_file",
]
