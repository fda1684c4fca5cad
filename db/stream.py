"""The protocol of a distributed crawl in Redis, defined once: key names, the client, and the stream entries that
carry crawled records from the workers to the one process that writes the store (``db.ingest``).

Workers (``crawler.distributed``), the ingester (``db.ingest``) and the CLI (``gigscan worker / ingest / queue``)
all read and write these keys; nothing else names them.

Stream entries (``STREAM``, consumer group ``GROUP``), each a flat hash of byte strings:

- ``kind=start``: a run was seeded; ``spec`` is its JSON spec (spider, arguments, ruleset version...). The
  ingester opens the run record.
- ``kind=records``: ``data`` is a zstd-compressed MessagePack batch of store records (``db.writer`` shapes) whose
  capture bodies are sent once per entry (``bodies`` list, referenced by index), and ``rid`` a unique id the
  worker gives the entry: the store keeps each ``rid`` it committed (``ingest_receipts``), so an entry delivered
  twice (ingester restarted before its acknowledgement, a worker's XADD retried over a dropped connection) is
  stored once.
- ``kind=finish``: the run's frontier is drained and nothing is in flight; ``status`` is its status. The
  ingester closes the run record with the fleet's merged stats.

MessagePack, not pickle: the ingester must never execute what a compromised Redis hands it.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgpack
import redis
import redis.asyncio
import zstandard
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

PREFIX = "gigscan"
STREAM = f"{PREFIX}:records"
GROUP = "ingest"
RUNS = f"{PREFIX}:runs"  # set of run keys not yet closed
WORKERS = f"{PREFIX}:workers"  # hash: worker id -> JSON (host, pid, spiders, runs, seen)
INGESTER_LOCK = f"{PREFIX}:ingester"
RUN_SEQUENCE = f"{PREFIX}:run-seq"
BODY = "$body"  # a capture's body replaced by its index in the entry's bodies
# An entry's records are zstd-compressed (level 1: cheap for the worker, ~5x less for Redis to hold and send);
# a hostile entry cannot inflate past this.
_COMPRESS = zstandard.ZstdCompressor(level=1)
MAX_ENTRY_BYTES = 512 * 1024 * 1024
# A Redis restart (or a failover) must not kill a long crawl: every client retries for about a minute.
RETRY_ATTEMPTS = 30
# ...but not once the process is stopping: a worker told to stop (SIGTERM) while Redis is down would otherwise sit in
# a minute of retries per command, longer than its service manager waits. Its leases cover what it drops.
STOPPING = threading.Event()
CLOSED_RUN_TTL = 7 * 24 * 3600  # a closed run's hash stays this long for `gigscan queue`


def connect(url: str, **kwargs: Any) -> redis.Redis:
    """A Redis client that rides out a restart of the server (retries with backoff, up to a minute)."""
    return redis.Redis.from_url(url, **{**client_options(), **kwargs})


def connect_async(url: str) -> redis.asyncio.Redis:
    """The same, for code running in the crawl's asyncio loop (a round trip then never blocks the reactor)."""
    from redis.asyncio.retry import Retry as AsyncRetry

    retry = AsyncRetry(ExponentialBackoff(cap=2.0, base=0.05), RETRY_ATTEMPTS, is_retryable=retrying)
    return redis.asyncio.Redis.from_url(url, **{**client_options(), "retry": retry})


def retrying(_: Exception) -> bool:
    """Whether a failed command is tried again: always, until the process is stopping (``stop_retrying``)."""
    return not STOPPING.is_set()


def stop_retrying() -> None:
    """From now on a failed Redis command of this process fails at once (a retry in progress ends after its
    current backoff). Safe to call from a signal handler."""
    STOPPING.set()


def client_options() -> dict[str, Any]:
    """Connection options shared by every gigscan client (scrapy-redis gets them as ``REDIS_PARAMS``)."""
    return {
        "retry": Retry(ExponentialBackoff(cap=2.0, base=0.05), RETRY_ATTEMPTS, is_retryable=retrying),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError, ConnectionResetError],
        "socket_timeout": 30,
        "socket_connect_timeout": 5,
        "health_check_interval": 10,
    }


# -- keys of one run -------------------------------------------------------------------------------------------


def run_hash(run: str) -> str:
    """state (seeding / running / finishing / closed), spec, run_id, pushed, stored, outcome."""
    return f"{PREFIX}:run:{run}"


