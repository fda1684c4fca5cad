"""A self-contained HTML report for counsel: per seller, their flagged listings with the matched text marked,
each listing's timeline and the hashes that tie it to the evidence log.

Why so strict: every string in it was written by the people under investigation (a title can be
``<script>...</script>``, a username ``<img onerror=...>``). Everything scraped goes through :func:`esc`; no
scraped text ever becomes markup, an attribute name, a URL scheme other than http(s), or an element id. The page
loads nothing (no scripts, fonts, images or styles from anywhere) and says so in a Content-Security-Policy that
allows only its own inline stylesheet, by hash, so even a missed escape could not run a script.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, TextIO
from urllib.parse import urlsplit

from db.exports.exhibit import SellerTally, esc
from db.exports.flagged import reasons_text
from db.exports.network import network_section
from db.history import listing_timeline
from db.network_runs import evidence_networks
from db.store import Store

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.5rem;border-top:2px solid #333;padding-top:.6rem}
h3{font-size:1.05rem;margin:1.4rem 0 .3rem}
table{border-collapse:collapse;margin:.4rem 0 1rem;width:100%}
td,th{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f1f1f1}.kv th{width:8rem;white-space:nowrap}
.text{white-space:pre-wrap;overflow-wrap:anywhere;border-left:3px solid #bbb;padding:.3rem .6rem;background:#fafafa}
mark{background:#ffe066;padding:0 .1rem}
.hash{font-family:ui-monospace,monospace;font-size:12px}.meta{color:#555}.removed{color:#b00020;font-weight:600}
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src 'none'; script-src 'none';"
    " base-uri 'none'; form-action 'none'"
)


def link(url: Any) -> str:
    """A link for an http(s) URL; anything else (``javascript:``, ``data:``...) is shown as text only."""
    if not isinstance(url, str) or urlsplit(url.strip()).scheme.lower() not in ("http", "https"):
        return esc(url)
    return f'<a href="{esc(url.strip())}" rel="noopener noreferrer nofollow">{esc(url)}</a>'


def field_texts(fields: Mapping[str, Any]) -> dict[str, str]:
    """The texts a verdict's offsets point into, as the matchers scan them (tags joined with ", ")."""
    tags = fields.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    return {
        "title": str(fields.get("title") or ""),
        "description": str(fields.get("description") or ""),
        "tags": ", ".join(str(tag) for tag in tags),
    }


def highlight(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """``text`` escaped, with each ``[start, end)`` span wrapped in ``<mark>`` (labels as its title).
    Overlapping spans merge; spans outside the text are ignored."""
    merged: list[list[Any]] = []
    for start, end, label in sorted(s for s in spans if 0 <= s[0] < s[1] <= len(text)):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2].append(label)
        else:
            merged.append([start, end, [label]])
    out, position = [], 0
    for start, end, labels in merged:
        out.append(esc(text[position:start]))
        title = ", ".join(dict.fromkeys(labels))
        out.append(f'<mark title="{esc(title)}">{esc(text[start:end])}</mark>')
        position = end
    out.append(esc(text[position:]))
    return "".join(out)


def reason_spans(reasons: Iterable[Mapping[str, Any]], texts: Mapping[str, str]) -> dict[str, list[tuple]]:
    """Spans per field from verdict reasons, kept only where the quoted text is what the offsets point at
    (a reason about another version of the text must not mark the wrong words)."""
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for reason in reasons:
        if not isinstance(reason, Mapping):
            continue
        name, start, end = reason.get("field"), reason.get("start"), reason.get("end")
        if name not in texts or not isinstance(start, int) or not isinstance(end, int):
            continue
        quoted = reason.get("text")
        if quoted is not None and texts[name][start:end] != quoted:
            continue
        spans.setdefault(name, []).append((start, end, str(reason.get("rule_id") or "")))
    return spans


def write_html(
    store: Store,
    rows: Iterable[Mapping[str, Any]],
    fp: TextIO,
    *,
    title: str = "gigscan report: sellers of fake reviews",
    about: Mapping[str, Any] | None = None,
) -> int:
    """Write the report for flagged-listing rows (as :func:`db.exports.flagged.flagged_rows` yields them); returns the
    number of listings in it."""
    tally = SellerTally()
    by_seller: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in rows:
        tally.add(row)
        by_seller.setdefault((row["marketplace"], row["username"].casefold()), []).append(row)
    sellers = tally.numbered()
    fp.write(_head(title))
    fp.write(_summary(store, title, sellers, sum(len(v) for v in by_seller.values()), about or {}))
    for seller in sellers:
        listings = by_seller[(seller["marketplace"], seller["username"].casefold())]
        fp.write(_seller_section(store, seller, listings))
    fp.write(network_section(store, evidence_networks(store)))
    fp.write("</body>\n</html>\n")
    return sum(len(listings) for listings in by_seller.values())


def _head(title: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
    )


def _summary(store: Store, title: str, sellers: list[dict[str, Any]], listings: int, about: Mapping[str, Any]) -> str:
    head = store.conn.execute("SELECT seq, entry_hash FROM evidence_log ORDER BY seq DESC LIMIT 1").fetchone()
    facts = {**about, "sellers": len(sellers), "flagged listings": listings}
    if head:
        facts["evidence log head"] = f"entry {head[0]}, hash {head[1]}"
    rows = "".join(f"<tr><th>{esc(key)}</th><td>{esc(value)}</td></tr>" for key, value in facts.items())
    exhibit = "".join(
        f'<tr><td><a href="#seller-{seller["number"]}">{seller["number"]}</a></td><td>{esc(seller["username"])}'
        f"</td><td>{esc(seller['marketplace'])}</td><td>{link(seller['profile_url'])}</td>"
        f"<td>{seller['flagged_listings']}</td></tr>"
        for seller in sellers
    )
    return (
        f"<h1>{esc(title)}</h1>\n<table class=\"meta kv\">{rows}</table>\n<h2>Sellers (exhibit order)</h2>\n"
        "<table><tr><th>No.</th><th>Username</th><th>Marketplace</th><th>Profile</th><th>Flagged listings</th>"
        f"</tr>{exhibit}</table>\n"
    )


