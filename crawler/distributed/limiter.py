"""Politeness across the fleet: one pace per marketplace host for all workers together, kept in Redis.

Each worker still computes the delay a host deserves as a single crawler would: AutoThrottle's target, the
robots.txt Crawl-delay floor and the block backoff all end up in its download slot's delay (see
``crawler.middlewares``). Before a request goes out, :class:`FleetPacingMiddleware` reports that delay and takes
the host's next free time in one Lua script: the fleet's delay is the largest one reported by any worker in the
last ``GIGSCAN_FLEET_STALE_S`` seconds, and requests to a host are spaced by it fleet-wide. A 429/503 with
Retry-After holds the host for every worker. So ten workers hit a host no harder than one.
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING

from scrapy.utils.asyncio import sleep

from crawler.middlewares import download_slot, retry_after_seconds
from db import stream

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('HSET', KEYS[1], 'd:' .. ARGV[1], ARGV[2] .. ':' .. string.format('%.6f', now))
local delay = tonumber(ARGV[2])
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if string.sub(fields[i], 1, 2) == 'd:' then
    local v = fields[i + 1]
    local c = string.find(v, ':', 1, true)
    local d, at = tonumber(string.sub(v, 1, c - 1)), tonumber(string.sub(v, c + 1))
    if now - at <= tonumber(ARGV[3]) then
      if d > delay then delay = d end
    else
      redis.call('HDEL', KEYS[1], fields[i])
    end
  end
end
local slot = math.max(now, tonumber(redis.call('HGET', KEYS[1], 'next') or '0'),
                      tonumber(redis.call('HGET', KEYS[1], 'not_before') or '0'))
redis.call('HSET', KEYS[1], 'next', string.format('%.6f', slot + delay))
redis.call('EXPIRE', KEYS[1], 86400)
return string.format('%.6f', slot - now)
"""
_HOLD = """
local t = redis.call('TIME')
local until_ = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
if until_ > tonumber(redis.call('HGET', KEYS[1], 'not_before') or '0') then
  redis.call('HSET', KEYS[1], 'not_before', string.format('%.6f', until_))
end
return 1
"""


class FleetPacingMiddleware:
    """Downloader middleware of distributed workers (after ``PacingMiddleware``): waits for the host's turn."""

    PACED_STATUSES = (429, 503)

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.client = stream.connect_async(settings.get("REDIS_URL"))  # awaited in the loop: never blocks the crawl
        self.worker = f"{socket.gethostname()}-{os.getpid()}"
        self.stale_s = settings.getfloat("GIGSCAN_FLEET_STALE_S")
        self.base_delay = settings.getfloat("DOWNLOAD_DELAY")
        self.max_wait = settings.getfloat("GIGSCAN_RETRY_AFTER_MAX")
        self._reserve = self.client.register_script(_RESERVE)
        self._hold = self.client.register_script(_HOLD)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FleetPacingMiddleware:
        return cls(crawler)

    def _host(self, request: Request) -> str:
        assert self.crawler.engine is not None
        return stream.host_pace(self.crawler.engine.downloader.get_slot_key(request))

    async def process_request(self, request: Request) -> None:
        slot = download_slot(self.crawler, request)
        delay = slot.delay if slot is not None else self.base_delay
        wait = float(await self._reserve(keys=[self._host(request)], args=[self.worker, f"{delay:.6f}", self.stale_s]))
        if wait > 0:
            self.crawler.stats.inc_value("gigscan/fleet/paced")
            await sleep(wait)

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status in self.PACED_STATUSES:
            wait = retry_after_seconds(response.headers.get(b"Retry-After"))
            if wait:
                await self._hold(keys=[self._host(request)], args=[min(wait, self.max_wait)])
        return response
