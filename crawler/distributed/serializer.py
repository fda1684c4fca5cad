"""How scrapy-redis stores requests in Redis (``SCHEDULER_SERIALIZER``): MessagePack instead of its default pickle,
so a worker never unpickles what a shared Redis hands it (unpickling runs code)."""

from __future__ import annotations

from typing import Any

import msgpack


def _refuse(value: Any) -> Any:
    raise TypeError(f"a request sent to Redis cannot hold a {type(value).__name__} in its meta or arguments")


def dumps(obj: dict[str, Any]) -> bytes:
    return msgpack.packb(obj, use_bin_type=True, default=_refuse)


def loads(data: bytes) -> dict[str, Any]:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)
