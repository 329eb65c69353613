"""The store: one DuckDB file holding the canonical tables, the import log and the quarantine."""

from kefu.store.database import Store, open_store

__all__ = ["Store", "open_store"]
