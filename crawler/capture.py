"""Turn a Scrapy response into a :class:`~crawler.items.Capture`: the exact bytes and headers received."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.http import Headers, Response

from crawler.items import Capture


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def headers_dict(headers: Headers) -> dict[str, str]:
    """Header names and values as text; repeated headers joined with ", " as HTTP allows."""
    out: dict[str, str] = {}
    for name, values in headers.items():
        key = name.decode("latin-1")
        out[key] = ", ".join(v.decode("latin-1") for v in values)
    return out


def capture_from(response: Response) -> Capture:
    request = response.request
    return Capture(
        url=response.url,
        status=response.status,
        headers=headers_dict(response.headers),
        body=response.body,
        fetched_at=response.meta.get("gigscan_fetched_at") or utc_now(),
        request_url=request.url if request is not None else None,
        request_headers=headers_dict(request.headers) if request is not None else {},
        method=request.method if request is not None else "GET",
    )
