"""The parts of a distributed crawl, each against a real redis-server (started once for the module on a free port
in a temporary folder): the stream's wire format, leases, the end of a run, the fleet limiter, the ingester's
"nothing twice", the queue's figures, and the CLI's one-line errors."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import zstandard
from scrapy import Request

from crawler.distributed import serializer
from crawler.distributed.fleet import RunSpec, alive_workers, open_run, queue_figures
from crawler.distributed.limiter import _HOLD, _RESERVE
from crawler.distributed.scheduler import Leases
from db import stream
from db.checkpoint import default_checkpoints
from db.ingest import DEAD_LETTERS, Ingester
from db.store import Store
from db.testing import capture, listing_record, verdict
from helpers import run_gigscan
from testbed.redis_server import RedisServer

pytestmark = pytest.mark.xdist_group("distributed")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with RedisServer(tmp_path_factory.mktemp("redis")) as running:
        yield running


@pytest.fixture
def client(server: RedisServer) -> Iterator[redis.Redis]:
    connection = stream.connect(server.url)
    connection.flushdb()
    yield connection
    connection.close()


def spec(key: str = "fiverr-1") -> RunSpec:
    return RunSpec(key, "fiverr", "fiverr", {"query": ["q"]}, {}, {"spider": "fiverr", "queries": ["q"]}, "r1", "0.1")


# -- wire format ------------------------------------------------------------------------------------------------


def test_a_records_entry_sends_a_shared_body_once_and_decodes_byte_exact() -> None:
    page = b"<html>\x00\xff search page</html>"
    shared = capture(body=page, url="https://www.fiverr.com/search/gigs?query=q")
    records = [listing_record(external_id=str(i), capture=shared) for i in range(3)]
    fields = stream.records_entry("fiverr-1", records)
    assert zstandard.ZstdDecompressor().decompress(fields["data"]).count(page) == 1  # one body for three cards
    entry = stream.decode_entry(b"1-0", {k.encode(): v for k, v in fields.items()})
    assert entry.kind == "records" and entry.run == "fiverr-1" and len(entry.rid) == 24
    assert [r["external_id"] for r in entry.records] == ["0", "1", "2"]
    bodies = {id(r["capture"]["body"]) for r in entry.records}
    assert len(bodies) == 1 and entry.records[0]["capture"]["body"] == page  # one object: stored once
    assert records[0]["capture"]["body"] == page  # the worker's own records are left alone


def test_an_entry_that_is_not_gigscans_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        stream.decode_entry(b"1-0", {b"kind": b"exec", b"run": b"r"})
    with pytest.raises(ValueError, match="names no run"):
        stream.decode_entry(b"1-0", {b"kind": b"records"})


def test_requests_go_to_redis_as_messagepack_never_pickle() -> None:
    request = Request("https://www.fiverr.com/search/gigs?query=q", meta={"query": "q", "page": 2}, priority=3)
    assert serializer.loads(serializer.dumps(request.to_dict())) == request.to_dict()
    with pytest.raises(TypeError, match="cannot hold a object"):
        serializer.dumps({"meta": {"x": object()}})


# -- leases and the end of a run --------------------------------------------------------------------------------


def test_a_popped_request_is_leased_and_an_expired_lease_goes_back_to_the_queue(client: redis.Redis) -> None:
    leases = Leases(client, "fiverr-1", seconds=0.3)
    assert leases.push("fp1", -5, b"request-1") and not leases.push("fp1", -5, b"request-1 again")  # seen once
    assert leases.push(None, 0, b"request-2")  # dont_filter: never filtered
    [(token, data)] = leases.pop()
    assert data == b"request-1" and leases.in_flight() == 1 and client.zcard(stream.run_queue("fiverr-1")) == 1
    assert leases.requeue() == 0  # not expired yet
    time.sleep(0.2)
    leases.renew([token])  # a live worker renews...
    time.sleep(0.2)
    assert leases.requeue() == 0
    time.sleep(0.35)  # ...a dead one does not
    assert leases.requeue() == 1 and leases.in_flight() == 0
    assert client.zscore(stream.run_queue("fiverr-1"), b"request-1") == -5  # back with its priority
    [(token, _)] = leases.pop()
    leases.release([token])
    assert leases.in_flight() == 0 and leases.requeue() == 0  # a released lease never comes back


def test_a_run_ends_once_when_drained_with_nothing_in_flight(client: redis.Redis) -> None:
    open_run(client, spec())
    leases = Leases(client, "fiverr-1", seconds=30)
    leases.push("fp", 0, b"request")
    assert not leases.finish("finished")  # still seeding
    client.hset(stream.run_hash("fiverr-1"), "state", "running")
    assert not leases.finish("finished")  # queued
    [(token, _)] = leases.pop()
    assert not leases.finish("finished")  # in flight
    leases.release([token])
    assert leases.finish("finished") and not leases.finish("finished")  # ended once
    assert client.hget(stream.run_hash("fiverr-1"), "state") == b"finishing"
    assert not any(client.exists(key) for key in stream.run_keys("fiverr-1"))  # the seen-set goes with the run
    kinds = [fields[b"kind"] for _, fields in client.xrange(stream.STREAM)]
    assert kinds == [b"start", b"finish"]


# -- the fleet limiter ------------------------------------------------------------------------------------------


def test_the_fleet_limiter_spaces_a_hosts_requests_by_the_largest_delay_any_worker_reports(
    client: redis.Redis,
) -> None:
    reserve, hold = client.register_script(_RESERVE), client.register_script(_HOLD)
    key = stream.host_pace("www.fiverr.com")
    waits = [float(reserve(keys=[key], args=[worker, delay, 30]))
             for worker, delay in (("a", "0.5"), ("b", "0.0"), ("b", "0.0"), ("a", "0.5"))]  # fmt: skip
    assert waits[0] == pytest.approx(0, abs=0.05)
    for earlier, later in zip(waits, waits[1:], strict=False):
        assert later - earlier == pytest.approx(0.5, abs=0.05)  # b is paced by a's delay too
    other = float(reserve(keys=[stream.host_pace("www.freelancer.com")], args=["a", "0.5", 30]))
    assert other == pytest.approx(0, abs=0.05)  # per host
    hold(keys=[key], args=[5])  # a Retry-After seen by one worker holds the host for all
    assert float(reserve(keys=[key], args=["c", "0", 30])) >= 4.9


def test_a_delay_reported_long_ago_no_longer_paces_the_fleet(client: redis.Redis) -> None:
    reserve = client.register_script(_RESERVE)
    key = stream.host_pace("example.test")
    reserve(keys=[key], args=["slow", "0.4", 0.2])
    time.sleep(0.5)
    first = float(reserve(keys=[key], args=["fast", "0", 0.2]))
    assert first == pytest.approx(0, abs=0.05)
    assert float(reserve(keys=[key], args=["fast", "0", 0.2])) == pytest.approx(0, abs=0.05)


# -- the ingester -----------------------------------------------------------------------------------------------


def fill_stream(client: redis.Redis, entries: int) -> None:
    open_run(client, spec())
    for n in range(entries):
        record = listing_record(external_id=str(n), capture=capture(body=f"<p>{n}</p>".encode()),
                                verdict=verdict())  # fmt: skip
        client.xadd(stream.STREAM, stream.records_entry("fiverr-1", [record]))


def test_an_entry_committed_but_not_acknowledged_is_not_stored_twice(client: redis.Redis, tmp_path: Path) -> None:
    fill_stream(client, 5)
    with Store(tmp_path / "s.db") as store:
        first = Ingester(client, store)
        first.acquire()
        first._ack = lambda ids: None  # it dies after each commit, before acknowledging
        first.follow(lambda: False, 50, until_idle=True)
        assert store.counts()["sightings"] == 5 and client.xpending(stream.STREAM, stream.GROUP)["pending"] == 6
        first.release()
        second = Ingester(client, store)
        second.acquire()
        second.follow(lambda: False, 50, until_idle=True)
        assert second.counts.duplicates == 5 and second.counts.records == 0
        assert store.counts()["sightings"] == 5  # once
        assert client.xpending(stream.STREAM, stream.GROUP)["pending"] == 0 and client.xlen(stream.STREAM) == 0
        run = store.get_run(1)
        assert json.loads(run["args"])["distributed_run"] == "fiverr-1" and run["host"] == "redis fiverr-1"
        assert store.verify().ok


def test_an_unstorable_entry_is_set_aside_and_counted_and_the_rest_is_stored(
    client: redis.Redis, tmp_path: Path
) -> None:
    fill_stream(client, 2)
    bad = listing_record(external_id="9", title="")  # the store refuses a listing without a title
    client.xadd(stream.STREAM, stream.records_entry("fiverr-1", [bad]))
    client.xadd(stream.STREAM, {"kind": "records", "run": "fiverr-1", "rid": "x", "data": b"\xc1"})
    client.xadd(stream.STREAM, {"kind": "records", "run": "fiverr-1", "rid": "y",
                                "data": zstandard.ZstdCompressor().compress(b"\xc1")})  # fmt: skip
    with Store(tmp_path / "s.db") as store:
        ingester = Ingester(client, store)
        ingester.acquire()
        ingester.follow(lambda: False, 50, until_idle=True)
        assert store.counts()["listings"] == 2
    assert ingester.counts.dead == 3 and client.xlen(DEAD_LETTERS) == 3
    assert client.hget(stream.run_stats("fiverr-1"), "gigscan/store/failed_batches") == b"1"


def test_one_ingester_per_redis(client: redis.Redis, tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        first = Ingester(client, store)
        first.acquire()
        with pytest.raises(RuntimeError, match="another ingester"):
            Ingester(client, store).acquire(wait_s=0.6)
        first.release()
        Ingester(client, store).acquire()


# -- the queue and the CLI --------------------------------------------------------------------------------------


def test_queue_figures_count_per_spider(client: redis.Redis) -> None:
    open_run(client, spec())
    leases = Leases(client, "fiverr-1", seconds=30)
    for n in range(3):
        leases.push(f"fp{n}", 0, f"r{n}".encode())
    leases.pop()
    client.hset(stream.run_hash("fiverr-1"), "pushed", 7)
    client.hset(stream.WORKERS, mapping={"w1": json.dumps({"spiders": [], "seen": time.time()}),
                                         "w2": json.dumps({"spiders": ["freelancer"], "seen": time.time()}),
                                         "dead": json.dumps({"spiders": [], "seen": time.time() - 600})})  # fmt: skip
    figures = queue_figures(client)
    assert figures["spiders"]["fiverr"] == {"runs": 1, "queued": 2, "in_flight": 1, "seen": 3, "workers": 1,
                                            "records_waiting": 7}  # fmt: skip
    assert [w["id"] for w in alive_workers(client)] == ["w1", "w2"]


def test_the_commands_say_in_one_line_what_is_wrong_with_the_redis_url(server: RedisServer) -> None:
    bad = run_gigscan("queue", "--redis-url", "http://127.0.0.1:1/0", check=False)
    assert bad.returncode == 2 and "redis://" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    down = run_gigscan("ingest", "--redis-url", "redis://127.0.0.1:1/0", "--db", "x.db", check=False)
    assert down.returncode == 1 and "cannot reach Redis" in down.stderr
    resume = run_gigscan("crawl", "fiverr", "--resume", "--redis-url", server.url, check=False)
    assert resume.returncode == 2 and "local crawls" in resume.stderr
    nowhere = run_gigscan("crawl", "fiverr", "--recheck", "--db", "missing.db", "--redis-url", server.url, check=False)
    assert nowhere.returncode == 2 and "reads its targets from the store on this machine" in nowhere.stderr
    shown = run_gigscan("queue", "--redis-url", server.url, "--json")
    assert set(json.loads(shown.stdout)) == {"spiders", "runs", "workers", "stream_entries"}


def test_a_distributed_run_is_closed_judged_by_the_monitors_and_notified(
    client: redis.Redis, tmp_path: Path
) -> None:
    from gigscan.commands.distributed import judge_closed_run

    received = tmp_path / "notified.json"
    run = spec()
    run.notify = f"{sys.executable} -c \"import sys; open({str(received)!r}, 'wb').write(sys.stdin.buffer.read())\""
    open_run(client, run)
    fill = [listing_record(external_id=str(n), capture=capture(body=b"<p/>")) for n in range(3)]
    client.xadd(stream.STREAM, stream.records_entry(run.key, fill))
    # The workers' summed stats: most pages were block pages.
    client.hset(stream.run_stats(run.key), mapping={"downloader/response_count": 40, "gigscan/blocked": 30,
                                                    "item_scraped_count": 3, "gigscan/pages_parsed": 10})  # fmt: skip
    client.xadd(stream.STREAM, stream.finish_entry(run.key, "finished"))
    db = tmp_path / "s.db"
    with Store(db) as store:
        ingester = Ingester(client, store, on_closed=lambda *a: judge_closed_run(db, *a))
        ingester.acquire()
        ingester.follow(lambda: False, 50, until_idle=True)
        row = store.get_run(1)
    stats = json.loads(row["stats"])
    assert row["status"] == "degraded" and stats["gigscan/store/sightings"] == 3 and stats["gigscan/blocked"] == 30
    outcome = json.loads(client.hget(stream.run_hash(run.key), "outcome"))
    assert outcome["status"] == "degraded" and outcome["failures"][0]["monitor"] == "blocked_share"
    assert json.loads(received.read_text())["runs"][0]["run_id"] == 1  # notified, as a local crawl would be
    assert client.hget(stream.run_hash(run.key), "state") == b"closed" and not client.sismember(stream.RUNS, run.key)
    # the head anchored outside the store, as after a local crawl (a fleet's store had no checkpoint at all)
    [line] = default_checkpoints(db).read_text().splitlines()
    with Store(db) as store:
        verified = store.verify()
    assert (json.loads(line)["entries"], json.loads(line)["head"]) == (verified.entries, verified.head)


def test_a_distributed_recheck_counts_unreached_targets_as_missed_once(client: redis.Redis, tmp_path: Path) -> None:
    """The ingester closes a re-check run as a local re-check closes: each target listing the fleet did not see
    has missed one more re-check (removed after --missing-after), even when the close is delivered again."""
    from db.recheck import recheck_plan, recheck_targets

    db = tmp_path / "s.db"
    first = spec("fiverr-1")
    open_run(client, first)
    client.xadd(stream.STREAM, stream.records_entry(first.key, [listing_record(external_id=str(n)) for n in range(3)]))
    client.xadd(stream.STREAM, stream.finish_entry(first.key, "finished"))
    with Store(db) as store:
        ingester = Ingester(client, store)
        ingester.acquire()
        ingester.follow(lambda: False, 50, until_idle=True)
        targets = [t for t in recheck_targets(store, "fiverr", everything=True) if t.kind == "listing"]
        again = spec("fiverr-2")
        again.recheck = recheck_plan(targets, missing_after=2)
        open_run(client, again)
        client.xadd(stream.STREAM, stream.records_entry(again.key, [listing_record(external_id="0")]))
        client.xadd(stream.STREAM, stream.finish_entry(again.key, "finished"))
        client.xadd(stream.STREAM, stream.finish_entry(again.key, "finished"))  # the close, delivered twice
        ingester.follow(lambda: False, 50, until_idle=True)
        missed = dict(store.conn.execute("SELECT external_id, missed_rechecks FROM listings"))
    assert len(targets) == 3 and missed == {"0": 0, "1": 1, "2": 1}
    outcome = json.loads(client.hget(stream.run_hash(again.key), "outcome"))
    assert outcome["recheck"] == {"listings": 3, "sellers": 0, "removed": 0, "removed_after_misses": 0,
                                  "reappeared": 0, "missing_after": 2}  # fmt: skip
    assert RunSpec.load(json.dumps({**json.loads(client.hget(stream.run_hash(again.key), "spec")), "new": 1})).recheck


def test_a_broken_ruleset_is_one_line_for_the_seeder_and_the_worker(server: RedisServer, tmp_path: Path) -> None:
    """Both printed a RulesetError traceback (a local crawl said it in one line); the seeder opens no run."""
    rules = tmp_path / "rules.toml"
    rules.write_text("this is not = = toml\n")
    for args in (["crawl", "fiverr", "--db", str(tmp_path / "x.db")], ["worker"]):
        result = run_gigscan(*args, "--rules", str(rules), "--redis-url", server.url, check=False, timeout=60)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.strip().splitlines() == [result.stderr.strip()]
        assert "cannot load the ruleset" in result.stderr
    assert json.loads(run_gigscan("queue", "--redis-url", server.url, "--json").stdout)["runs"] == []


def test_a_stopping_process_stops_retrying_redis_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client rides out a Redis restart (a minute of retries), but not once the process is stopping: a worker's
    SIGTERM handler calls ``stop_retrying`` and the command in progress fails after its current backoff."""
    import threading

    from testbed.redis_server import free_port

    monkeypatch.setattr(stream, "STOPPING", threading.Event())
    client = stream.connect(f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
    threading.Timer(0.5, stream.stop_retrying).start()
    started = time.monotonic()
    with pytest.raises(redis.ConnectionError):
        client.ping()
    assert 0.4 < time.monotonic() - started < 5
