"""A simulated Fiverr-shaped marketplace served on 127.0.0.1, for gigscan's demo, tests and benchmarks.

Why it exists: gigscan's crawler must be exercised end to end without touching the real marketplace, with known
answers. The testbed serves search, gig and seller pages whose HTML and embedded ``perseus-initial-props`` JSON
copy the key paths and units of real Fiverr pages (see ../shared/data/pages/STRUCTURE.md), over a deterministic
catalogue (``testbed.catalogue``) in which every seller and gig carries its ground truth: a seller of fake reviews
(plainly worded, disguised or in another language), an honest look-alike that uses review words, or an ordinary
seller. It also imitates the awkward parts: promoted duplicates in search results, PerimeterX block pages at a
configurable rate, per-response csrf noise, removed and edited gigs over catalogue steps, and one hostile seller
whose texts carry markup and spreadsheet formulas.

It shares no code with the crawler it tests: this package imports only the standard library and itself, so a
parsing mistake in the crawler cannot be mirrored by the same mistake here.

Modules: ``catalogue`` (sellers, gigs, truth, steps, search), ``props`` (the perseus JSON), ``pages`` (HTML),
``site`` (routing and page cache), ``server`` (``TestbedServer`` and ``run``).
"""

from testbed.catalogue import Catalogue
from testbed.server import TestbedServer, run

__all__ = ["Catalogue", "TestbedServer", "run"]
