"""Where blocks live: the :class:`ContentStore` protocol and its implementations, one per
module (:mod:`.store`, :mod:`.memory`, :mod:`.local`, :mod:`.kubo`, :mod:`.gateway`), and
the record and CAR helpers (:mod:`.records`); this module gathers them under their former
name.

Every ``get`` checks the bytes against the CID, whatever the store, and raises
:class:`CorruptBlock` on a mismatch: a store is never trusted.
"""

from ..errors import BlockNotFound, CorruptBlock, StoreError, StoreUnavailable
from .gateway import GatewayReader
from .kubo import KuboStore
from .local import LocalStore
from .memory import MemoryStore
from .records import export_car, get_record, import_car, links_of, put_record
from .store import ContentStore

__all__ = [
    "BlockNotFound",
    "ContentStore",
    "CorruptBlock",
    "GatewayReader",
    "KuboStore",
    "LocalStore",
    "MemoryStore",
    "StoreError",
    "StoreUnavailable",
    "export_car",
    "get_record",
    "import_car",
    "links_of",
    "put_record",
]
