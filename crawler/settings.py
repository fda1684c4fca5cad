"""Scrapy settings for gigscan, chosen to protect the user and the sites crawled.

Every value here can be overridden per crawl (``gigscan crawl ... --set NAME=VALUE``) or by Scrapy's usual
means. The comments say why a value differs from Scrapy's default.
"""

from __future__ import annotations

from importlib.metadata import version

from db.store import DEFAULT_PATH

# The distribution's version, not gigscan.__version__: crawler/ must not import the CLI package.
GIGSCAN_VERSION = version("gigscan")

BOT_NAME = "gigscan"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Identify the tool honestly; sites and their abuse teams can reach the operator through the contact URL.
# Set yours with GIGSCAN_CONTACT_URL in the environment (read when a crawl starts) or --set GIGSCAN_CONTACT_URL=...
# (the user agent follows, see crawler.middlewares.contact_url); --set USER_AGENT=... replaces the whole agent.
GIGSCAN_CONTACT_URL = "https://github.com/gigscan/gigscan"
USER_AGENT = f"gigscan/{GIGSCAN_VERSION} (+{GIGSCAN_CONTACT_URL})"
# robots.txt groups are matched on the product token, not the whole agent string.
ROBOTSTXT_USER_AGENT = "gigscan"

# Politeness: obey robots.txt unless the user says --ignore-robots (which the run record keeps), and let
# AutoThrottle adapt the delay to the server's latency. DOWNLOAD_DELAY is AutoThrottle's floor; a robots.txt
# Crawl-delay is a higher floor for its site, and 429/503 Retry-After is obeyed (crawler.middlewares.PacingMiddleware).
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 60

# Real Fiverr pages are 1.5-3.5 MB; Scrapy's default cap is 1 GiB, which a hostile server can exploit. The cap also
# bounds decompressed bodies (HttpCompressionMiddleware stops inflating a gzip bomb at DOWNLOAD_MAXSIZE).
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

# A long unattended crawl of hostile pages needs no remote doors: Scrapy 2.19's RemoteControl extension runs an
# HTTP server that executes Python sent to it and writes job files under the user's home; telnet likewise.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]

COOKIES_ENABLED = True
HTTPCACHE_ENABLED = False
# JOBDIR is set by the CLI under gigscan's data directory (``--resume``), never under the home by surprise.
JOBDIR = None

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "crawler.middlewares.ContactUserAgentMiddleware": 500,
    "crawler.middlewares.BlockPageMiddleware": 560,
    "crawler.middlewares.PacingMiddleware": 570,  # its process_response runs before block checks and retries
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.CountedCompressionMiddleware": 590,  # counts gzip bombs stopped at DOWNLOAD_MAXSIZE
}

SPIDER_MIDDLEWARES = {
    "crawler.middlewares.QueryResultsMiddleware": 900,  # gigscan/query_results/<query>, for the zero-results monitor
    "crawler.middlewares.PageCapMiddleware": 950,  # runs first on a page's output: a hostile page is cut early
}

ITEM_PIPELINES = {
    "crawler.pipelines.ValidatePipeline": 100,
    "crawler.pipelines.ScanPipeline": 200,
    "crawler.pipelines.StorePipeline": 300,
}

# Every way of starting a crawl gets the run monitors and the notification of a bad run (crawler.extensions).
EXTENSIONS = {
    "crawler.extensions.RunMonitors": 900,
}
# `scrapy crawl` exits 1 when the monitors judge the run failed, blocked or degraded (crawler/commands/crawl.py).
COMMANDS_MODULE = "crawler.commands"

# gigscan's own settings.
GIGSCAN_DB = DEFAULT_PATH  # the evidence store (the CLI passes --db / GIGSCAN_DB here)
GIGSCAN_RULES = None  # a ruleset TOML file; None = the bundled default
GIGSCAN_STORE_BATCH = 100  # items per write transaction
GIGSCAN_STORE_PENDING = 2  # batches queued for the store's writer thread before the pipeline waits
GIGSCAN_SCAN_MEMO = 4096  # verdicts kept for listing texts seen again in the crawl (0: scan every item)
GIGSCAN_BLOCK_BACKOFF = 2.0  # the download slot's delay is multiplied by this after a block page
GIGSCAN_BLOCK_MAX_DELAY = 60.0
GIGSCAN_RETRY_AFTER_MAX = 600.0  # longest Retry-After obeyed, seconds (a longer one is cut to this)
GIGSCAN_RUN_ARGS = {}  # what the user asked for, kept in the run record
# Most listings and links (requests) taken from one page (0: no cap): real pages hold dozens; a hostile one may
# hold ten thousand. What is dropped is counted in gigscan/page_cap/*.
GIGSCAN_MAX_LISTINGS_PER_PAGE = 500
GIGSCAN_MAX_LINKS_PER_PAGE = 1000
GIGSCAN_NOTIFY = None  # a failed, blocked or degraded run: POST its report here (http(s) URL) or run this command
GIGSCAN_FREELANCER_API = False  # the freelancer spider asks the public REST API, not the search pages

# Distributed crawls (`gigscan fleet`/`worker` set the first three per process; crawler/distributed/)
REDIS_URL = None  # the fleet's redis-server
GIGSCAN_FLEET_ROLE = "worker"  # seed: queue the start requests; worker: take requests and crawl them
GIGSCAN_RUN_KEY = None  # the distributed run's key in Redis
GIGSCAN_LEASE_SECONDS = 30.0  # a taken request not finished in this long goes back to the queue
GIGSCAN_FLEET_PREFETCH = 8  # requests a worker takes at once
GIGSCAN_FLEET_STALE_S = 30.0  # a host's fleet-wide delay is forgotten after this long without news
GIGSCAN_STREAM_BATCH = 50  # records per stream entry
GIGSCAN_STREAM_MAX = 2000  # entries waiting for the ingester before the pipeline waits

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
