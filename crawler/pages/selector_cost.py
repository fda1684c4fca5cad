"""Site profiles' CSS and XPath selectors that cannot stall a crawl.

A profile's regular expressions get a time limit per search (``matchers.patterns``); its selectors cannot: lxml
evaluates an XPath expression in libxml2's C code, holding the GIL, with no operation limit lxml exposes, so a
search cannot be stopped from Python short of running it in a process of its own for every page. An XPath
expression can still cost the square of a page's size (a predicate that searches the whole document for each
node: ``//div[. = //div]``, ``//*[count(preceding::*) > 3]``, ``//*[string(/)]``), which on a real page of
tens of thousands of elements is minutes per page. So a selector is refused when the profile is loaded, as a
regular expression that backtracks is: ``check_cost`` runs it on probe pages of ``PROBE_ELEMENTS`` elements
made of the element names, attribute names and string literals the selector itself uses, and refuses it when
it costs many times a bare pass over the page and that ratio grows with the page (a sane selector costs about
one pass whatever the page's size, a quadratic one 20 to 100 on the probe page and more on a larger one).
Ratios of CPU times, not seconds, so that a slow or busy machine judges as a fast one does. CSS selectors are
checked through the XPath they translate to.

EXSLT regular expressions (``re:test``, ``re:match``, ``re:replace``, which parsel makes available) run
Python's ``re`` on page text with no time limit: they are refused outright, the field's own ``regex`` option
does the same job with one.
"""

from __future__ import annotations

import re
import time
from html import escape
from itertools import cycle

from parsel import Selector, css2xpath

__all__ = ["SelectorCostError", "check_cost", "probe_page"]

#: Elements of the probe pages: the small one first, then the large one, where a quadratic selector shows.
PROBE_ELEMENTS = (1500, 6000)
#: How many times a bare pass over the large probe page (``//node()``) a selector may cost there, when its cost grows
#: faster than the page (``MAX_GROWTH``: its ratio on the large page over its ratio on the small one, 1 for a
#: linear selector, 4 for a quadratic one). Measured: sane selectors 0 to 1 (``//*//*//*//*``: 10), quadratic ones
#: 17 to 100 and growing with the page.
MAX_RATIO = 15.0
MAX_GROWTH = 2.5
#: Whatever its growth, a selector this far over on the small page is refused before it meets the large one;
#: one under ``SANE_SMALL_RATIO`` there is let through without it (sane ones: 0 to 1.1, ``//*//*``: 3; quadratic
#: ones: 5 and up), so a profile of sane selectors loads in milliseconds.
MAX_SMALL_RATIO = 60.0
#: Elements of the page a selector first meets, refused there when over ``MAX_SMALL_RATIO``: a cubic selector
#: (``//a[. = //a[. = //a]]``: 120 times a pass here, quadratic ones 2 to 11, sane ones 0 to 1) never meets the
#: small probe page, where it ran for minutes (three times), the profile's load hanging instead of refusing it.
TINY_PROBE_ELEMENTS = 100
SANE_SMALL_RATIO = 4.0
_EXSLT_REGEX = re.compile(r"(?<![\w.-])re\s*:\s*(?:test|match|replace)\s*\(")
_LITERAL = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_ATTRIBUTE = re.compile(r"@\s*([A-Za-z_][\w.-]*)")
# A name test: not an attribute, not a function (followed by "("), an axis ("::") or a namespace prefix (":").
_ELEMENT = re.compile(r"(?<![@\w.:$-])([A-Za-z_][\w.-]*)(?![\w.-])(?!\s*[(:])")
_NOT_ELEMENTS = {"and", "or", "mod"}  # operators ("div" is both: kept, it is a common element)
_FALLBACK_ELEMENTS = ("div", "a", "span", "li", "p")


class SelectorCostError(ValueError):
    """A selector refused for what it would cost on a page (one line, for the user)."""


def check_cost(source: str, expr: str) -> None:
    """Raise SelectorCostError if ``expr`` (``source`` "css" or "xpath", already known to compile) uses an EXSLT
    regular expression or costs many passes over a probe page, more on a larger one."""
    xpath = css2xpath(expr) if source == "css" else expr
    if _EXSLT_REGEX.search(xpath):
        raise SelectorCostError(f"{source} selector {expr!r} uses an EXSLT regular expression (re:...), which has no "
                                "time limit on a page's text: select the text and use the field's regex option")
    try:
        small = _cost_ratio(xpath, TINY_PROBE_ELEMENTS)
        if small <= MAX_SMALL_RATIO:
            small = _cost_ratio(xpath, PROBE_ELEMENTS[0])
        if small <= SANE_SMALL_RATIO:
            return
        large = _cost_ratio(xpath, PROBE_ELEMENTS[1]) if small <= MAX_SMALL_RATIO else small
    except ValueError as exc:  # fails on a page, not on an empty document: an unknown function, say
        raise SelectorCostError(f"bad {source} selector {expr!r}: {exc}") from None
    if small > MAX_SMALL_RATIO or (large > MAX_RATIO and large > MAX_GROWTH * small):
        raise SelectorCostError(
            f"{source} selector {expr!r} is too slow: {large:.0f} times a pass over a probe page, and more on a "
            "larger page (a predicate that searches the whole document for each node, such as //x, "
            "count(preceding::*), string(/), or siblings compared with siblings): rewrite it with relative paths"
        )


def _cost_ratio(xpath: str, elements: int) -> float:
    """What ``xpath`` costs on a probe page of ``elements`` elements over what a bare pass over it costs, each
    the best of three CPU times (a busy machine slows one run now and then, not three)."""
    probe = Selector(text=probe_page(xpath, elements))
    base = min(_cpu_seconds(probe, "//node()") for _ in range(3))
    return min(_cpu_seconds(probe, xpath) for _ in range(3)) / max(base, 1e-5)


def probe_page(xpath: str, elements: int = PROBE_ELEMENTS[-1]) -> str:
    """An HTML page of about ``elements`` elements: chains of the element names ``xpath`` uses, each element with
    every attribute it tests, set to its string literals in turn, and those literals as text."""
    literals = [a or b for a, b in _LITERAL.findall(xpath)]
    bare = _LITERAL.sub(" ", xpath)
    attributes = list(dict.fromkeys(_ATTRIBUTE.findall(bare))) or ["class"]
    names = [n for n in dict.fromkeys(_ELEMENT.findall(_ATTRIBUTE.sub(" ", bare))) if n not in _NOT_ELEMENTS]
    names = [n for n in names if re.fullmatch(r"[A-Za-z][\w-]*", n)] or list(_FALLBACK_ELEMENTS)
    values = cycle([v.strip() for v in literals if v.strip()] or ["x"])
    parts: list[str] = []
    for _ in range(elements // len(names) + 1):
        chain = [(name, " ".join(f'{a}="{escape(next(values))}"' for a in attributes)) for name in names]
        parts.append("".join(f"<{name} {attrs}>" for name, attrs in chain) + escape(next(values))
                     + "".join(f"</{name}>" for name, _ in reversed(chain)))  # fmt: skip
    return "<html><body>" + "".join(parts) + "</body></html>"


def _cpu_seconds(probe: Selector, xpath: str) -> float:
    """CPU time of this thread (not wall time: other processes on a busy machine never make a sane one slow)."""
    started = time.thread_time()
    probe.xpath(xpath)
    return time.thread_time() - started
