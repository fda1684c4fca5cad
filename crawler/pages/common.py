"""Helpers every page object needs: find data embedded in big pages, read hostile JSON, tidy URLs and text.

Marketplace pages are large (Fiverr's are 1.5-3.5 MB) and the data usually sits in one ``<script>`` or
``<meta>`` tag, so the finders slice the string with ``str.find`` instead of building a DOM. Everything here
treats the page as hostile: wrong types become ``None``, never exceptions, and nothing is evaluated.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html


class Blocked(Exception):
    """Not the page asked for (an anti-bot challenge, an error page): retry it, never read 'no results'."""


class PageError(ValueError):
    """The page has the expected structure, but its data is broken (e.g. invalid embedded JSON)."""


# -- tags in raw HTML --------------------------------------------------------------------------------------

_ATTR_RE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")
_SCRIPT_END_RE = re.compile(r"</script\s*>", re.IGNORECASE)
_NEEDS_URLJOIN_RE = re.compile(r"[?#\\\s]|/\.")  # query, fragment, backslash, space, dot segment


def _tags_around(html: str, needle: str, tag: str) -> Iterator[tuple[int, int, dict[str, str]]]:
    """Yield ``(start, end, attrs)`` of each ``<tag ...>`` opening tag whose attributes contain ``needle``.

    ``end`` is the index just past the tag's ``>``. Occurrences of ``needle`` outside such a tag (in text or
    scripts) are passed over.
    """
    opener = "<" + tag
    pos = html.find(needle)
    while pos != -1:
        start = html.rfind("<", 0, pos)
        close = html.find(">", pos)
        if (
            start != -1
            and close != -1
            and html[start : start + len(opener)].lower() == opener
            and html[start + len(opener)] in " \t\r\n/"
            and ">" not in html[start:pos]
        ):
            yield start, close + 1, tag_attrs(html[start + len(opener) : close])
            pos = html.find(needle, close)
        else:
            pos = html.find(needle, pos + len(needle))


def tag_attrs(attr_text: str) -> dict[str, str]:
    """Attributes of one tag as a dict (names lower-cased, entities decoded); quotes and order may vary."""
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(attr_text):
        name, dq, sq, bare = match.groups()
        value = dq if dq is not None else sq if sq is not None else bare if bare is not None else ""
        attrs.setdefault(name.lower(), html_lib.unescape(value))
    return attrs


def meta_content(html: str, name: str) -> str | None:
    """``content`` of ``<meta name=NAME>`` (or ``property=NAME``), or None when the page has no such tag."""
    for _start, _end, attrs in _tags_around(html, name, "meta"):
        if name in (attrs.get("name"), attrs.get("property")):
            return attrs.get("content")
    return None


def script_text(html: str, element_id: str) -> str | None:
    """Raw text of ``<script id=ELEMENT_ID>``, or None when absent. Fast on multi-megabyte pages."""
    for _start, end, attrs in _tags_around(html, element_id, "script"):
        if attrs.get("id") != element_id:
            continue
        stop = html.find("</script>", end)
        if stop == -1:
            match = _SCRIPT_END_RE.search(html, end)
            stop = match.start() if match else len(html)
        return html[end:stop]
    return None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def page_json(text: str) -> Any:
    """``json.loads``, with every lone surrogate in the result's text replaced by U+FFFD.

    Why: a page's JSON may escape half a UTF-16 pair (``"title": "\\ud800"``), which ``json.loads`` returns as
    is; building the listing's URL from it raised UnicodeEncodeError (the page's items were lost), and SQLite
    cannot store it. The body stays byte-exact in the capture; only the text read from it is mended."""
    data = json.loads(text)
    # a walk of a 3 MB page's JSON costs more than this scan: only a page that escapes a surrogate is walked
    return without_lone_surrogates(data) if _SURROGATE_ESCAPE.search(text) else data


def without_lone_surrogates(value: Any) -> Any:
    """JSON-shaped ``value`` (dicts, lists, strings, numbers) with lone surrogates in its strings replaced."""
    if isinstance(value, str):
        return value if value.isascii() else _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [without_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    return value


def json_script(html: str, element_id: str) -> Any:
    """Parsed JSON of ``<script id=ELEMENT_ID>``; None when the tag is absent, `PageError` when broken."""
    text = script_text(html, element_id)
    if text is None:
        return None
    try:
        return page_json(text)
    except ValueError as exc:  # json.JSONDecodeError
        raise PageError(f"script#{element_id} is not valid JSON: {exc}") from None
    except RecursionError:
        raise PageError(f"script#{element_id} is nested too deeply") from None


# -- hostile JSON ------------------------------------------------------------------------------------------


def dig(obj: Any, *path: str | int) -> Any:
    """``obj[p0][p1]...`` or None as soon as a step is missing or has the wrong type."""
    for key in path:
        if isinstance(key, int) and not isinstance(key, bool):
            if not isinstance(obj, list) or not -len(obj) <= key < len(obj):
                return None
        elif not isinstance(obj, dict):
            return None
        else:
            obj = obj.get(key)
            continue
        obj = obj[key]
    return obj


def first(*values: Any) -> Any:
    """The first value that is not None (and not an empty string)."""
    for value in values:
        if value is not None and value != "":
            return value
    return None


def as_str(value: Any) -> str | None:
    """A non-empty string; numbers (ids) are turned into their decimal text; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
        return number if number == number and abs(number) != float("inf") else None
    if isinstance(value, str):
        try:
            return as_float(float(value))
        except ValueError:
            return None
    return None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def unix_to_iso(seconds: Any) -> str | None:
    """Unix seconds -> UTC ISO-8601 (``2021-04-21T13:57:11Z``); None for missing or absurd values."""
    ts = as_float(seconds)
    if ts is None or ts <= 0:
        return None
    try:
        return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return None


