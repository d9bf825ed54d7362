"""Content addressing: CIDs, UnixFS, DAG-JSON/DAG-CBOR, CAR, and block stores."""

from .car import CarError, read_car, write_car
from .cid import CID, CODECS, InvalidCID
from .dag import DagError, dag_cbor_decode, dag_cbor_encode, dag_json_decode, dag_json_encode
from .stores import (
    BlockNotFound,
    ContentStore,
    CorruptBlock,
    GatewayReader,
    KuboStore,
    LocalStore,
    MemoryStore,
    StoreError,
    StoreUnavailable,
    export_car,
    get_record,
    import_car,
    links_of,
    put_record,
)
from .unixfs import CHUNK_SIZE, MAX_LINKS, Block, PBLink, PBNode, import_file

__all__ = [
    "CHUNK_SIZE",
    "CID",
    "CODECS",
    "MAX_LINKS",
    "Block",
    "BlockNotFound",
    "CarError",
    "ContentStore",
    "CorruptBlock",
    "DagError",
    "GatewayReader",
    "InvalidCID",
    "KuboStore",
    "LocalStore",
    "MemoryStore",
    "PBLink",
    "PBNode",
    "StoreError",
    "StoreUnavailable",
    "dag_cbor_decode",
    "dag_cbor_encode",
    "dag_json_decode",
    "dag_json_encode",
    "export_car",
    "get_record",
    "import_car",
    "import_file",
    "links_of",
    "put_record",
    "read_car",
    "write_car",
]
