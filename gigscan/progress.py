"""A crawl's progress as its user sees it: on a terminal a live line (pages done of pages scheduled, items,
flagged listings, blocks, rate, elapsed time); elsewhere (a pipe, a cron log) one plain line every few seconds,
so a long unattended crawl shows how far it got instead of nothing until the end."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.live import Live


class CrawlProgress:
    """Counts from Scrapy signals, shared by every crawler of a command (``crawl all`` runs several)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.pages = self.scheduled = self.items = 0
        self.flagged: set[tuple[str, str]] = set()  # listings, not flag events: one meaning of "flagged"
        self.crawlers: list[Any] = []

    def connect(self, label: str, crawler: Any) -> None:
        from scrapy import signals

        from crawler import signals as gigscan_signals

        crawler.signals.connect(self.on_response, signal=signals.response_received)
        crawler.signals.connect(self.on_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.on_item, signal=signals.item_scraped)
        crawler.signals.connect(self.on_flagged, signal=gigscan_signals.listing_flagged)
        self.crawlers.append(crawler)

    def on_response(self, **_: Any) -> None:
        self.pages += 1

    def on_scheduled(self, **_: Any) -> None:
        self.scheduled += 1

    def on_item(self, **_: Any) -> None:
        self.items += 1

    def on_flagged(self, item: Any, **_: Any) -> None:
        self.flagged.add((item.marketplace, item.external_id))

    def blocked(self) -> int:
        total = 0
        for crawler in self.crawlers:
            try:
                total += crawler.stats.get_value("gigscan/blocked", 0) if crawler.stats else 0
            except RuntimeError:  # stats are set only once that crawler starts
                continue
        return total

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.pages / elapsed if elapsed > 0 else 0.0
        minutes, seconds = divmod(int(elapsed), 60)
        return (f"pages {self.pages}/{max(self.scheduled, self.pages)}  items {self.items}  "
                f"flagged listings {len(self.flagged)}  blocked {self.blocked()}  "
                f"{rate:.1f} pages/s  elapsed {minutes}:{seconds:02d}")

    def __rich__(self) -> str:
        return f"[bold]crawling[/] {self.line()}"

    @contextmanager
    def shown(self, console: Console, *, live: bool, every: float) -> Iterator[None]:
        """Show the progress while the block runs: live on a terminal, else a line every ``every`` seconds
        (0: none)."""
        if live:
            with Live(self, console=console, refresh_per_second=4, transient=True):
                yield
            return
        stop = threading.Event()

        def report() -> None:
            while not stop.wait(every):
                console.print(f"progress: {self.line()}", markup=False, highlight=False)

        ticker = threading.Thread(target=report, daemon=True, name="gigscan-progress")
        if every > 0:
            ticker.start()
        try:
            yield
        finally:
            stop.set()
