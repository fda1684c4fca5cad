"""Username search at the investigator's desk: ban-evasion variants, match kinds, name lists, hostile input."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from rapidfuzz import fuzz
from typer.testing import CliRunner

from db import Store
from db.search import (
    _lookalike_folded,
    _rename_keys,
    _single,
    differences,
    lookalike_key,
    search_many,
    search_sellers,
    squashed_key,
)
from db.testing import capture, listing_record, seller_record, verdict
from gigscan.cli import app
from gigscan.commands.store import read_names

SELLERS = [
    ("fiverr", "john_doe"),
    ("fiverr", "johndoe"),
    ("freelancer", "john.doe"),
    ("fiverr", "bess98"),
    ("fiverr", "bess99"),
    ("legiit", "bess_98"),
    ("fiverr", "b3ss"),
    ("fiverr", "j0hnd0e"),
    ("fiverr", "johnndoe"),
    ("fiverr", "jon_doe"),
    ("fiverr", "unrelated_person"),
    ("fiverr", "Robert'); DROP TABLE sellers;--"),
]


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "gigscan.db") as opened:
        run = opened.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        records = [seller_record(marketplace=m, username=u, profile_url=f"https://{m}.example/{u}") for m, u in SELLERS]
        records.append(
            listing_record(
                external_id="5", seller="bess98", url="https://fiverr.example/bess98/gig", verdict=verdict(score=0.8),
                capture=capture(fetched_at="2024-03-01T00:00:00Z"),
            )
        )  # fmt: skip
        records.append(listing_record(external_id="6", seller="bess98", verdict=verdict(flagged=False, score=0.0)))
        opened.record_batch(run, records)
        opened.conn.execute("UPDATE listings SET status = 'removed', removed_at = '2024-04-01' WHERE external_id = '6'")
        opened.conn.commit()
        yield opened


def found(hits) -> dict[str, tuple[str, list[str]]]:
    return {hit.seller["username"]: (hit.match, hit.how) for hit in hits}


def test_exact_search_finds_only_the_name_across_marketplaces(store):
    assert found(search_sellers(store, "JOHN.DOE")) == {"john.doe": ("case", [])}
    assert found(search_sellers(store, "bess98")) == {"bess98": ("exact", [])}


def test_separators_added_or_dropped_are_variants(store):
    hits = found(search_sellers(store, "johndoe", fuzzy=True))
    assert hits["johndoe"] == ("exact", [])
    assert hits["john_doe"] == ("variant", ["separators"])
    assert hits["john.doe"] == ("variant", ["separators"])


def test_digits_appended_or_changed_are_variants(store):
    hits = found(search_sellers(store, "bess98", fuzzy=True))
    assert hits["bess99"] == ("variant", ["digits"])
    assert hits["bess_98"] == ("variant", ["separators"])
    assert hits["b3ss"] == ("variant", ["digits", "digit-for-letter"])


def test_digit_for_letter_and_doubled_letters(store):
    hits = found(search_sellers(store, "john_doe", fuzzy=True))
    assert hits["j0hnd0e"] == ("variant", ["separators", "digit-for-letter"])
    assert hits["johnndoe"] == ("fuzzy", ["separators", "doubled letters"])
    assert hits["jon_doe"][0] == "fuzzy"  # a similar spelling rapidfuzz finds
    assert "unrelated_person" not in hits


def test_ranking_by_kind_then_score_and_limit(store):
    hits = search_sellers(store, "john_doe", fuzzy=True)
    kinds = [hit.match for hit in hits]
    assert kinds == sorted(kinds, key=["exact", "case", "variant", "fuzzy"].index)
    assert kinds[0] == "exact" and hits[0].score == 100.0
    for a, b in zip(hits, hits[1:], strict=False):
        if a.match == b.match:
            assert a.score >= b.score
    assert [hit.seller["username"] for hit in search_sellers(store, "john_doe", fuzzy=True, limit=2)] == [
        hit.seller["username"] for hit in hits[:2]
    ]


def test_marketplace_filter_applies_to_every_kind(store):
    hits = search_sellers(store, "bess98", fuzzy=True, marketplace="legiit")
    assert found(hits) == {"bess_98": ("variant", ["separators"])}


def test_hit_shows_listings_flagged_state_seen_and_removed(store):
    (hit,) = search_sellers(store, "bess98")
    assert (hit.flagged_listings, hit.live_listings, len(hit.listings)) == (1, 1, 2)
    removed = next(row for row in hit.listings if row["external_id"] == "6")
    assert (removed["status"], removed["removed_at"]) == ("removed", "2024-04-01")
    data = hit.to_dict()
    assert data["flagged_listings"] == 1 and data["live_listings"] == 1
    assert data["seller"]["first_seen"] and data["seller"]["last_seen"]


def test_search_many_matches_one_by_one_search(store):
    names = ["john_doe", "bess98", "nobody", "", "JOHNDOE"]
    batch = search_many(store, names, fuzzy=True)
    assert [name for name, _ in batch] == names
    for name, hits in batch:
        single = search_sellers(store, name, fuzzy=True)
        assert [(h.seller["id"], h.match, h.score, h.how) for h in hits] == [
            (h.seller["id"], h.match, h.score, h.how) for h in single
        ]


STEMS = ("john_doe", "bess98", "vpross", "maria.seo", "topseller")
HOSTILE = ("x' OR 1=1 --", "Robert'); DROP TABLE sellers;--", "nul\x00name", "\u0663bess", "<script>x</script>")


@pytest.fixture
def crowd(tmp_path: Path):
    """Look-alike families on three marketplaces, hostile usernames and listings: a list of names searched here
    meets every match kind, scores tied at the limit, and the key fallback for a username holding a NUL."""
    usernames = [f"{stem}{tail}" for stem in STEMS for tail in ("", "_1", "2", ".x", "z", "_pro", "77")]
    usernames += ["j0hn_d0e", "johnn_doe", "jon_doe", "b3ss98", "vprosss", "VPross", "Maria_SEO", *HOSTILE]
    with Store(tmp_path / "crowd.db") as opened:
        run = opened.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        records = [
            seller_record(marketplace=("fiverr", "freelancer", "legiit")[i % 3], username=name,
                          profile_url=f"https://x.example/{i}")
            for i, name in enumerate(usernames)
        ]  # fmt: skip
        for i, name in enumerate(usernames[::4]):
            records.append(listing_record(
                marketplace=("fiverr", "freelancer", "legiit")[4 * i % 3], external_id=str(i), seller=name,
                url=f"https://x.example/gig/{i}", verdict=verdict(flagged=i % 2 == 0, score=0.8),
            ))  # fmt: skip
        opened.record_batch(run, records)
        yield opened


def summary(hits) -> list[tuple]:
    return [
        (h.seller["id"], h.match, h.score, h.how, [row["id"] for row in h.listings], h.seller["username"]) for h in hits
    ]


ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)  # SQLite's NOCASE folds ASCII only


def reference(store: Store, name: str, *, limit: int, marketplace: str | None, min_score: float) -> list[tuple]:
    """The documented ranking, worked out seller by seller with nothing batched or indexed: what a fuzzy
    search must return, in ``summary`` form."""
    query = name.strip()
    rows = store.conn.execute("SELECT id, marketplace, username FROM sellers").fetchall()
    ranked = []
    for seller_id, market, username in rows:
        if not query or marketplace not in (None, market):
            continue
        ratio = fuzz.ratio(query.casefold(), username.casefold())
        if username == query:
            kind, score = "exact", 100.0
        elif username.translate(ASCII_LOWER) == query.translate(ASCII_LOWER):
            kind, score = "case", 100.0
        elif lookalike_key(username) == lookalike_key(query):
            kind, score = "variant", ratio
        elif squashed_key(username) == squashed_key(query) or ratio >= min_score:
            kind, score = "fuzzy", ratio
        else:
            continue
        ranked.append((["exact", "case", "variant", "fuzzy"].index(kind), -score, seller_id, kind, username))
    out = []
    for _, score, seller_id, kind, username in sorted(ranked)[:limit]:
        listings = store.conn.execute(
            "SELECT id FROM listings WHERE seller_id = ? ORDER BY flagged = 1 DESC, last_seen DESC, id", (seller_id,)
        ).fetchall()
        out.append((seller_id, kind, round(-score, 1), differences(query, username), [row[0] for row in listings],
                    username))  # fmt: skip
    return out


@pytest.mark.parametrize(
    ("limit", "marketplace", "min_score"), [(20, None, 75.0), (3, None, 60.0), (5, "legiit", 80.5)]
)
def test_search_many_equals_one_search_per_name(crowd, limit, marketplace, min_score):
    """A list long enough for several cdist blocks and the one-pass key lookup gives, name by name, what a
    single search gives (single searches run after it, so also through the dict built then), and what the
    documented ranking gives worked out seller by seller."""
    names = [f"{stem}{tail}" for stem in STEMS for tail in ("", "9", "_X", "0", "s", "_pro1", "z2", ".x3")]
    names += ["JOHN_DOE", "b3ss_99", "j0hnd0e", "vpros", "nobody_at_all", "", "  bess98  ", *HOSTILE, "%", "_ohn_doe"]
    names = (names * 4)[:150]  # more than one cdist block of 128, repeats included
    options = {"limit": limit, "marketplace": marketplace, "min_score": min_score}
    batch = search_many(crowd, names, fuzzy=True, **options)
    assert [query for query, _ in batch] == [name.strip() for name in names]
    assert any(hits for _, hits in batch) and any(not hits for _, hits in batch)
    for (query, hits), name in zip(batch, names, strict=True):
        assert summary(hits) == reference(crowd, name, **options), query
        assert summary(hits) == summary(search_sellers(crowd, name, fuzzy=True, **options)), query
    hits = [hit for _, found in batch for hit in found]
    if marketplace is None:
        assert {hit.match for hit in hits} == {"exact", "case", "variant", "fuzzy"}
        assert any(hit.listings for hit in hits)
    else:
        assert hits and {hit.seller["marketplace"] for hit in hits} == {marketplace}
    assert crowd.conn.execute("SELECT count(*) FROM sellers").fetchone()[0] == 35 + 7 + len(HOSTILE)


def test_hostile_names_in_a_list_are_bound(crowd):
    injection, drop, nul, digit, script = search_many(crowd, HOSTILE)
    assert [hit.seller["username"] for hit in injection[1]] == ["x' OR 1=1 --"]
    assert [hit.seller["username"] for hit in drop[1]] == ["Robert'); DROP TABLE sellers;--"]
    assert [hit.seller["username"] for hit in nul[1]] == ["nul\x00name"]
    assert [hit.seller["username"] for hit in script[1]] == ["<script>x</script>"]
    assert [hit.match for hit in digit[1]] == ["exact"]


@pytest.mark.parametrize(
    "names",
    [
        [],
        ["john_doe", "JohnDoe", "bess98", "b3ss_99", "vprosss", "a", "1234", "12ab34", "___", "", "x.y.z", "a\nb1"],
        ["\u0663\u0664", "b\u0663ss\u0664", "\u2167xx\u00df", "\u0130nan\u03a3", "aa\u00a0bb", "22"],
        ["nul\x00name", "bess98"],
    ],
)
def test_rename_keys_of_many_names_match_one_at_a_time(names):
    folded = [name.casefold() for name in names]
    expected = [_lookalike_folded(name) for name in folded]
    assert _rename_keys(folded) == (expected, [_single(key) for key in expected])


def test_search_input_is_bound_not_interpreted(store):
    assert found(search_sellers(store, "Robert'); DROP TABLE sellers;--")) == {
        "Robert'); DROP TABLE sellers;--": ("exact", [])
    }
    assert search_sellers(store, "' OR '1'='1") == []
    assert search_sellers(store, "%") == [] and search_sellers(store, "_ohndoe") == []
    assert store.conn.execute("SELECT count(*) FROM sellers").fetchone()[0] == len(SELLERS)


@pytest.mark.parametrize(
    ("a", "b", "how"),
    [
        ("john_doe", "johndoe", ["separators"]),
        ("bess98", "bess_99", ["separators", "digits"]),
        ("bess", "b3ss", ["digit-for-letter"]),
        ("vpross", "vprosss", ["doubled letters"]),
        ("bess", "b33ss", ["digit-for-letter", "doubled letters"]),
        ("alice", "ALICE", []),
    ],
)
def test_differences_say_what_changed(a, b, how):
    assert differences(a, b) == how


def test_rename_keys():
    assert lookalike_key("B3ss_98") == lookalike_key("bess") == "bess"
    assert squashed_key("vprosss") == squashed_key("vpross") == "vpros"
    assert lookalike_key("j0hn.d0e") == lookalike_key("JohnDoe")


def test_read_names_plain_numbered_and_exhibit_csv(tmp_path):
    plain = tmp_path / "names.txt"
    plain.write_text("# exhibit list\nalice\n\n  2. bob_77 (fiverr)  https://x\n3) carol\nname with space\n")
    assert read_names(str(plain)) == ["alice", "bob_77", "carol", "name with space"]
    exhibit = tmp_path / "exhibit.csv"
    exhibit.write_text("number,username,marketplace\n1,alice,fiverr\n2,'=cmd,fiverr\n")
    assert read_names(str(exhibit)) == ["alice", "'=cmd"]


def test_cli_from_file_reports_each_name(store, tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("bess98\nnobody_at_all\njohn_doe\n")
    runner = CliRunner()
    result = runner.invoke(app, ["search", "--from-file", str(names), "--fuzzy", "--json", "--db", str(store.path)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [entry["query"] for entry in payload] == ["bess98", "nobody_at_all", "john_doe"]
    assert payload[1]["hits"] == []
    first = payload[0]["hits"][0]
    assert (first["match"], first["seller"]["username"], first["flagged_listings"]) == ("exact", "bess98", 1)
    text = runner.invoke(app, ["search", "--from-file", str(names), "--db", str(store.path)])
    assert text.exit_code == 0 and "2 of 3 name(s) matched" in text.stdout
    none = runner.invoke(app, ["search", "nobody_at_all", "--db", str(store.path)])
    assert none.exit_code == 1
    both = runner.invoke(app, ["search", "x", "--from-file", str(names), "--db", str(store.path)])
    assert both.exit_code == 2