def run_stats(run: str) -> str:
    """The fleet's Scrapy stats for the run, summed over workers (plus the ingester's store counts)."""
    return f"{PREFIX}:run:{run}:stats"


def run_queue(run: str) -> str:
    return f"{PREFIX}:run:{run}:requests"  # scrapy-redis priority queue (sorted set)


def run_seen(run: str) -> str:
    return f"{PREFIX}:run:{run}:seen"  # scrapy-redis dupefilter set: this run's own seen-set


def run_inflight(run: str) -> str:
    return f"{PREFIX}:run:{run}:inflight"  # sorted set: lease token -> lease deadline (server time, seconds)


def run_leases(run: str) -> str:
    return f"{PREFIX}:run:{run}:leases"  # hash: lease token -> "score|encoded request"


def run_keys(run: str) -> list[str]:
    """Every key of a run's frontier (deleted when the run is drained)."""
    return [run_queue(run), run_seen(run), run_inflight(run), run_leases(run)]


def host_pace(host: str) -> str:
    return f"{PREFIX}:pace:{host}"  # hash: next, not_before, d:<worker> (the fleet limiter of a host)


# -- stream entries -------------------------------------------------------------------------------------------


@dataclass
class Entry:
    """A decoded stream entry."""

    id: str
    kind: str
    run: str
    rid: str = ""
    records: list[dict[str, Any]] = field(default_factory=list)
    spec: dict[str, Any] = field(default_factory=dict)
    status: str = ""


def records_entry(run: str, records: Sequence[Mapping[str, Any]]) -> dict[str, bytes]:
    """The stream fields of a batch of records; a body shared by several records (the cards of one search page)
    is sent once."""
    bodies: list[bytes] = []
    index: dict[int, int] = {}
    out = []
    for record in records:
        capture = record.get("capture")
        body = capture.get("body") if capture else None
        if body is not None:
            assert capture is not None
            position = index.get(id(body))
            if position is None:
                position = index[id(body)] = len(bodies)
                bodies.append(body.encode("utf-8") if isinstance(body, str) else body)
            record = {**record, "capture": {**capture, "body": {BODY: position}}}
        out.append(record)
    data = _COMPRESS.compress(msgpack.packb({"records": out, "bodies": bodies}, use_bin_type=True))
    return {"kind": b"records", "run": run.encode(), "rid": secrets.token_hex(12).encode(), "data": data}


def start_entry(run: str, spec: Mapping[str, Any]) -> dict[str, bytes]:
    return {"kind": b"start", "run": run.encode(), "spec": json.dumps(dict(spec), sort_keys=True).encode()}


def finish_entry(run: str, status: str) -> dict[str, bytes]:
    return {"kind": b"finish", "run": run.encode(), "status": status.encode()}


def decode_entry(entry_id: bytes | str, fields: Mapping[bytes, bytes]) -> Entry:
    """A stream entry as read; ValueError for one that is not gigscan's (it is skipped and reported)."""
    ident = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    kind = fields.get(b"kind", b"").decode("utf-8", "replace")
    run = fields.get(b"run", b"").decode("utf-8", "replace")
    if not run:
        raise ValueError(f"stream entry {ident} names no run")
    if kind == "start":
        return Entry(ident, kind, run, spec=json.loads(fields[b"spec"]))
    if kind == "finish":
        return Entry(ident, kind, run, status=fields.get(b"status", b"finished").decode())
    if kind == "records":
        rid = fields.get(b"rid", b"").decode()
        if not rid:
            raise ValueError(f"stream entry {ident} has no rid")
        return Entry(ident, kind, run, rid=rid, records=_records(fields[b"data"]))
    raise ValueError(f"stream entry {ident} is of unknown kind {kind!r}")


def _records(data: bytes) -> list[dict[str, Any]]:
    try:
        packed = zstandard.ZstdDecompressor().decompress(data, max_output_size=MAX_ENTRY_BYTES)
    except zstandard.ZstdError as exc:
        raise ValueError(f"records entry is not zstd data: {exc}") from None
    payload = msgpack.unpackb(packed, raw=False)
    bodies: list[bytes] = payload["bodies"]
    records: list[dict[str, Any]] = payload["records"]
    for record in records:
        capture = record.get("capture")
        body = capture.get("body") if isinstance(capture, dict) else None
        if isinstance(body, dict):
            capture["body"] = bodies[body[BODY]]  # one bytes object per body: the writer stores it once
    return records
