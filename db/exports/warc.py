"""Stored HTTP exchanges as a WARC 1.1 file (warcio): request and response records with the original headers
and capture times, after a ``warcinfo`` record saying which tool wrote it.

Why WARC: it is the web-archiving standard that courts, archives and replay tools (pywb, ReplayWeb.page) read;
a marketplace's trust team can open what gigscan saw without trusting gigscan's database. Each response record
also carries ``Gigscan-Body-SHA256``: the store's own hash of the body, beside warcio's SHA-1 digests, so a
record can be matched to the evidence log.

The body kept is the one Scrapy delivered, decoded from any gzip/br transfer. Its response headers are kept as
received except three that would misdescribe the decoded body to a replay tool: ``Content-Encoding`` and
``Transfer-Encoding`` are renamed ``X-Gigscan-Orig-...``, and a ``Content-Length`` that differs from the body
is kept as ``X-Gigscan-Orig-Content-Length`` and replaced by the body's length. A header value beyond ASCII
(which an HTTP block in a WARC cannot hold) is written with its received bytes percent-encoded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from db.exports.files import atomic_path, store_files
from db.history import listings_by_url
from db.store import Store

WARC_VERSION = "1.1"
BODY_SHA256_HEADER = "Gigscan-Body-SHA256"
_RENAMED = ("content-encoding", "transfer-encoding")
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"  # with letters, digits and _.-: kept; space, controls, "<>\^`{|} encoded
_HEADER_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")  # printable ASCII but %: kept
_EVER_FLAGGED = "SELECT listing_id FROM verdicts WHERE flagged = 1"


def gigscan_version() -> str:
    try:
        return version("gigscan")
    except PackageNotFoundError:
        return "unknown"


def select_captures(
    store: Store, *, username: str | None = None, listing: str | None = None, flagged_only: bool = True
) -> list[int]:
    """Ids of the stored exchanges to export, oldest first: those where the listing at URL ``listing`` was
    seen, or the seller ``username`` or any of their listings, or (``flagged_only``) any listing ever flagged
    and its seller's own pages, or else everything."""
    if listing is not None:
        ids = [row["id"] for row in listings_by_url(store, listing)]
        where, params = f"s.listing_id IN ({', '.join('?' * len(ids))})", ids
    elif username is not None:
        where, params = "s.seller_id IN (SELECT id FROM sellers WHERE username = ?)", [username]
    elif flagged_only:
        where = (
            f"s.listing_id IN ({_EVER_FLAGGED}) OR (s.listing_id IS NULL AND s.seller_id IN"
            f" (SELECT seller_id FROM listings WHERE id IN ({_EVER_FLAGGED})))"
        )
        params = []
    else:
        where, params = "1", []
    rows = store.conn.execute(
        "SELECT c.id FROM captures c WHERE c.id IN"
        f" (SELECT s.capture_id FROM sightings s WHERE s.capture_id IS NOT NULL AND ({where}))"
        " ORDER BY c.fetched_at, c.id",
        params,
    )
    return [row[0] for row in rows]


def write_warc(
    store: Store,
    out_dir: Path,
    *,
    username: str | None = None,
    listing: str | None = None,
    flagged_only: bool = True,
) -> Path:
    """Write the selected exchanges (see :func:`select_captures`) to a new ``gigscan-<time>.warc.gz`` in
    ``out_dir`` and return its path. Selection values are never used in the file name (they are scraped text)."""
    captures = select_captures(store, username=username, listing=listing, flagged_only=flagged_only)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = _new_file(out_dir)
    selection = (
        f"listing {listing}" if listing else f"seller {username}" if username else
        "flagged listings and their sellers" if flagged_only else "everything stored"
    )  # fmt: skip
    with atomic_path(path, store_files(store.path)) as partial, partial.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version=WARC_VERSION)
        writer.write_record(writer.create_warcinfo_record(path.name, _warcinfo(store, selection, len(captures))))
        for capture in _capture_rows(store, captures):
            request, response = _records(writer, store, capture)
            writer.write_request_response_pair(request, response)
    return path