# -- URLs --------------------------------------------------------------------------------------------------


def strip_query(url: str) -> str:
    """The URL without query string and fragment: the canonical form of a listing link (no tracking)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def absolute_url(base: str, href: Any) -> str | None:
    """``href`` resolved against the page URL, without query or fragment; None unless it is http(s)."""
    if not isinstance(href, str) or not href.strip():
        return None
    try:
        url = strip_query(urljoin(base, href.strip()))
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


@lru_cache(maxsize=64)
def _origin(base: str) -> str | None:
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def same_host_url(base: str, href: Any) -> str | None:
    """The path of ``href`` on the host of ``base``: a link a hostile page cannot point at another site."""
    if not isinstance(href, str) or not (href := href.strip()):
        return None
    if href[0] == "/" and href[1:2] not in ("/", "") and not _NEEDS_URLJOIN_RE.search(href):
        origin = _origin(base)  # the usual "/seller/slug": skip urljoin, a third of a card's parse time
        return origin + href if origin else None
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    if parts.scheme not in ("", "http", "https") or not parts.path.strip("/"):
        return None
    return absolute_url(base, "/" + parts.path.lstrip("/"))


def query_param(url: str, name: str) -> str | None:
    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if key == name:
            return value
    return None


def with_query_param(url: str, name: str, value: str | int) -> str:
    """The URL with ``name=value`` set (replaced if present, appended otherwise); other parameters kept."""
    parts = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    pairs.append((name, str(value)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs), ""))


# -- text --------------------------------------------------------------------------------------------------

# Elements that start a new line when rendered; inline ones (strong, em, a, span, u) run on in the same line,
# so phrases split by markup ("you <strong>will get</strong>") stay searchable.
# fmt: off
_BLOCK_TAGS = frozenset((
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
))
# fmt: on
_SKIP_TAGS = frozenset(("script", "style", "template", "noscript"))
_HARD_BREAK = "\x01"  # a <br>: always a new line, where block edges only make sure one has started
_SPACES_RE = re.compile(r"[^\S\n\x01]+")
_SOFT_BREAKS_RE = re.compile(r" ?\n(?: ?\n)*")
_BLANK_LINES_RE = re.compile(r"\n{3,}")


def html_to_text(fragment: Any) -> str:
    """Readable plain text of an HTML fragment: one line per block or ``<br>``, paragraphs kept apart."""
    if not isinstance(fragment, str) or not fragment.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return ""
    # iterwalk passes over comments and with them their tail text; merge that text into the parent first
    lxml.etree.strip_tags(root, lxml.etree.Comment, lxml.etree.ProcessingInstruction)
    parts: list[str] = []
    skipping = 0
    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else None
        if event == "start":
            if tag in _SKIP_TAGS:
                skipping += 1
            elif tag == "br":
                parts.append(_HARD_BREAK)
            elif tag in _BLOCK_TAGS:
                parts.append("\n")
            if not skipping and tag is not None and el.text:
                parts.append(el.text)
        else:
            if tag in _SKIP_TAGS:
                skipping -= 1
            elif tag in _BLOCK_TAGS:
                parts.append("\n")
            if not skipping and el.tail and el is not root:
                parts.append(el.tail)
    text = _SPACES_RE.sub(" ", "".join(parts).replace("\xa0", " "))
    text = _SOFT_BREAKS_RE.sub("\n", text).replace(_HARD_BREAK, "\n")
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES_RE.sub("\n\n", text).strip()
