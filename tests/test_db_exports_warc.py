"""WARC export: WARC 1.1 request/response pairs with original headers and capture times, a warcinfo record,
our SHA-256 beside warcio's digests, and `warcio check` passing on the file."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
from warcio.archiveiterator import ArchiveIterator

from db import Store
from db.exports.warc import BODY_SHA256_HEADER, select_captures, write_warc
from db.testing import capture, listing_record, seller_record, verdict

GIG_URL = "https://www.fiverr.com/vpross/create-a-logo"
GIG_BODY = b"<html><body>I will write 5 star reviews</body></html>"


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "gigscan.db") as opened:
        run = opened.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        gig = capture(
            body=GIG_BODY,
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Length": "999", "X-Trace": "a1"},
            request_url=GIG_URL,
            request_headers={"User-Agent": "gigscan/0.1.0", "Accept": "text/html"},
            fetched_at="2024-05-01T10:00:00.250+00:00",
        )
        other = capture(url="https://www.fiverr.com/ann/logo", body=b"<html>logo</html>", request_url=None)
        opened.record_batch(
            run,
            [
                listing_record(capture=gig, verdict=verdict()),
                seller_record(capture=capture(url="https://www.fiverr.com/vpross", body=b"<html>profile</html>",
                                              fetched_at="2024-05-01T10:00:01+00:00")),
                listing_record(external_id="2", url="https://www.fiverr.com/ann/logo", seller="ann", capture=other,
                               verdict=verdict(flagged=False, score=0.0)),
            ],
        )  # fmt: skip
        yield opened


def read_records(path: Path) -> list:
    records = []
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            body = record.content_stream().read()
            records.append((record, body))
    return records


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    warcio = Path(sys.executable).with_name("warcio")
    return subprocess.run([str(warcio), "check", "-v", str(path)], capture_output=True, text=True, timeout=60)


def test_flagged_export_is_valid_warc_with_original_headers_and_times(store, tmp_path):
    path = write_warc(store, tmp_path / "out")
    assert path.parent == tmp_path / "out" and path.name.endswith(".warc.gz")
    check = warcio_check(path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout
    records = read_records(path)
    assert [r.rec_type for r, _ in records] == ["warcinfo", "response", "request", "response", "request"]
    info_record, info = records[0]
    assert info_record.rec_headers.protocol == "WARC/1.1"
    assert b"software: gigscan/" in info and b"flagged listings" in info and b"gigscan-log-head: evidence_log" in info
    response, body = records[1]
    assert response.rec_headers.get_header("WARC-Target-URI") == GIG_URL
    assert response.rec_headers.get_header("WARC-Date") == "2024-05-01T10:00:00.250Z"
    assert response.rec_headers.get_header(BODY_SHA256_HEADER) == hashlib.sha256(GIG_BODY).hexdigest()
    assert response.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
    assert body == GIG_BODY
    assert response.http_headers.get_statuscode() == "200"
    assert response.http_headers.get_header("X-Trace") == "a1"
    assert response.http_headers.get_header("Content-Length") == str(len(GIG_BODY))
    assert response.http_headers.get_header("X-Gigscan-Orig-Content-Length") == "999"
    request, _ = records[2]
    assert request.rec_headers.get_header("WARC-Concurrent-To") == response.rec_headers.get_header("WARC-Record-ID")
    assert request.http_headers.protocol == "GET"
    assert request.http_headers.get_header("User-Agent") == "gigscan/0.1.0"
    profile, profile_body = records[3]
    assert (profile.rec_headers.get_header("WARC-Target-URI"), profile_body) == (
        "https://www.fiverr.com/vpross", b"<html>profile</html>",
    )  # fmt: skip


def test_selection_by_listing_username_or_everything(store, tmp_path):
    assert len(select_captures(store)) == 2
    assert len(select_captures(store, flagged_only=False)) == 3
    assert len(select_captures(store, listing="https://www.fiverr.com/ann/logo?ref=x")) == 1
    assert len(select_captures(store, username="ANN")) == 1
    assert select_captures(store, username="../../etc/passwd") == []
    path = write_warc(store, tmp_path, username="ann")
    uris = [r.rec_headers.get_header("WARC-Target-URI") for r, _ in read_records(path) if r.rec_type == "response"]
    assert uris == ["https://www.fiverr.com/ann/logo"]
    second = write_warc(store, tmp_path, username="ann")
    assert second != path and second.parent == tmp_path
    assert warcio_check(second).returncode == 0


def test_a_corrupted_warc_fails_warcio_check(store, tmp_path):
    """The check above can fail: flip one byte of a body inside an uncompressed WARC."""
    path = write_warc(store, tmp_path)
    raw = subprocess.run(["gzip", "-dc", str(path)], capture_output=True, check=True).stdout
    plain = tmp_path / "plain.warc"
    plain.write_bytes(raw.replace(b"5 star reviews", b"6 star reviews"))
    check = warcio_check(plain)
    assert check.returncode != 0
    assert "digest fail" in check.stdout


def test_a_stored_url_beyond_ascii_is_written_percent_encoded_not_a_traceback(tmp_path):
    url = "https://www.fiverr.com/bidi\u202euser/gig 5?q=caf\u00e9"
    with Store(tmp_path / "x.db") as store:
        run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        store.record_batch(run, [listing_record(url=url, capture=capture(url=url, request_url=url), verdict=verdict())])
        path = write_warc(store, tmp_path / "warc")
    requests = [r for r, _ in read_records(path) if r.rec_type == "request"]
    assert [r.http_headers.statusline for r in requests] == ["/bidi%E2%80%AEuser/gig%205?q=caf%C3%A9 HTTP/1.1"]


def test_a_header_beyond_ascii_is_the_received_bytes_percent_encoded(tmp_path):
    """The store keeps a header's received bytes read as latin-1; warcio percent-encoded their UTF-8, so a value
    sent as UTF-8 "café" reached the WARC as caf%C3%83%C2%A9, bytes the server never sent."""
    sent = "attachment; filename=café 100%.pdf".encode()  # UTF-8 on the wire
    latin1 = b"caf\xe9"  # a latin-1 server
    headers = {"Content-Disposition": sent.decode("latin-1"), "X-Name": latin1.decode("latin-1"), "X-Plain": "a%b"}
    with Store(tmp_path / "x.db") as store:
        run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        gig = capture(headers=headers, request_headers={"Referer": sent.decode("latin-1")})
        store.record_batch(run, [listing_record(capture=gig, verdict=verdict())])
        path = write_warc(store, tmp_path / "warc")
    assert warcio_check(path).returncode == 0
    records = {r.rec_type: r for r, _ in read_records(path)}
    response, request = records["response"].http_headers, records["request"].http_headers
    assert unquote_to_bytes(response.get_header("Content-Disposition")) == sent
    assert unquote_to_bytes(response.get_header("X-Name")) == latin1
    assert response.get_header("X-Plain") == "a%b"  # an ASCII value is written as received
    assert unquote_to_bytes(request.get_header("Referer")) == sent