def _seller_section(store: Store, seller: Mapping[str, Any], listings: list[Mapping[str, Any]]) -> str:
    display = listings[0].get("display_name")
    parts = [
        f'<section id="seller-{seller["number"]}">\n<h2>{seller["number"]}. {esc(seller["username"])}'
        f" <span class=\"meta\">on {esc(seller['marketplace'])}</span></h2>\n<table class=\"meta kv\">"
        f"<tr><th>Display name</th><td>{esc(display)}</td></tr>"
        f"<tr><th>Profile</th><td>{link(seller['profile_url'])}</td></tr>"
        f"<tr><th>Seen</th><td>{esc(seller['first_seen'])} to {esc(seller['last_seen'])}</td></tr></table>\n"
    ]
    parts += [_listing(store, row) for row in listings]
    parts.append("</section>\n")
    return "".join(parts)


def _listing(store: Store, row: Mapping[str, Any]) -> str:
    snapshot = store.conn.execute("SELECT fields FROM snapshots WHERE id = ?", (row["snapshot_id"],)).fetchone()
    texts = field_texts(json.loads(snapshot[0]) if snapshot else {"title": row.get("title")})
    spans = reason_spans(row.get("reasons") or (), texts)
    status = esc(row.get("status"))
    if row.get("status") == "removed":
        status = f'<span class="removed">removed {esc(row.get("removed_at"))}</span>'
    review = esc(row.get("review_state"))
    if row.get("reviewed_by"):
        review += f" by {esc(row['reviewed_by'])} at {esc(row['reviewed_at'])}: {esc(row.get('review_note'))}"
    fields = "".join(
        f"<tr><th>{name}</th><td><div class=\"text\">{highlight(text, spans.get(name, ()))}</div></td></tr>"
        for name, text in texts.items()
        if text
    )
    return (
        f"<h3>{highlight(texts['title'], spans.get('title', ())) or esc(row.get('title'))}</h3>\n"
        f"<table class=\"kv\"><tr><th>Listing</th><td>{link(row.get('listing_url'))}"
        f" (id {esc(row.get('external_id'))})</td></tr>"
        f"<tr><th>Status</th><td>{status}</td></tr>"
        f"<tr><th>Score</th><td>{esc(row.get('score'))} (ruleset {esc(row.get('ruleset_version'))},"
        f" verdict {esc(row.get('verdict_id'))})</td></tr>"
        f"<tr><th>Why</th><td>{esc(reasons_text(row.get('reasons') or ()))}</td></tr>"
        f"<tr><th>Review</th><td>{review}</td></tr>{fields}</table>\n"
        f"{_timeline(store, row)}{_hashes(store, row['listing_id'])}"
    )


def _timeline(store: Store, row: Mapping[str, Any]) -> str:
    subject = {
        "id": row["listing_id"],
        "url": row.get("listing_url"),
        "first_seen": row.get("first_seen"),
        "last_seen": row.get("last_seen"),
        "status": row.get("status"),
    }
    events = listing_timeline(store, subject).events
    body = "".join(
        f"<tr><td>{esc(event.get('at'))}</td><td>{esc(event.get('kind'))}</td><td>{esc(_event_text(event))}</td></tr>"
        for event in events
    )
    return f"<table><tr><th>When</th><th>What</th><th>Details</th></tr>{body}</table>\n"


def _event_text(event: Mapping[str, Any]) -> str:
    kind = event.get("kind")
    if kind == "changed":
        return "changed " + ", ".join(event.get("changes") or {}) + f" (snapshot {event.get('snapshot_id')})"
    if kind == "verdict":
        flagged = "flagged" if event.get("flagged") else "not flagged"
        return f"{flagged}, score {event.get('score')}, ruleset {event.get('ruleset_version')}"
    if kind == "review":
        return f"{event.get('state')} by {event.get('reviewed_by')}: {event.get('note') or ''}"
    if kind in ("removed", "reappeared"):
        return f"{event.get('reason') or ''} (HTTP {event.get('http_status')})"
    return str(event.get("url") or "")


def _hashes(store: Store, listing_id: int) -> str:
    rows = store.conn.execute(
        "SELECT s.id, s.source, s.fetched_at, s.http_status, s.content_hash, s.body_sha256, e.seq, e.entry_hash"
        " FROM snapshots s LEFT JOIN evidence_log e ON e.seq = (SELECT min(f.seq) FROM evidence_log f"
        " WHERE f.kind IN ('snapshot', 'snapshot2') AND f.ref = CAST(s.id AS TEXT))"
        " WHERE s.listing_id = ? ORDER BY s.id",
        (listing_id,),
    ).fetchall()
    body = "".join(
        f"<tr><td>{snap_id}</td><td>{esc(source)}</td><td>{esc(fetched)}</td><td>{esc(status)}</td>"
        f'<td class="hash">{esc(content)}</td><td class="hash">{esc(body_sha)}</td>'
        f'<td class="hash">{esc(seq)} {esc(entry)}</td></tr>'
        for snap_id, source, fetched, status, content, body_sha, seq, entry in rows
    )
    return (
        "<table><tr><th>Snapshot</th><th>Source</th><th>Fetched</th><th>HTTP</th><th>Fields SHA-256</th>"
        f"<th>Body SHA-256</th><th>Evidence log entry</th></tr>{body}</table>\n"
    )
