"""Distributed crawls on scrapy-redis: many workers share one frontier per run, one ingester writes the store.

- ``scheduler``: scrapy-redis' scheduler and duplicate filter, with leases on taken requests (a killed worker's
  requests go back to the queue), a seen-set per run, and the end of a run (frontier drained, nothing in flight);
- ``pipeline``: the workers' last item pipeline, which hands records to the Redis stream instead of the store;
- ``limiter``: politeness per marketplace host across the whole fleet;
- ``fleet``: run specs, seeding, the worker loop and the queue's figures (what the CLI drives).

Redis key names and stream entries are defined once, in ``db.stream``.
"""