def _new_file(out_dir: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"gigscan-{stamp}.warc.gz"
    counter = 1
    while path.exists():
        counter += 1
        path = out_dir / f"gigscan-{stamp}-{counter}.warc.gz"
    return path


def _warcinfo(store: Store, selection: str, count: int) -> dict[str, Any]:
    head = store.conn.execute("SELECT seq, entry_hash FROM evidence_log ORDER BY seq DESC LIMIT 1").fetchone()
    return {
        "software": f"gigscan/{gigscan_version()} (warcio)",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "description": f"gigscan evidence export: {selection}; {count} request/response pair(s)",
        "gigscan-body-digest": f"{BODY_SHA256_HEADER} is the SHA-256 (hex) of the response body as stored",
        "gigscan-log-head": f"evidence_log seq {head[0]} entry_hash {head[1]}" if head else "evidence_log empty",
    }


def _capture_rows(store: Store, ids: Iterable[int]) -> Iterable[dict[str, Any]]:
    """Capture rows one at a time (no read cursor held open while the file is written)."""
    for capture_id in ids:
        yield next(store.db.query("SELECT * FROM captures WHERE id = ?", (capture_id,)))


def _records(writer: WARCWriter, store: Store, capture: dict[str, Any]) -> tuple[Any, Any]:
    body = store.get_body(capture["body_sha256"]) if capture["body_sha256"] else b""
    if body is None:
        raise LookupError(f"capture {capture['id']}: body {capture['body_sha256']} is missing from the store")
    warc_date = _warc_date(capture["fetched_at"])
    status = capture["status"] or 200
    response_headers = StatusAndHeaders(
        f"{status} {_reason(status)}", _response_headers(json.loads(capture["headers"]), len(body)), "HTTP/1.1"
    )
    extra = {"WARC-Date": warc_date}
    if capture["body_sha256"]:
        extra[BODY_SHA256_HEADER] = capture["body_sha256"]
    response = writer.create_warc_record(
        capture["url"], "response", payload=BytesIO(body), length=len(body), http_headers=response_headers,
        warc_headers_dict=extra,
    )  # fmt: skip
    request_url = capture["request_url"] or capture["url"]
    parts = urlsplit(request_url)
    # An HTTP request line is ASCII: a stored URL with other characters (an ingested record, an older store)
    # is written percent-encoded, as a browser would send it, not as a traceback in the middle of the file.
    target = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=_URL_SAFE)
    request_headers = StatusAndHeaders(
        f"{capture['method']} {target} HTTP/1.1",
        _ascii_headers(json.loads(capture["request_headers"])),
        is_http_request=True,
    )
    request = writer.create_warc_record(
        request_url, "request", payload=BytesIO(b""), length=0, http_headers=request_headers,
        warc_headers_dict={"WARC-Date": warc_date},
    )  # fmt: skip
    return request, response


def _response_headers(headers: dict[str, str], body_length: int) -> list[tuple[str, str]]:
    out = []
    for name, value in _ascii_headers(headers):
        lowered = name.lower()
        if lowered in _RENAMED:
            out.append((f"X-Gigscan-Orig-{name}", value))
        elif lowered == "content-length":
            if value.strip() != str(body_length):
                out.append(("X-Gigscan-Orig-Content-Length", value))
        else:
            out.append((name, value))
    out.append(("Content-Length", str(body_length)))
    return out


def _ascii_headers(headers: dict[str, str]) -> list[tuple[str, str]]:
    """Headers as ASCII a WARC's HTTP block can hold: a value with other bytes has each of them (and ``%``)
    percent-encoded, so decoding it gives back the bytes received.

    Why: the store keeps each header as its received bytes read as latin-1 (``crawler.capture.headers_dict``);
    warcio percent-encodes a non-ASCII value's UTF-8, so ``café`` sent in UTF-8 became ``caf%C3%83%C2%A9`` in the
    WARC, bytes the server never sent. A value from elsewhere (beyond latin-1) is taken as UTF-8."""
    out = []
    for name, value in headers.items():
        if not value.isascii():
            try:
                raw = value.encode("latin-1")
            except UnicodeEncodeError:
                raw = value.encode("utf-8", "backslashreplace")
            value = quote(raw, safe=_HEADER_SAFE)
        out.append((name, value))
    return out


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _warc_date(fetched_at: str) -> str:
    """The store's UTC time as a WARC-Date (W3C ISO-8601, ``Z``; WARC 1.1 allows the fraction of a second)."""
    moment = datetime.fromisoformat(fetched_at).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
