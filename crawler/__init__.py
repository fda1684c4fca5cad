"""gigscan's Scrapy project: settings, items, page objects, spiders, pipelines and middlewares.

Spiders are thin: they schedule requests and hand responses to page objects (``crawler.pages``), which turn a
page into items without any network I/O. Pipelines validate, scan (``matchers``) and store (``db``) the items.
"""
