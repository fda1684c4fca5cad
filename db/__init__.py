"""gigscan's evidence store on SQLite (sqlite-utils): schema and migrations, batched writes, history, search,
export and verification. Imports nothing of the crawler: records arrive as the typed dicts of ``db.records``."""

from db.store import BatchResult, ScanChanges, Store, StoreBusyError
from db.verify import VerifyResult

__all__ = ["BatchResult", "ScanChanges", "Store", "StoreBusyError", "VerifyResult"]
