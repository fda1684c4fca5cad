"""scrapy-redis' scheduler, queue and duplicate filter, with what a fleet needs and plain scrapy-redis lacks.

- **Leases.** Plain scrapy-redis pops a request and forgets it: a worker killed mid-crawl loses every request it
  had taken. Here a pop moves the request into the run's in-flight set with a deadline (one Lua script, atomic);
  the worker renews its leases while alive and releases one only when the request is done: downloaded, parsed,
  its new requests queued and its records handed to the stream. A lease that expires (its worker died) puts the
  request back in the queue for any worker.
- **A seen-set per run** (``db.stream.run_seen``), deleted when the run ends: a weekly crawl or a re-check does
  not skip every page some earlier run saw (scrapy-redis issue #84).
- **A run ends.** Workers do not idle forever on an empty queue (scrapy-redis #45, #107): when the queue is
  empty and nothing is in flight anywhere, the first idle worker ends the run (state, finish entry on the stream
  and deletion of the frontier, in one script) and every worker's spider closes.

Roles (``GIGSCAN_FLEET_ROLE``): ``seed`` queues the spider's start requests and takes nothing; ``worker`` takes
requests (and its spider's own start requests are dropped: the seeder queued them).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from redis.exceptions import NoScriptError
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from crawler.pipelines import run_status
from db import stream
from db.ingest import merged_stats

logger = logging.getLogger(__name__)
LEASE_META = "gigscan_lease"
LOCAL_META = "gigscan_local"  # a request this worker took from Redis itself, handed to its engine
TICK_S = 0.5
SEEN_TTL_S = 30 * 24 * 3600  # a seen-set of a run that never ended (its Redis data half lost) still goes away
flush_records = object()  # signal: hand every buffered record and stat to Redis now (before leases are released)

# Take up to ARGV[2] requests, best priority first, each on a lease: {token1, request1, token2, request2...}.
_POP = """
local top = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES')
local t = redis.call('TIME')
local deadline = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
local out = {}
for i = 1, #top, 2 do
  redis.call('ZREM', KEYS[1], top[i])
  local token = tostring(redis.call('HINCRBY', KEYS[4], 'lease_seq', 1))
  redis.call('ZADD', KEYS[2], deadline, token)
  redis.call('HSET', KEYS[3], token, top[i + 1] .. '|' .. top[i])
  out[#out + 1] = token
  out[#out + 1] = top[i]
end
return out
"""
# scrapy-redis' enqueue (SADD the fingerprint, then ZADD the request) in one round trip instead of two.
_ENQUEUE = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
return 1
"""
_RENEW = """
local t = redis.call('TIME')
local deadline = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', deadline, ARGV[i]) end
return #ARGV - 1
"""
# ARGV empty: every expired lease; else these tokens (a worker shutting down hands its leases back at once).
_REQUEUE = """
local tokens = {}
if #ARGV == 0 then
  local t = redis.call('TIME')
  tokens = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', tonumber(t[1]) + tonumber(t[2]) / 1000000)
else
  tokens = ARGV
end
local moved = 0
for _, token in ipairs(tokens) do
  local v = redis.call('HGET', KEYS[3], token)
  if v then
    local i = string.find(v, '|', 1, true)
    redis.call('ZADD', KEYS[1], string.sub(v, 1, i - 1), string.sub(v, i + 1))
    moved = moved + 1
  end
  redis.call('ZREM', KEYS[2], token)
  redis.call('HDEL', KEYS[3], token)
end
return moved
"""
_FINISH = """
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
if redis.call('ZCARD', KEYS[2]) > 0 or redis.call('ZCARD', KEYS[3]) > 0 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'finishing')
redis.call('XADD', KEYS[4], '*', 'kind', 'finish', 'run', ARGV[1], 'status', ARGV[2])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[5], KEYS[6])
return 1
"""


class Leases:
    """The lease operations on one run's frontier (each one Lua script, so two workers never take one request)."""

    def __init__(self, server: Any, run: str, seconds: float) -> None:
        self.server, self.run, self.seconds = server, run, seconds
        self.keys = [stream.run_queue(run), stream.run_inflight(run), stream.run_leases(run), stream.run_hash(run)]
        self._enqueue = server.register_script(_ENQUEUE)
        self._pop = server.register_script(_POP)
        self.load_scripts()
        self._renew = server.register_script(_RENEW)
        self._requeue = server.register_script(_REQUEUE)
        self._finish = server.register_script(_FINISH)

    def load_scripts(self) -> None:
        for script in (self._enqueue, self._pop):
            self.server.script_load(script.script)

    def push(self, fingerprint: str | None, score: float, data: bytes) -> bool:
        """Queue a request unless its fingerprint is in the run's seen-set (None: never filtered)."""
        return bool(self.push_and_pop([(fingerprint, score, data)], 0)[0][0])

    def pop(self, count: int = 1) -> list[tuple[str, bytes]]:
        """Take up to ``count`` requests on leases: [(token, encoded request)]."""
        return self.push_and_pop([], count)[1]

    def push_and_pop(
        self, pushes: list[tuple[str | None, float, bytes]], count: int
    ) -> tuple[list[bool], list[tuple[str, bytes]]]:
        """Queue requests (each unless seen) and take up to ``count``, in one round trip to Redis."""
        pipe = self.server.pipeline(transaction=False)
        for fingerprint, score, data in pushes:  # evalsha, not the Script object: no SCRIPT EXISTS per pipeline
            pipe.evalsha(self._enqueue.sha, 2, self.keys[0], stream.run_seen(self.run), fingerprint or "", score,
                         data)  # fmt: skip
        if count:
            pipe.evalsha(self._pop.sha, 4, *self.keys, self.seconds, count)
        try:
            replies = pipe.execute()
        except NoScriptError:  # Redis restarted and forgot the scripts: load them, and this round trip again
            self.load_scripts()
            return self.push_and_pop(pushes, count)
        taken = replies[len(pushes)] if count else []
        return [bool(r) for r in replies[: len(pushes)]], [
            (taken[i].decode(), taken[i + 1]) for i in range(0, len(taken), 2)
        ]

    def renew(self, tokens: list[str]) -> None:
        if tokens:
            self._renew(keys=[self.keys[1]], args=[self.seconds, *tokens])

    def release(self, tokens: list[str]) -> None:
        if tokens:
            pipe = self.server.pipeline(transaction=True)
            pipe.zrem(self.keys[1], *tokens)
            pipe.hdel(self.keys[2], *tokens)
            pipe.execute()

    def requeue(self, tokens: list[str] | None = None) -> int:
        """Put expired leases (or these ones) back in the queue; returns how many requests went back."""
        if tokens == []:
            return 0
        return int(self._requeue(keys=self.keys[:3], args=tokens or []))

    def in_flight(self) -> int:
        return int(self.server.zcard(self.keys[1]))

    def finish(self, status: str) -> bool:
        """End the run if its frontier is drained and nothing is in flight: True if this call ended it."""
        keys = [stream.run_hash(self.run), self.keys[0], self.keys[1], stream.STREAM, stream.run_seen(self.run),
                self.keys[2]]  # fmt: skip
        return bool(self._finish(keys=keys, args=[self.run, status]))


class LeasedQueue(PriorityQueue):
    """scrapy-redis' priority queue whose pop takes a lease (set up by :class:`LeasedScheduler`)."""

    leases: Leases | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One bound method per spider callback, kept alive: Scrapy checks a callback's source once per callable,
        # in a weak cache, and a request decoded from Redis brings a fresh bound method that would miss it
        # (reading and parsing the spider's source again for every page).
        self.callbacks: dict[Any, Any] = {}

    def pop(self, timeout: int = 0) -> Request | None:
        if self.leases is None:
            return super().pop(timeout)
        taken = self.leases.pop()
        return self.leased(*taken[0]) if taken else None

    def _encode_request(self, request: Request) -> bytes:
        """scrapy-redis' encoding, without its cost: ``Request.to_dict(spider=...)`` finds a callback's name by
        listing every member of the spider (``inspect.getmembers``) for every request; here the name of a method
        of the spider is read off the method, and checked."""
        methods = request.callback, request.errback
        try:
            request.callback, request.errback = (self._method_name(m) for m in methods)  # type: ignore[assignment]
            return self.serializer.dumps(request.to_dict(spider=self.spider))
        finally:
            request.callback, request.errback = methods

    def _method_name(self, method: Any) -> Any:
        func = getattr(method, "__func__", None)
        if func is None or getattr(method, "__self__", None) is not self.spider:
            return method  # not a method of the spider: Scrapy's own lookup decides (and refuses what it must)
        if getattr(type(self.spider), func.__name__, None) is not func:
            return method
        return func.__name__

    def leased(self, token: str, data: bytes) -> Request:
        request = self._decode_request(data)
        request.meta[LEASE_META] = token
        for name in ("callback", "errback"):
            method = getattr(request, name)
            if method is not None:
                setattr(request, name, self.callbacks.setdefault(method, method))
        return request


class RunDupeFilter(RFPDupeFilter):
    """scrapy-redis' duplicate filter on the run's own seen-set, which outlives no run: the scheduler never
    clears it on close (other workers still use it); the end of the run deletes it, and it expires anyway."""

    def close(self, reason: str = "") -> None:
        """Keep the fingerprints: the run goes on in other workers."""


class LeasedScheduler(Scheduler):
    """The scheduler of a distributed run (see the module docstring)."""

    crawler: Crawler
    role: str
    run: str
    leases: Leases
    held: dict[str, list[Any]]
    ready: deque[Request]
    pushes: list[tuple[str | None, float, bytes]]
    prefetch: int
    ticker: LoopingCall | None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeasedScheduler:
        scheduler = super().from_crawler(crawler)
        settings = crawler.settings
        scheduler.crawler = crawler
        scheduler.role = settings.get("GIGSCAN_FLEET_ROLE")
        scheduler.run = settings.get("GIGSCAN_RUN_KEY")
        scheduler.leases = Leases(scheduler.server, scheduler.run, settings.getfloat("GIGSCAN_LEASE_SECONDS"))
        scheduler.held = {}  # lease token -> [request, ticks seen idle]
        scheduler.ready = deque()  # requests taken on lease, not yet handed to the engine
        scheduler.pushes = []  # requests to queue at the next round trip: (fingerprint, score, encoded)
        scheduler.prefetch = settings.getint("GIGSCAN_FLEET_PREFETCH")
        scheduler.ticker = None
        return scheduler

    def open(self, spider: Any) -> None:
        super().open(spider)
        self.queue.leases = self.leases
        self.server.expire(stream.run_seen(self.run), SEEN_TTL_S)
        if self.role == "worker":
            self.crawler.signals.connect(self.on_idle, signal=signals.spider_idle)
            self.ticker = LoopingCall(self.tick)
            self.ticker.start(TICK_S, now=False)

    def close(self, reason: str) -> None:
        """Release what is done; hand what is not back to the queue at once (no need to wait for the lease)."""
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()
        self.flush_pushes()
        if self.role == "worker":
            self.settle()
            self.leases.requeue([token for token, _ in self.held.items()] + [r.meta[LEASE_META] for r in self.ready])
            self.held.clear()
            self.ready.clear()
        super().close(reason)

    # -- requests -----------------------------------------------------------------------------------------

    def enqueue_request(self, request: Request) -> bool:
        """scrapy-redis' enqueue (duplicate filter, then queue), batched: queued with the next round trip to
        Redis (at the latest before the lease of the request it came from is released)."""
        if request.meta.get(LOCAL_META):
            self.ready.append(request)
            return True
        request.meta.pop(LEASE_META, None)  # a retry copies its original's meta: the token is not its own
        fingerprint = None if request.dont_filter else self.df.request_fingerprint(request)
        self.pushes.append((fingerprint, -request.priority, self.queue._encode_request(request)))
        if self.role != "worker" or len(self.pushes) >= 4 * self.prefetch:
            self.flush_pushes()
        return True

    def flush_pushes(self, take: int = 0) -> None:
        """Queue the buffered requests and take up to ``take`` more on lease, in one round trip."""
        if not self.pushes and not take:
            return
        pushes, self.pushes = self.pushes, []
        queued, taken = self.leases.push_and_pop(pushes, take)
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", sum(queued))
            self.stats.inc_value("gigscan/fleet/duplicates", len(queued) - sum(queued))
        self.ready.extend(self.queue.leased(token, data) for token, data in taken)

    def next_request(self) -> Request | None:
        if self.role != "worker":
            return None
        if not self.ready:
            self.flush_pushes(take=self.prefetch)
        if not self.ready:
            return None
        request = self.ready.popleft()
        request.meta.pop(LOCAL_META, None)
        self.held[request.meta[LEASE_META]] = [request, 0]
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return self.role == "worker" and (bool(self.ready) or bool(self.pushes) or len(self) > 0)

    # -- leases -------------------------------------------------------------------------------------------

    def settle(self) -> None:
        """Release the leases of requests done: absent from the downloader and the scraper for two ticks in a
        row. Records and stats go to Redis first, so a released request never has anything left to lose."""
        engine = self.crawler.engine
        busy: set[int] = set()
        if engine is not None:
            busy.update(id(r) for r in engine.downloader.active)
            slot = engine.scraper.slot
            if slot is not None:
                busy.update(id(r) for r in slot.active)
                busy.update(id(entry[1]) for entry in slot.queue)
        done = []
        for token, entry in self.held.items():
            entry[1] = 0 if id(entry[0]) in busy else entry[1] + 1
            if entry[1] >= 2:
                done.append(token)
        self.flush_pushes()
        self.crawler.signals.send_catch_log(signal=flush_records)
        if done:
            self.leases.release(done)
            for token in done:
                del self.held[token]

    def tick(self) -> None:
        """Every TICK_S: settle, renew this worker's leases, requeue expired ones, feed an idle engine."""
        try:
            self.settle()
            self.leases.renew([*self.held, *(r.meta[LEASE_META] for r in self.ready)])
            moved = self.leases.requeue()
            if moved:
                logger.warning("%d request(s) of a worker that stopped renewing its leases went back to the queue",
                               moved)
                self.crawler.stats.inc_value("gigscan/fleet/requeued", moved)
            self.feed()
        except Exception:  # a tick must never kill the crawl; Redis errors are retried next tick
            logger.exception("distributed scheduler tick failed")

    def feed(self) -> None:
        """Scrapy asks its scheduler for requests only when something happens (or every 5 s): an idle worker
        takes one itself when the queue has some, so it joins in at once."""
        engine = self.crawler.engine
        if engine is None or self.held or self.ready or not engine.running:
            return
        self.flush_pushes(take=self.prefetch)
        if not self.ready:
            self.try_finish(engine)
            return
        request = self.ready.popleft()
        request.meta[LOCAL_META] = True
        engine.crawl(request)

    def try_finish(self, engine: Any) -> None:
        """Nothing to take: end the run if it is drained; close this spider once the run is over."""
        state = self.server.hget(stream.run_hash(self.run), "state")
        if state == b"running" and not self.held:
            stats = merged_stats(self.server.hgetall(stream.run_stats(self.run)))
            if self.leases.finish(run_status("finished", stats)):
                logger.info("run %s: frontier drained, nothing in flight: the run is over", self.run)
                state = b"finishing"
        if state not in (b"running", b"seeding") and not self.held and engine.spider_is_idle():
            deferred_from_coro(engine.close_spider_async(reason="finished"))

    def on_idle(self) -> None:
        """Keep an idle worker's spider open while its run goes on (others may still queue requests)."""
        state = self.server.hget(stream.run_hash(self.run), "state")
        if self.held or self.ready or state in (b"running", b"seeding"):
            raise DontCloseSpider


class RoleMiddleware:
    """Spider middleware: a worker does not run its spider's start requests (the seeder queued them)."""

    def __init__(self, role: str) -> None:
        self.role = role

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RoleMiddleware:
        return cls(crawler.settings.get("GIGSCAN_FLEET_ROLE"))

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        if self.role != "worker":
            async for item_or_request in start:
                yield item_or_request
